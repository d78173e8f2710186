"""OpenAPI 3.0.3 documents of both Workers, served at GET /openapi.json (standard library only).

`document()` builds a Worker's document from its route table (inventory.api.routing): every
route with its parameters, request body, security and an answer schema for each status it can
give. Every error is the same JSON object,
`{"success": false, "error": "<words>", ...}`; a wrong method anywhere answers 405 with an `allow`
list (components.responses.MethodNotAllowed: no operation lists it, since it answers the methods
that are not operations). Answer objects allow extra keys where the code may add some.
"""

from __future__ import annotations

from .. import VERSION
from ..config import HANDOFF_MODES
from ..db import GALLERY_STATES
from .checks import MAX_ID as MAX_VEHICLE_ID  # the cap the handlers enforce (D1 cannot bind BigInt)

JSON = "application/json"

# --- small builders --------------------------------------------------------------------------


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict, required: list | tuple = (), extra: bool = True) -> dict:
    """An object schema; `required` defaults to none, extra keys allowed unless `extra` is False."""
    schema = {"type": "object", "properties": properties, "additionalProperties": extra}
    if required:
        schema["required"] = list(required)
    return schema


def _nullable(schema: dict) -> dict:
    return {**schema, "nullable": True}


def _array(items: dict, **limits) -> dict:
    return {"type": "array", "items": items, **limits}


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}
BOOLEAN = {"type": "boolean"}
COUNT = {"type": "integer", "minimum": 0}
TRUE = {"type": "boolean", "enum": [True]}


def json_answer(description: str, schema: dict) -> dict:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _error_response(description: str) -> dict:
    return json_answer(description, ref("Error"))


def _errors(*statuses: int) -> dict:
    """The error answers an operation can give, by status, plus the 500 every route may give."""
    return {
        str(status): {"$ref": f"#/components/responses/{_ERROR_NAMES[status]}"} for status in (*statuses, 500)
    }


def _operation(route) -> dict:
    operation = {
        "summary": route.summary,
        "operationId": _operation_id(route.summary),
        "responses": {"200": route.answer, **dict(route.other_answers), **_errors(*route.errors)},
        "tags": [route.tag],
    }
    if route.description:
        operation["description"] = route.description
    if route.parameters:
        operation["parameters"] = list(route.parameters)
    if route.body is not None:
        operation["requestBody"] = route.body
    operation["security"] = [{"adminToken": []}] if route.admin else []
    return operation


def _operation_id(summary: str) -> str:
    words = "".join(c if c.isalnum() else " " for c in summary).split()
    return words[0].lower() + "".join(w.capitalize() for w in words[1:])


def query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def optional_json_body(schema: dict, description: str) -> dict:
    return {"required": False, "description": description, "content": {JSON: {"schema": schema}}}


# --- shared pieces ---------------------------------------------------------------------------

_ERROR_NAMES = {
    400: "BadRequest",
    401: "Unauthorized",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    413: "PayloadTooLarge",
    500: "InternalError",
    502: "BadGateway",
    503: "NotConfigured",
}

_ERROR_DESCRIPTIONS = {
    400: "Bad input: a parameter or the JSON body is invalid.",
    401: "Missing or wrong admin token (or the Worker has no ADMIN_TOKEN configured).",
    404: "No such endpoint.",
    405: "Method not allowed on this path; `allow` lists the accepted methods.",
    409: "The vehicles named are sold and their images released (`released` lists them); nothing uploaded.",
    413: "Request body larger than 64 KiB.",
    500: "Unexpected internal error (a bug: the cause is in the Worker's log).",
    502: "The dealer site could not be read; nothing was saved.",
    503: "The Worker is not configured for this action.",
}

ERROR_SCHEMA = _obj(
    {
        "success": {"type": "boolean", "enum": [False]},
        "error": STRING,
        "allow": _array(STRING),
        "released": _array({"type": "integer"}),
        "cause": STRING,
    },
    ["success", "error"],
)

