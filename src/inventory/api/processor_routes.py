"""image-processor's route table and endpoints (the entry file serves them)."""

from __future__ import annotations

import time

from .. import db
from ..photos.run import process_batch
from ..photos.wiring import enqueue_for, processor_for
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
        return await process_batch(processor_for(call.worker), vehicle_ids=ids, trigger="http")
    size = int_in_range(body.get("batchSize", 10), "batchSize", 1, 50)
    return await process_batch(processor_for(call.worker), batch_size=size, trigger="http")


async def image_status(call: Call) -> dict:
    return {"success": True, "stats": await db.image_status(call.worker.d1(), int(time.time() * 1000))}


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
            errors=(400, 401, 413, 503),
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
