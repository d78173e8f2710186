"""The read API: GET /api/vehicles and GET /api/vehicles/{vehicle}, public, read-only, cached.

Each answer carries an ETag (a 304 answers If-None-Match), a short Cache-Control, `X-Cache` (HIT
when the Workers cache answered), `X-Inventory-Version` and `X-D1-Round-Trips` (0 on a cached read).
Reads take no lock and open no write transaction: a scrape or an upload run never waits on them.
"""

from __future__ import annotations

import json

from .. import db
from ..api.checks import ApiError
from ..api.routing import Answer, Call
from . import freshness
from .catalog import public_vehicle
from .query import VehicleQuery, parse_query


def display_settings(worker) -> tuple[str, str]:
    return worker.setting("CLOUDFLARE_IMAGES_ACCOUNT_HASH"), worker.setting("IMAGE_DELIVERY_BASE")


async def list_vehicles(call: Call) -> Answer:
    query = parse_query(call.query)  # every 400 before any D1 or cache call
    return await cached(call, "/api/vehicles", query.variant, lambda d1: vehicle_page(d1, call, query))


async def one_vehicle(call: Call) -> Answer:
    wanted = call.path["vehicle"]
    vin, vehicle_id = vehicle_reference(wanted)
    unknown = sorted(set(call.query) - {"variant"})
    if unknown:
        raise ApiError(400, f"unknown parameter(s): {', '.join(unknown)[:200]}; allowed: variant")
    variant = parse_query({k: v for k, v in call.query.items() if k == "variant"}).variant

    async def produce(d1) -> dict:
        row = await db.storefront_vehicle(d1, vin, vehicle_id)
        if row is None:
            raise ApiError(404, f"no vehicle {wanted[:40]!r}: give its VIN or its id")
        return {"success": True, "vehicle": public_vehicle(row, *_display(call, variant))}

    return await cached(call, f"/api/vehicles/{vin or vehicle_id}", variant, produce)


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


async def cached(call: Call, path: str, variant: str, produce) -> Answer:
    """The answer of `produce(d1)` through the version-keyed cache, with its ETag and headers."""
    worker = call.worker
    d1, cache = worker.d1(), worker.edge_cache()
    version, _ = await freshness.inventory_version(d1, cache)
    key = freshness.answer_key(path, call.query, version, (*display_settings(worker), variant))
    etag = freshness.etag_for(key)
    headers = {
        "etag": etag,
        "cache-control": f"public, max-age={freshness.MAX_AGE_S}",
        "x-inventory-version": version,
    }
    if freshness.not_modified(call.headers.get("if-none-match"), etag):
        return Answer(
            None, 304, "application/json; charset=utf-8", {**headers, "x-d1-round-trips": str(d1.round_trips)}
        )
    text = await freshness.cached_answer(cache, key)
    hit = text is not None
    if not hit:
        text = json.dumps(await produce(d1))
        await freshness.keep_answer(cache, key, text)
    headers.update({"x-cache": "HIT" if hit else "MISS", "x-d1-round-trips": str(d1.round_trips)})
    return Answer(text, 200, "application/json; charset=utf-8", headers)
