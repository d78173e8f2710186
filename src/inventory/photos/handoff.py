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
    label, send = handoff_route(worker, mode)
    if send:
        worker.wait_until(send(worker, vehicle_ids))
    return label


def handoff_route(worker, mode: str):
    """(what the answer reports, the coroutine function `send(worker, ids)` or None) for `mode`."""
    if mode == "none":
        return "not requested", None
    if mode == "queue":
        if not worker.has_binding("IMAGE_PROCESSOR"):
            print("⚠️ Queue mode needs the IMAGE_PROCESSOR binding: image processing not triggered")
            return "not configured", None
        return "queue", _enqueue
    if worker.has_binding("IMAGE_PROCESSOR"):
        return "service-binding", _call_processor
    if worker.setting("IMAGE_PROCESSOR_URL"):
        return "http", _post_processor
    print("⚠️ No IMAGE_PROCESSOR binding and no IMAGE_PROCESSOR_URL: image processing not triggered")
    return "not configured", None


async def _enqueue(worker, vehicle_ids: list[int]) -> None:
    worker.subrequests.spend()
    try:
        sent = await worker.binding("IMAGE_PROCESSOR").enqueue_vehicles(vehicle_ids)
        print(f"📮 {worker.to_python(sent)} image jobs queued")
    except Exception as error:
        print(f"⚠️ Queueing image jobs failed (the scrape is saved): {type(error).__name__}: {error}")


async def _call_processor(worker, vehicle_ids: list[int]) -> None:
    print(f"📨 Handed {len(vehicle_ids)} vehicles to the image processor (service binding)")
    worker.subrequests.spend()
    try:
        result = await worker.binding("IMAGE_PROCESSOR").process_vehicles(vehicle_ids, "handoff")
        print(f"📬 Image processor finished the hand-off: {json.dumps(worker.to_python(result))}")
    except Exception as error:
        print(f"⚠️ Image processor hand-off failed (the scrape is saved): {type(error).__name__}: {error}")


async def _post_processor(worker, vehicle_ids: list[int]) -> None:
    url = worker.setting("IMAGE_PROCESSOR_URL")
    print(f"📨 Handed {len(vehicle_ids)} vehicles to the image processor ({url})")
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
