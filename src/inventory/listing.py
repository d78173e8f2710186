"""GET /api/vehicles, shared by both Workers: vehicles with every image entry resolved for display."""
from __future__ import annotations

import json

from . import db
from .images import display_url
from .web import ApiError, plain_name, query_int


async def list_vehicles_response(d1, query: dict, account_hash: str, delivery_base: str) -> dict:
    status = query.get("status", "active")
    if status not in ("active", "inactive", "all"):
        raise ApiError(400, f"status must be active, inactive or all, got {status[:20]!r}")
    page = query_int(query, "page", 1, 1, 100000)
    size = query_int(query, "pageSize", 50, 1, 200)
    variant = query.get("variant", "public")
    if not variant or not plain_name(variant) or len(variant) > 40:
        raise ApiError(400, "variant must be a plain name like public or thumbnail")
    rows, total = await db.list_vehicles(d1, None if status == "all" else status, size, (page - 1) * size)
    vehicles = []
    for row in rows:
        entries = json.loads(row.pop("images"))
        row.pop("content_hash", None)
        row["source_images"] = json.loads(row["source_images"])
        row["vin_valid"] = bool(row["vin_valid"])
        row["featured"] = bool(row["featured"])
        row["images"] = [{"entry": e, "url": display_url(e, account_hash, variant, delivery_base),
                          "uploaded": not e.startswith("http")} for e in entries]
        vehicles.append(row)
    return {"success": True, "page": page, "pageSize": size, "total": total, "status": status,
            "vehicles": vehicles}
