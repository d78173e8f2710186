"""A vehicle as the storefront shows it: its fields, and its photos as display URLs by the seed's rule
(an uploaded id becomes a Cloudflare delivery URL in the asked variant; a vendor URL, not yet on
Cloudflare, stays as it is)."""

from __future__ import annotations

import json

from ..photos.display import display_url

SOLD = "sold"


def photo_list(images_json: str, account_hash: str, variant: str, delivery_base: str) -> list[dict]:
    return [
        {
            "url": display_url(entry, account_hash, variant, delivery_base),
            "onCloudflare": not entry.startswith("http"),
        }
        for entry in json.loads(images_json)
    ]


def title_of(row: dict) -> str:
    return " ".join(str(row[k]) for k in ("year", "make", "model", "trim") if row.get(k))


def public_vehicle(row: dict, account_hash: str, variant: str, delivery_base: str) -> dict:
    return {
        "id": row["id"],
        "vin": row["vin"],
        "stockNumber": row["stock_number"],
        "title": title_of(row),
        "year": row["year"],
        "make": row["make"],
        "model": row["model"],
        "trim": row["trim"],
        "price": row["price"],
        "mileage": row["mileage"],
        "exteriorColor": row["exterior_color"],
        "url": row["detail_url"],
        "featured": bool(row["featured"]),
        "status": "active" if row["status"] == "active" else SOLD,
        "firstSeenAt": row["first_seen_at"],
        "updatedAt": row["updated_at"],
        "photos": photo_list(row["images"], account_hash, variant, delivery_base),
    }