HEALTH_SCHEMA = _obj(
    {
        "service": STRING,
        "version": STRING,
        "runtime": _obj({"python": STRING, "platform": STRING}, ["python", "platform"]),
        "bindings": {"type": "object", "additionalProperties": BOOLEAN},
        "secrets": {"type": "object", "additionalProperties": BOOLEAN},
        "config": {"type": "object", "additionalProperties": True},
    },
    ["service", "version", "runtime", "bindings", "secrets", "config"],
)

IMAGE_ENTRY_SCHEMA = _obj(
    {
        "entry": {
            "type": "string",
            "description": "A Cloudflare image id, or the vendor URL not yet uploaded.",
        },
        "url": {
            "type": "string",
            "description": "Where to display it (the delivery URL of an id, else the vendor URL).",
        },
        "uploaded": BOOLEAN,
    },
    ["entry", "url", "uploaded"],
)

VEHICLE_SCHEMA = _obj(
    {
        "id": INTEGER,
        "vehicle_key": STRING,
        "vin": _nullable(STRING),
        "vin_valid": BOOLEAN,
        "stock_number": _nullable(STRING),
        "year": _nullable(INTEGER),
        "make": _nullable(STRING),
        "model": _nullable(STRING),
        "trim": _nullable(STRING),
        "price": _nullable(NUMBER),
        "mileage": _nullable(INTEGER),
        "exterior_color": _nullable(STRING),
        "detail_url": _nullable(STRING),
        "featured": BOOLEAN,
        "images": _array(ref("ImageEntry")),
        "source_images": _array(STRING),
        "status": {"type": "string", "enum": ["active", "inactive"]},
        "first_seen_at": STRING,
        "updated_at": STRING,
    },
    ["id", "vehicle_key", "vin_valid", "featured", "images", "source_images", "status"],
)

VEHICLE_LIST_SCHEMA = _obj(
    {
        "success": TRUE,
        "page": INTEGER,
        "pageSize": INTEGER,
        "total": COUNT,
        "status": {"type": "string", "enum": ["active", "inactive", "all"]},
        "vehicles": _array(ref("Vehicle")),
    },
    ["success", "page", "pageSize", "total", "status", "vehicles"],
)

VARIANT_SCHEMA = {  # what api.checks.query_variant accepts
    "type": "string",
    "pattern": "^[A-Za-z0-9_-]*[A-Za-z0-9][A-Za-z0-9_-]*$",
    "maxLength": 40,
    "default": "public",
}
VEHICLE_LIST_PARAMETERS = [
    query(
        "status",
        {"type": "string", "enum": ["active", "inactive", "all"], "default": "active"},
        "Which vehicles to list.",
    ),
    query("page", {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1}, "Page number, from 1."),
    query("pageSize", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, "Vehicles per page."),
    query(
        "variant", VARIANT_SCHEMA, "Cloudflare Images variant used in the display URLs of uploaded photos."
    ),
]


def _components(schemas: dict, statuses: tuple) -> dict:
    return {
        "securitySchemes": {
            "adminToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "The Worker's ADMIN_TOKEN secret: `Authorization: Bearer <ADMIN_TOKEN>`.",
            }
        },
        "schemas": {"Error": ERROR_SCHEMA, "Health": HEALTH_SCHEMA, **schemas},
        "responses": {_ERROR_NAMES[s]: _error_response(_ERROR_DESCRIPTIONS[s]) for s in statuses},
    }


def document(title: str, description: str, routes: list, schemas: dict) -> dict:
    """The OpenAPI document of one Worker, its paths built from its route table."""
    paths: dict = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    statuses = sorted({404, 405, 500, *(s for route in routes for s in route.errors)})
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "version": VERSION, "description": description},
        "tags": [{"name": "health"}, {"name": "admin"}, {"name": "public"}],
        "paths": paths,
        "components": _components(schemas, tuple(statuses)),
    }


