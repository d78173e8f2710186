"""The routes both Workers serve: GET / (health), the storefront's read API (GET /api/vehicles,
GET /api/vehicles/{vehicle}), GET /api/vehicle-images (every row with its image entries, for the
admin panel) and GET /openapi.json."""

from __future__ import annotations

import json
import sys

from .. import VERSION, db
from ..config import BY_NAME
from ..photos.display import display_url
from ..settings_check import check_settings
from ..storefront import routes as storefront
from . import openapi
from .checks import ApiError, query_int, query_variant
from .routing import Call, Route

SHOWN_SETTINGS = ("SITE_PROFILE", "HANDOFF_MODE", "UPLOAD_MODE", "IMAGES_BATCH_UPLOADS")


def health_endpoint(service: str, bindings: tuple, secrets: tuple):
    """GET /: the Worker, its runtime, which bindings and secrets it has (never their values) and
    what of its configuration still needs fixing."""

    async def health(call: Call) -> dict:
        worker = call.worker
        return {
            "service": service,
            "version": VERSION,
            "runtime": {"python": sys.version.split()[0], "platform": sys.platform},
            "bindings": {name: worker.has_binding(name) for name in bindings},
            "secrets": {name: worker.config.is_set(name) for name in secrets},
            "config": config_summary(worker.config),
        }

    return health


def worker_routes(
    service: str, description: str, bindings: tuple, secrets: tuple, routes: list, schemas: dict
) -> tuple[list[Route], dict]:
    """A Worker's route table (`routes` plus health, vehicles and the OpenAPI document) and that
    document, built from the table."""

    async def document(call: Call) -> dict:
        return spec

    table = [
        Route(
            "GET",
            "/",
            health_endpoint(service, bindings, secrets),
            "Health and configuration",
            openapi.HEALTH_ANSWER,
            tag="health",
            description=openapi.HEALTH_DESCRIPTION,
        ),
        *routes,
        *STOREFRONT_ROUTES,
        Route(
            "GET",
            "/api/vehicle-images",
            vehicles,
            "List vehicles with their image entries",
            openapi.VEHICLE_IMAGES_ANSWER,
            errors=(400,),
            parameters=tuple(openapi.VEHICLE_LIST_PARAMETERS),
            description=openapi.VEHICLE_IMAGES_DESCRIPTION,
        ),
        Route(
            "GET", "/openapi.json", document, "This OpenAPI document", openapi.OPENAPI_ANSWER, tag="health"
        ),
    ]
    spec = openapi.document(service, description, table, schemas)
    return table, spec


STOREFRONT_ROUTES = (
    Route(
        "GET",
        "/api/vehicles",
        storefront.list_vehicles,
        "List vehicles for display",
        openapi.STOREFRONT_LIST_ANSWER,
        errors=(400,),
        parameters=tuple(openapi.STOREFRONT_PARAMETERS),
        description=openapi.STOREFRONT_DESCRIPTION,
        cors=True,
        other_answers=openapi.NOT_MODIFIED,
    ),
    Route(
        "GET",
        "/api/vehicles/{vehicle}",
        storefront.one_vehicle,
        "One vehicle for display",
        openapi.STOREFRONT_VEHICLE_ANSWER,
        errors=(400, 404),
        parameters=(openapi.VEHICLE_PATH_PARAMETER, openapi.VARIANT_PARAMETER),
        description=openapi.STOREFRONT_DESCRIPTION,
        cors=True,
        other_answers=openapi.NOT_MODIFIED,
    ),
    *(
        Route(
            "GET",
            f"/api/feeds/{name}",
            storefront.feed_endpoint(name.split(".")[0]),
            summary,
            answer,
            errors=(400,),
            description=openapi.FEED_DESCRIPTION,
            other_answers=openapi.NOT_MODIFIED,
        )
        for name, summary, answer in (
            ("google.xml", "Google vehicle ads feed", openapi.GOOGLE_FEED_ANSWER),
            ("meta.csv", "Meta automotive catalog feed", openapi.META_FEED_ANSWER),
        )
    ),
    Route(
        "GET",
        "/api/feeds/status",
        storefront.feeds_status,
        "What each feed includes and leaves out",
        openapi.FEED_STATUS_ANSWER,
        errors=(400,),
        cors=True,
        other_answers=openapi.NOT_MODIFIED,
    ),
)


def config_summary(config) -> dict:
    """What the health answer tells of the settings: a few choices, and what is still wrong."""
    shown = {name: config.raw[name] or BY_NAME[name].default for name in SHOWN_SETTINGS if name in config.raw}
    problems = check_settings(config.worker, config.raw)
    return {**shown, "problems": [f"{p['setting']} {p['reason']}" for p in problems]}


async def vehicles(call: Call) -> dict:
    worker = call.worker
    return await list_vehicles_response(
        worker.d1(),
        call.query,
        worker.setting("CLOUDFLARE_IMAGES_ACCOUNT_HASH"),
        worker.setting("IMAGE_DELIVERY_BASE"),
    )


async def list_vehicles_response(d1, query: dict, account_hash: str, delivery_base: str) -> dict:
    status = query.get("status", "active")
    if status not in ("active", "inactive", "all"):
        raise ApiError(400, f"status must be active, inactive or all, got {status[:20]!r}")
    page = query_int(query, "page", 1, 1, 100000)
    size = query_int(query, "pageSize", 50, 1, 200)
    variant = query_variant(query)
    rows, total = await db.list_vehicles(d1, None if status == "all" else status, size, (page - 1) * size)
    vehicles = []
    for row in rows:
        entries = json.loads(row.pop("images"))
        row.pop("content_hash", None)
        row["source_images"] = json.loads(row["source_images"])
        row["vin_valid"] = bool(row["vin_valid"])
        row["featured"] = bool(row["featured"])
        row["images"] = [
            {
                "entry": e,
                "url": display_url(e, account_hash, variant, delivery_base),
                "uploaded": not e.startswith("http"),
            }
            for e in entries
        ]
        vehicles.append(row)
    return {
        "success": True,
        "page": page,
        "pageSize": size,
        "total": total,
        "status": status,
        "vehicles": vehicles,
    }
