"""image-processor's route table and endpoints (the entry file serves them)."""

from __future__ import annotations

import time
from datetime import datetime

from .. import db, iso_utc
from ..photos.lifecycle import run_cleanup, storage_report
from ..photos.run import process_batch
from ..photos.wiring import enqueue_for, lifecycle_for, processor_for
from . import openapi
from .checks import ApiError, id_list, int_in_range, only_fields
from .routing import Call, Route
from .shared import worker_routes

BINDINGS = ("DB", "IMAGES", "IMAGE_JOBS")
SECRETS = ("CF_IMAGES_TOKEN", "ADMIN_TOKEN", "WEBHOOK_SECRET")


async def process_images(call: Call) -> dict:
    body = call.body
    only_fields(body, {"batchSize", "vehicleIds"})
    if "batchSize" in body and "vehicleIds" in body:
        raise ApiError(400, "give either batchSize or vehicleIds, not both")
    if "vehicleIds" in body:
        ids = id_list(body["vehicleIds"], "vehicleIds", limit=50)
        if released := await db.released_vehicle_ids(call.worker.d1(), ids):
            raise ApiError(
                409,
                f"vehicles {', '.join(map(str, released))} are sold and their images were released: "
                "they are uploaded again only when they come back to the listing; nothing was uploaded",
                released=released,
            )
        return await process_batch(processor_for(call.worker), vehicle_ids=ids, trigger="http")
    size = int_in_range(body.get("batchSize", 10), "batchSize", 1, 50)
    return await process_batch(processor_for(call.worker), batch_size=size, trigger="http")


async def image_status(call: Call) -> dict:
    d1, now = call.worker.d1(), time.time()
    stats = await db.image_status(d1, int(now * 1000))
    counts = await db.storage_counts(d1, iso_utc(now)[:10])
    stats["storage"] = storage_report(counts, stats.pop("runsByKind"), lifecycle_for(call.worker))
    return {"success": True, "stats": stats}


def _flag(body: dict, name: str, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise ApiError(400, f"{name} must be true or false")
    return value


def _as_of(call: Call) -> float | None:
    """The `asOf` test knob: only the local stack may move the cleanup's clock."""
    if "asOf" not in call.body:
        return None
    if not call.worker.setting("LOCAL_DEV_PROFILE"):
        raise ApiError(400, "asOf is a test knob of the local stack (LOCAL_DEV_PROFILE) only")
    try:
        return datetime.fromisoformat(str(call.body["asOf"]).replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise ApiError(400, "asOf must be an ISO 8601 time, e.g. 2027-01-31T12:00:00Z") from None


async def cleanup(call: Call) -> dict:
    only_fields(call.body, {"dryRun", "sweep", "asOf"})
    dry_run, sweep, now = _flag(call.body, "dryRun", False), _flag(call.body, "sweep", True), _as_of(call)
    settings = lifecycle_for(call.worker)
    processor = processor_for(call.worker)
    result = await run_cleanup(processor, settings, trigger="http", dry_run=dry_run, sweep=sweep, now=now)
    return {"success": True, **result}


async def failures(call: Call) -> dict:
    rows = await db.failures(call.worker.d1())
    return {
        "success": True,
        "count": len(rows),
        "failures": [{**row, "permanent": bool(row["permanent"])} for row in rows],
    }


async def requeue(call: Call) -> dict:
    only_fields(call.body, {"sourceUrls"})
    urls = call.body.get("sourceUrls")
    if urls is not None and (
        not isinstance(urls, list) or not all(isinstance(u, str) for u in urls) or len(urls) > 500
    ):
        raise ApiError(400, "sourceUrls must be a list of up to 500 URLs (strings)")
    d1 = call.worker.d1()
    count, vehicle_ids = await db.requeue(d1, urls)
    queued = 0
    if vehicle_ids and call.worker.has_binding("IMAGE_JOBS"):
        queued = await enqueue_for(call.worker, vehicle_ids)
    return {"success": True, "requeued": count, "jobsQueued": queued}


def _answer(description: str, schema: str) -> dict:
    return openapi.json_answer(description, openapi.ref(schema))


ROUTES, SPEC = worker_routes(
    "image-processor",
    "Uploads the vendor photos to Cloudflare Images and writes the image ids back into D1.",
    BINDINGS,
    SECRETS,
    [
        Route(
            "POST",
            "/api/process-images",
            process_images,
            "Process images now",
            _answer("The run's summary.", "ProcessResult"),
            admin=True,
            body=openapi.PROCESS_BODY,
            errors=(400, 401, 409, 413, 503),
            tag="admin",
            description="One processing run: claims the photos, uploads them and writes the ids back.",
        ),
        Route(
            "GET",
            "/api/image-status",
            image_status,
            "Image processing status",
            _answer("Counts of vehicles and photos.", "ImageStatus"),
        ),
        Route(
            "GET",
            "/api/failures",
            failures,
            "Photos that failed",
            _answer("Up to 200 failed photos, newest first.", "Failures"),
            admin=True,
            errors=(401,),
            tag="admin",
        ),
        Route(
            "POST",
            "/api/cleanup",
            cleanup,
            "Delete images no list needs",
            _answer("What was due, deleted and kept.", "CleanupResult"),
            admin=True,
            body=openapi.CLEANUP_BODY,
            errors=(400, 401, 413, 503),
            tag="admin",
            description="Deletes the images of removed photos past their grace period and of sold "
            "vehicles past retention, and sweeps the account for orphans; dryRun reports only.",
        ),
        Route(
            "POST",
            "/api/requeue",
            requeue,
            "Requeue failed photos",
            _answer("How many photos were requeued.", "RequeueResult"),
            admin=True,
            body=openapi.REQUEUE_BODY,
            errors=(400, 401, 413),
            tag="admin",
        ),
    ],
    openapi.PROCESSOR_SCHEMAS,
)