HEALTH_ANSWER = json_answer("Service health.", ref("Health"))
HEALTH_DESCRIPTION = (
    "Bindings, secrets and settings present (never their values), and every setting still a placeholder."
)
OPENAPI_ANSWER = json_answer(
    "The OpenAPI 3.0.3 document.", {"type": "object", "required": ["openapi", "paths"]}
)
VEHICLE_IMAGES_ANSWER = json_answer("One page of vehicles with their image entries.", ref("VehicleList"))
VEHICLE_IMAGES_DESCRIPTION = (
    "Every vehicle row with each image entry, its display URL and whether it is uploaded, featured "
    "first (the admin panel's view; the storefront reads GET /api/vehicles)."
)

# --- the storefront (inventory.storefront): the public read API ------------------------------

PHOTO_SCHEMA = _obj(
    {
        "url": {"type": "string", "description": "A Cloudflare delivery URL, or the vendor's URL."},
        "onCloudflare": {
            "type": "boolean",
            "description": "False: still the vendor's URL (not yet uploaded).",
        },
    },
    ["url", "onCloudflare"],
)
_TEXT = _nullable(STRING)
PUBLIC_VEHICLE_SCHEMA = _obj(
    {
        "id": INTEGER,
        "vin": _TEXT,
        "stockNumber": _TEXT,
        "title": STRING,
        "year": _nullable(INTEGER),
        "make": _TEXT,
        "model": _TEXT,
        "trim": _TEXT,
        "price": _nullable(NUMBER),
        "mileage": _nullable(INTEGER),
        "exteriorColor": _TEXT,
        "url": _TEXT,
        "featured": BOOLEAN,
        "status": {"type": "string", "enum": ["active", "sold"]},
        "firstSeenAt": STRING,
        "updatedAt": STRING,
        "photos": _array(ref("Photo")),
    },
    ["id", "title", "featured", "status", "photos"],
)
PUBLIC_VEHICLE_LIST_SCHEMA = _obj(
    {
        "success": TRUE,
        "total": COUNT,
        "count": COUNT,
        "limit": INTEGER,
        "nextCursor": _nullable(STRING),
        "vehicles": _array(ref("PublicVehicle")),
    },
    ["success", "total", "count", "limit", "nextCursor", "vehicles"],
)
_WHOLE = {"type": "integer", "minimum": 0, "maximum": 10**12}
_YEAR = {"type": "integer", "minimum": 1900, "maximum": 2100}
_WORDS = {"type": "string", "minLength": 1, "maxLength": 80}
VARIANT_PARAMETER = query("variant", VARIANT_SCHEMA, "Cloudflare Images variant of the delivery URLs.")
STOREFRONT_PARAMETERS = [
    query("make", _WORDS, "Only this make (any letter case)."),
    query("model", _WORDS, "Only this model (any letter case)."),
    query("yearMin", _YEAR, "Model year at least."),
    query("yearMax", _YEAR, "Model year at most."),
    query("priceMin", _WHOLE, "Price at least."),
    query("priceMax", _WHOLE, "Price at most."),
    query("mileageMax", _WHOLE, "Mileage at most."),
    query("q", _WORDS, "Words that must all appear in year, make, model, trim, stock number or VIN."),
    query("status", {"type": "string", "enum": ["active", "sold"], "default": "active"}, "Listed or sold."),
    query(
        "sort",
        {"type": "string", "enum": ["price", "year", "mileage", "updated"], "default": "updated"},
        "Sort key; vehicles without it come last.",
    ),
    query("order", {"type": "string", "enum": ["asc", "desc"], "default": "desc"}, "Sort direction."),
    query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 24}, "Vehicles per page."),
    query("cursor", {"type": "string", "maxLength": 400}, "nextCursor of the previous page (opaque)."),
    VARIANT_PARAMETER,
]
VEHICLE_PATH_PARAMETER = {
    "name": "vehicle",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9]{1,17}$"},
    "description": "The vehicle's VIN, or its id.",
}
STOREFRONT_LIST_ANSWER = json_answer(
    "One page of vehicles, with a cursor to the next.", ref("PublicVehicleList")
)
STOREFRONT_VEHICLE_ANSWER = json_answer(
    "One vehicle.", _obj({"success": TRUE, "vehicle": ref("PublicVehicle")}, ["success", "vehicle"])
)
NOT_MODIFIED = (("304", {"description": "Not modified: the ETag given in If-None-Match still holds."}),)
STOREFRONT_DESCRIPTION = (
    "Public and read-only. Answers carry an ETag (If-None-Match gets a 304), Cache-Control with a short "
    "max-age, X-Cache (HIT: the Workers cache answered), X-Inventory-Version and X-D1-Round-Trips."
)
FEED_DESCRIPTION = (
    "Every active vehicle the feed's specification can list (README, 'Listing feeds'), streamed from D1; "
    "GET /api/feeds/status says which were left out and why. An ETag and If-None-Match (304) as above."
)
GOOGLE_FEED_ANSWER = {
    "description": "RSS 2.0 with the g: namespace, one item per vehicle.",
    "content": {"application/xml": {"schema": {"type": "string"}}},
}
META_FEED_ANSWER = {
    "description": "CSV with a header row, one row per vehicle.",
    "content": {"text/csv": {"schema": {"type": "string"}}},
}
_FEED_COUNTS = _obj(
    {
        "path": STRING,
        "included": COUNT,
        "leftOut": COUNT,
        "reasons": {
            "type": "object",
            "additionalProperties": _obj(
                {"vehicles": COUNT, "examples": _array(INTEGER, maxItems=5)}, ["vehicles", "examples"]
            ),
        },
    },
    ["path", "included", "leftOut", "reasons"],
)
FEED_STATUS_ANSWER = json_answer(
    "For each feed: vehicles included, and left out per reason (with a few of their ids).",
    _obj(
        {
            "success": TRUE,
            "vendorPhotos": BOOLEAN,
            "variant": STRING,
            "feeds": _obj({"google": _FEED_COUNTS, "meta": _FEED_COUNTS}, ["google", "meta"]),
        },
        ["success", "vendorPhotos", "variant", "feeds"],
    ),
)
VEHICLE_SCHEMAS = {
    "ImageEntry": IMAGE_ENTRY_SCHEMA,
    "Vehicle": VEHICLE_SCHEMA,
    "VehicleList": VEHICLE_LIST_SCHEMA,
    "Photo": PHOTO_SCHEMA,
    "PublicVehicle": PUBLIC_VEHICLE_SCHEMA,
    "PublicVehicleList": PUBLIC_VEHICLE_LIST_SCHEMA,
}

