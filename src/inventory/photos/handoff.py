"""From phase 1 to phase 2: the scraper hands the vehicles with vendor URLs to the image processor
without waiting for it (service-binding RPC or HTTP POST in the background, or queue jobs). A
failure here never fails the scrape: the processor's cron picks up whatever was not handed over."""

from __future__ import annotations

import json

HTTP_HANDOFF_LIMIT = 50  # vehicles per POST /api/process-images (its own limit)


def hand_off(worker, vehicle_ids: list[int], mode: str) -> str:
    """Start processing `vehicle_ids` in the background; what was done, as the answer reports it."""
    if mode == "none":
        return "not requested"
    if not vehicle_ids:
        return "nothing to process"
    if mode == "queue":
        return _queue_jobs(worker, vehicle_ids)
    if worker.has_binding("IMAGE_PROCESSOR"):
        worker.wait_until(_call_processor(worker, vehicle_ids))
        print(f"📨 Handed {len(vehicle_ids)} vehicles to the image processor (service binding)")
        return "service-binding"
    url = worker.setting("IMAGE_PROCESSOR_URL")
    if url:
        worker.wait_until(_post_processor(worker, url, vehicle_ids))
        print(f"📨 Handed {len(vehicle_ids)} vehicles to the image processor ({url})")
        return "http"
    print("⚠️ No IMAGE_PROCESSOR binding and no IMAGE_PROCESSOR_URL: image processing not triggered")
    return "not configured"


def _queue_jobs(worker, vehicle_ids: list[int]) -> str:
    """Queue mode: the processor turns the ids into one queue message per vehicle."""
    if not worker.has_binding("IMAGE_PROCESSOR"):
        print("⚠️ Queue mode needs the IMAGE_PROCESSOR binding: image processing not triggered")
        return "not configured"
    worker.wait_until(_enqueue(worker, vehicle_ids))
    return "queue"


async def _enqueue(worker, vehicle_ids: list[int]) -> None:
    worker.subrequests.spend()
    try:
        sent = await worker.binding("IMAGE_PROCESSOR").enqueue_vehicles(vehicle_ids)
        print(f"📮 {worker.to_python(sent)} image jobs queued")
    except Exception as error:
        print(f"⚠️ Queueing image jobs failed (the scrape is saved): {type(error).__name__}: {error}")


async def _call_processor(worker, vehicle_ids: list[int]) -> None:
    worker.subrequests.spend()
    try:
        result = await worker.binding("IMAGE_PROCESSOR").process_vehicles(vehicle_ids, "handoff")
        print(f"📬 Image processor finished the hand-off: {json.dumps(worker.to_python(result))}")
    except Exception as error:
        print(f"⚠️ Image processor hand-off failed (the scrape is saved): {type(error).__name__}: {error}")


async def _post_processor(worker, url: str, vehicle_ids: list[int]) -> None:
    headers = {"Content-Type": "application/json"}
    if worker.config.is_set("ADMIN_TOKEN"):
        headers["Authorization"] = f"Bearer {worker.setting('ADMIN_TOKEN')}"
    body = json.dumps({"vehicleIds": vehicle_ids[:HTTP_HANDOFF_LIMIT]}).encode()
    try:
        answer = await worker.http().request(
            "POST", url.rstrip("/") + "/api/process-images", headers=headers, timeout_s=28, body=body
        )
        print(f"📬 Image processor answered HTTP {answer.status}")
    except Exception as error:
        print(f"⚠️ Image processor hand-off failed (the scrape is saved): {error}")
