"""The read API and the listing feeds, public and read-only: GET /api/vehicles, GET /api/vehicles/{vehicle},
GET /api/feeds/google.xml, GET /api/feeds/meta.csv and GET /api/feeds/status.

Each answer (a feed's too) carries an ETag (a 304 answers If-None-Match), a short Cache-Control,
`X-Inventory-Version`, and on JSON answers `X-Cache` (HIT when the Workers cache answered) and
`X-D1-Round-Trips` (0 on a cached read). Feeds are streamed, not cached whole.
Reads take no lock and open no write transaction: a scrape or an upload run never waits on them.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from .. import db
from ..api.checks import ApiError, only_parameters, query_variant
from ..api.routing import Answer, Call
from . import feeds, freshness
from .catalog import public_vehicle
from .query import VehicleQuery, parse_query


def display_settings(worker) -> tuple[str, str]:
    return worker.setting("CLOUDFLARE_IMAGES_ACCOUNT_HASH"), worker.setting("IMAGE_DELIVERY_BASE")


async def list_vehicles(call: Call) -> Answer:
    query = parse_query(call.query)  # every 400 before any D1 or cache call
    return await cached(call, "/api/vehicles", (query.variant,), lambda d1: vehicle_page(d1, call, query))


async def one_vehicle(call: Call) -> Answer:
    wanted = call.path["vehicle"]
    vin, vehicle_id = vehicle_reference(wanted)
    only_parameters(call.query, {"variant"})
    variant = query_variant(call.query)

    async def produce(d1) -> dict:
        row = await db.storefront_vehicle(d1, vin, vehicle_id)
        if row is None:
            raise ApiError(404, f"no vehicle {wanted[:40]!r}: give its VIN or its id")
        return {"success": True, "vehicle": public_vehicle(row, *_display(call, variant))}

    return await cached(call, f"/api/vehicles/{vin or vehicle_id}", (variant,), produce)


def vehicle_reference(wanted: str) -> tuple[str | None, int | None]:
    """A vehicle id (digits) or a VIN (11 to 17 letters and digits, as the dealer listed it: older
    VINs are shorter); ApiError 400 for anything else."""
    if wanted.isascii() and wanted.isdigit() and len(wanted) <= 15 and int(wanted) > 0:
        return None, int(wanted)
    if wanted.isascii() and wanted.isalnum() and 11 <= len(wanted) <= 17:
        return wanted.upper(), None
    raise ApiError(400, f"{wanted[:40]!r} is neither a VIN (11 to 17 letters and digits) nor a vehicle id")


def _display(call: Call, variant: str) -> tuple[str, str, str]:
    account_hash, delivery_base = display_settings(call.worker)
    return account_hash, variant, delivery_base


async def vehicle_page(d1, call: Call, query: VehicleQuery) -> dict:
    rows, total = await db.storefront_page(d1, query)
    shown, more = rows[: query.limit], len(rows) > query.limit
    last = shown[-1] if shown else None
    return {
        "success": True,
        "total": total,
        "count": len(shown),
        "limit": query.limit,
        "nextCursor": query.cursor_after(last["sort_key"], last["id"]) if more and last else None,
        "vehicles": [public_vehicle(row, *_display(call, query.variant)) for row in shown],
    }


async def cached(call: Call, path: str, output: tuple, produce) -> Answer:
    """The answer of `produce(d1)` through the version-keyed cache, with its ETag and headers.
    `output` is what else shapes the answer besides the path and the query (a variant, settings)."""
    d1, cache = call.worker.d1(), call.worker.edge_cache()
    versioned = await conditional(call, path, output, d1, cache)
    if isinstance(versioned, Answer):
        return versioned
    key, headers = versioned
    text = await freshness.cached_answer(cache, key)
    hit = text is not None
    if not hit:
        text = json.dumps(await produce(d1))
        await freshness.keep_answer(cache, key, text)
    headers.update({"x-cache": "HIT" if hit else "MISS", "x-d1-round-trips": str(d1.round_trips)})
    return Answer(text, 200, "application/json; charset=utf-8", headers)


async def conditional(call: Call, path: str, output: tuple, d1, cache) -> Answer | tuple[str, dict]:
    """The inventory version's cache key and headers of an answer, or the 304 when the client's
    If-None-Match still holds."""
    version, _ = await freshness.inventory_version(d1, cache)
    key = freshness.answer_key(path, call.query, version, (*display_settings(call.worker), *output))
    headers = {
        "etag": freshness.etag_for(key),
        "cache-control": f"public, max-age={freshness.MAX_AGE_S}",
        "x-inventory-version": version,
    }
    if freshness.not_modified(call.headers.get("if-none-match"), headers["etag"]):
        headers["x-d1-round-trips"] = str(d1.round_trips)
        return Answer(None, 304, "application/json; charset=utf-8", headers)
    return key, headers


# --- the listing feeds --------------------------------------------------------------------------

FEED_PAGE = 200  # vehicles per D1 read while a feed is written
FEED_TYPES = {"google": "application/xml; charset=utf-8", "meta": "text/csv; charset=utf-8"}


def feed_settings(call: Call) -> feeds.FeedSettings:
    setting = call.worker.setting
    account_hash, delivery_base = display_settings(call.worker)
    return feeds.FeedSettings(
        account_hash=account_hash,
        delivery_base=delivery_base,
        variant=setting("FEED_PHOTO_VARIANT"),
        vendor_photos=setting("FEED_VENDOR_PHOTOS"),
        condition=setting("FEED_CONDITION"),
        currency=setting("FEED_CURRENCY"),
        mileage_unit=setting("FEED_MILEAGE_UNIT"),
        store_code=setting("GOOGLE_STORE_CODE"),
        dealer_name=setting("DEALER_NAME"),
        address=setting("DEALER_ADDRESS"),
        site_url=f"{urlsplit(call.url).scheme}://{urlsplit(call.url).netloc}" if call.url else "",
    )


async def active_rows(d1):
    """Every active vehicle, read from D1 a page at a time."""
    after = 0
    while True:
        rows = await db.storefront_rows_after(d1, after, FEED_PAGE)
        for row in rows:
            yield row
        if len(rows) < FEED_PAGE:
            return
        after = rows[-1]["id"]


def feed_endpoint(name: str):
    async def feed(call: Call) -> Answer:
        only_parameters(call.query, ())
        settings = feed_settings(call)
        d1, cache = call.worker.d1(), call.worker.edge_cache()
        versioned = await conditional(call, feeds.FEEDS[name]["path"], (repr(settings),), d1, cache)
        if isinstance(versioned, Answer):
            return versioned
        _, headers = versioned
        chunks = feeds.FEEDS[name]["write"](active_rows(d1), settings)
        return Answer(chunks, 200, FEED_TYPES[name], headers)

    return feed


async def feeds_status(call: Call) -> Answer:
    only_parameters(call.query, ())
    settings = feed_settings(call)

    async def produce(d1) -> dict:
        counts = await feeds.feed_counts(active_rows(d1), settings)
        return {
            "success": True,
            "vendorPhotos": settings.vendor_photos,
            "variant": settings.variant,
            "feeds": counts,
        }

    return await cached(call, "/api/feeds/status", (repr(settings),), produce)