# --- the scraper -----------------------------------------------------------------------------

SCRAPE_RESULT_SCHEMA = _obj(
    {
        "success": TRUE,
        "found": COUNT,
        "new": COUNT,
        "updated": COUNT,
        "reactivated": COUNT,
        "unchanged": COUNT,
        "deactivated": COUNT,
        "skipped": COUNT,
        "vendorUrlsQueued": COUNT,
        "vehiclesWithVendorUrls": COUNT,
        "deactivationRefused": _nullable(STRING),
        "photoListsKept": _nullable(STRING),
        "warnings": COUNT,
        "pages": COUNT,
        "pagesUnchanged": {
            "type": "integer",
            "minimum": 0,
            "description": "Listing pages unchanged since the last scrape: their stored result was used.",
        },
        "siteRequests": COUNT,
        "savedIds": COUNT,
        "durationMs": COUNT,
        "d1RoundTrips": COUNT,
        "galleriesDue": {
            "type": "integer",
            "minimum": 0,
            "description": "Vehicles whose detail-page gallery is read in the background after this answer.",
        },
        "subrequests": {
            "type": "integer",
            "minimum": 0,
            "description": "Subrequests the scrape made (MAX_SUBREQUESTS_PER_INVOCATION bounds them).",
        },
        "profile": _obj(
            {
                "name": {"type": "string", "description": "The site profile that read the site."},
                "detected": {
                    "type": "boolean",
                    "description": "Chosen by SITE_PROFILE=auto from the first page.",
                },
                "evidence": _array(
                    STRING, description="The platform markers seen (or why the profile was chosen)."
                ),
                "fallback": {"type": "boolean", "description": "No platform recognised: `generic` was used."},
                "discovered": {
                    "type": "boolean",
                    "description": "Read with a mapping discovery found (name `discovered`).",
                },
                "remembered": {
                    "type": "boolean",
                    "description": "The mapping an earlier scrape discovered, read from D1.",
                },
                "rediscovered": {
                    "type": "boolean",
                    "description": "The remembered mapping read far fewer vehicles: discovered again.",
                },
                "how": {"type": "string", "enum": ["inline state", "repeated cards", "single vehicle page"]},
                "where": {"type": "string", "description": "The JSON path or card selector found."},
                "vehicles": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "Vehicles discovery read on page 1.",
                },
                "fieldRules": {
                    "type": "object",
                    "additionalProperties": STRING,
                    "description": "Per field, the discovery rule that found it.",
                },
            },
            ["name", "detected", "evidence", "fallback"],
        ),
        "processingTriggered": {
            "type": "string",
            "enum": [
                "service-binding",
                "http",
                "queue",
                "not configured",
                "not requested",
                "nothing to process",
            ],
        },
        "skippedEntries": _array(_obj({"reason": STRING, "entry": STRING}, ["reason", "entry"]), maxItems=50),
        "warningEntries": _array(_obj({"reason": STRING, "entry": STRING}, ["reason", "entry"]), maxItems=50),
    },
    [
        "success",
        "found",
        "new",
        "updated",
        "unchanged",
        "deactivated",
        "processingTriggered",
        "skippedEntries",
    ],
)

SCRAPE_BODY = optional_json_body(
    _obj({"handoff": {"type": "string", "enum": list(HANDOFF_MODES)}}, extra=False), "Optional."
)
SCRAPER_SCHEMAS = {**VEHICLE_SCHEMAS, "ScrapeResult": SCRAPE_RESULT_SCHEMA}

# --- the image processor ---------------------------------------------------------------------

VEHICLE_IDS = _array({"type": "integer", "minimum": 1, "maximum": MAX_VEHICLE_ID}, minItems=1, maxItems=50)

PROCESS_REQUEST_SCHEMA = {
    "oneOf": [
        _obj(
            {
                "batchSize": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 50,
                    "default": 10,
                    "description": "How many vehicles with work to take (featured, newest first).",
                }
            },
            extra=False,
        ),
        _obj(
            {"vehicleIds": {**VEHICLE_IDS, "description": "These vehicles, in this order."}},
            ["vehicleIds"],
            extra=False,
        ),
    ]
}

PROCESS_RESULT_SCHEMA = _obj(
    {
        "success": TRUE,
        "processed": COUNT,
        "succeeded": COUNT,
        "failed": COUNT,
        "deferred": COUNT,
        "imagesUploaded": COUNT,
        "imagesFailed": COUNT,
        "imagesFailedPermanently": COUNT,
        "imagesNotAttempted": COUNT,
        "apiRequests": COUNT,
        "notFound": _array(INTEGER),
        "durationMs": COUNT,
        "stoppedBecause": STRING,
        "d1RoundTrips": COUNT,
        "subrequests": {
            "type": "integer",
            "minimum": 0,
            "description": "Subrequests this invocation made (MAX_SUBREQUESTS_PER_INVOCATION bounds them).",
        },
        "results": _array(
            _obj(
                {
                    "vehicleId": INTEGER,
                    "title": STRING,
                    "uploaded": COUNT,
                    "failed": COUNT,
                    "notAttempted": COUNT,
                    "errors": _array(
                        _obj(
                            {"url": STRING, "reason": _nullable(STRING), "permanent": BOOLEAN},
                            ["url", "reason", "permanent"],
                        )
                    ),
                },
                ["vehicleId", "title", "uploaded", "failed", "notAttempted", "errors"],
            )
        ),
    },
    [
        "success",
        "processed",
        "succeeded",
        "failed",
        "deferred",
        "imagesUploaded",
        "imagesFailed",
        "notFound",
        "results",
    ],
)

RUN_SCHEMA = _nullable(
    _obj(
        {"trigger": STRING, "startedAt": STRING, "finishedAt": STRING}, ["trigger", "startedAt", "finishedAt"]
    )
)

STORAGE_SCHEMA = _obj(
    {
        "imagesStored": {**COUNT, "description": "Images stored, by our records."},
        "imagesStoredAtLastSweep": {
            **_nullable(COUNT),
            "description": "Images with our id prefix the last sweep listed in the account, if any.",
        },
        "deletionsQueued": COUNT,
        "deletionsDone": COUNT,
        "deletedToday": COUNT,
        "maxDeletionsPerDay": COUNT,
        "vehiclesReleased": {**COUNT, "description": "Sold vehicles whose images were deleted."},
        "stuckDeletions": {
            **COUNT,
            "description": "Queued deletions that failed 10 times: tried again once a day, shown in `stuck`.",
        },
        "stuck": {
            "type": "array",
            "description": "The oldest 20 stuck deletions, each with its last error.",
            "items": _obj(
                {
                    "imageId": STRING,
                    "reason": STRING,
                    "attempts": COUNT,
                    "lastError": _nullable(STRING),
                    "lastAttemptAt": _nullable(STRING),
                    "nextAttemptAfter": _nullable(STRING),
                },
                ["imageId", "reason", "attempts", "lastError"],
            ),
        },
        "estimatedMonthlyCostUsd": NUMBER,
        "pricePer100kImagesUsd": NUMBER,
        "lastCleanup": {**RUN_SCHEMA, "description": "The last cleanup run (a sweep or not), if any."},
        "lastSweep": {**RUN_SCHEMA, "description": "The last run that swept the account, if any."},
    },
    ["imagesStored", "deletionsQueued", "deletionsDone", "estimatedMonthlyCostUsd", "lastCleanup"],
)

CLEANUP_REQUEST_SCHEMA = _obj(
    {
        "dryRun": {**BOOLEAN, "description": "Report what would be deleted and delete nothing."},
        "sweep": {**BOOLEAN, "description": "List the account for orphaned images too (default true)."},
        "asOf": {
            **STRING,
            "description": "Local stack only (LOCAL_DEV_PROFILE): run as if it were this UTC time.",
        },
    },
    extra=False,
)

CLEANUP_RESULT_SCHEMA = _obj(
    {
        "success": TRUE,
        "dryRun": BOOLEAN,
        "swept": BOOLEAN,
        "due": _obj(
            {"removed": COUNT, "retention": COUNT, "orphan": COUNT}, ["removed", "retention", "orphan"]
        ),
        "vehiclesReleased": COUNT,
        "retentionBlocked": _nullable(STRING),
        "accountImages": _nullable(COUNT),
        "deleted": COUNT,
        "alreadyGone": COUNT,
        "failed": COUNT,
        "overDailyCap": COUNT,
        "apiRequests": COUNT,
        "listRequests": COUNT,
        "subrequests": {
            **COUNT,
            "description": "Subrequests this cleanup made: D1 calls, photo checks, list pages, deletions.",
        },
        "invocationSubrequests": {
            **COUNT,
            "description": "The whole invocation's (a cron run drains uploads before its cleanup).",
        },
    },
    ["success", "dryRun", "due", "deleted", "failed", "overDailyCap"],
)

IMAGE_STATUS_SCHEMA = _obj(
    {
        "success": TRUE,
        "stats": _obj(
            {
                "totalVehicles": COUNT,
                "needingProcessing": COUNT,
                "fullyProcessed": COUNT,
                "partiallyProcessed": COUNT,
                "inactiveVehicles": COUNT,
                "images": _obj(
                    {
                        "total": COUNT,
                        "uploaded": COUNT,
                        "pending": COUNT,
                        "failedPermanently": COUNT,
                        "inProgress": COUNT,
                    },
                    ["total", "uploaded", "pending", "failedPermanently", "inProgress"],
                ),
                "lastRun": {**RUN_SCHEMA, "description": "The summary of the last processing run, if any."},
                "lastScrape": {**RUN_SCHEMA, "description": "The summary of the last scrape, if any."},
                "galleries": _obj({state: COUNT for state in GALLERY_STATES}, GALLERY_STATES),
                "lastGalleryRun": {
                    **RUN_SCHEMA,
                    "description": "The summary of the last run that read detail-page galleries, if any.",
                },
                "storage": STORAGE_SCHEMA,
            },
            [
                "totalVehicles",
                "needingProcessing",
                "fullyProcessed",
                "partiallyProcessed",
                "inactiveVehicles",
                "images",
                "lastRun",
                "lastScrape",
                "galleries",
                "lastGalleryRun",
                "storage",
            ],
        ),
    },
    ["success", "stats"],
)

FAILURE_SCHEMA = _obj(
    {
        "source_url": STRING,
        "image_id": STRING,
        "vehicle_id": _nullable(INTEGER),
        "attempts": COUNT,
        "last_error": _nullable(STRING),
        "permanent": BOOLEAN,
        "updated_at": STRING,
        "year": _nullable(INTEGER),
        "make": _nullable(STRING),
        "model": _nullable(STRING),
    },
    ["source_url", "image_id", "attempts", "permanent"],
)

FAILURES_SCHEMA = _obj(
    {"success": TRUE, "count": COUNT, "failures": _array(ref("Failure"), maxItems=200)},
    ["success", "count", "failures"],
)

REQUEUE_REQUEST_SCHEMA = _obj(
    {
        "sourceUrls": _array(
            STRING,
            maxItems=500,
            description=("Requeue only these failed photos (by vendor URL); without it, every failed photo."),
        )
    },
    extra=False,
)

REQUEUE_RESULT_SCHEMA = _obj(
    {"success": TRUE, "requeued": COUNT, "jobsQueued": COUNT}, ["success", "requeued"]
)

PROCESS_BODY = optional_json_body(
    ref("ProcessRequest"), ("Either batchSize or vehicleIds (not both); an empty body means batchSize 10.")
)
CLEANUP_BODY = optional_json_body(
    ref("CleanupRequest"), "Optional; an empty body deletes what is due and sweeps for orphans."
)
REQUEUE_BODY = optional_json_body(
    ref("RequeueRequest"), "Optional; an empty body requeues every failed photo."
)
PROCESSOR_SCHEMAS = {
    **VEHICLE_SCHEMAS,
    "ProcessRequest": PROCESS_REQUEST_SCHEMA,
    "ProcessResult": PROCESS_RESULT_SCHEMA,
    "ImageStatus": IMAGE_STATUS_SCHEMA,
    "Failure": FAILURE_SCHEMA,
    "Failures": FAILURES_SCHEMA,
    "RequeueRequest": REQUEUE_REQUEST_SCHEMA,
    "RequeueResult": REQUEUE_RESULT_SCHEMA,
    "CleanupRequest": CLEANUP_REQUEST_SCHEMA,
    "CleanupResult": CLEANUP_RESULT_SCHEMA,
}
