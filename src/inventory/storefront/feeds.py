"""Listing feeds from D1: Google Merchant Center vehicle ads (RSS 2.0 XML with the g: namespace) and the
Meta automotive catalog (CSV). Each is written vehicle by vehicle as D1 pages arrive, never built
whole. A vehicle missing a field its feed requires is left out, with the reason.

The field names, units and required fields follow the public specifications (README, "Listing
feeds", names the pages): Google's vehicle ads attributes (support.google.com/merchants, answers
11192663, 14154094, 14156166, 6324371, 6324370) and Meta's auto ads reference
(developers.facebook.com/docs/marketing-api/auto-ads/reference).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from xml.sax.saxutils import escape

from ..photos.display import display_url
from .catalog import title_of

GOOGLE_NS = "http://base.google.com/ns/1.0"
GOOGLE_CARS_CATEGORY = "916"  # Google's product taxonomy: Vehicles & Parts > ... > Cars, Trucks & Vans
GOOGLE_MAX_EXTRA_PHOTOS = 10  # additional_image_link: up to 10
META_MAX_PHOTOS = 20  # image: up to 20
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # characters XML 1.0 cannot hold


@dataclass(frozen=True)
class FeedSettings:
    account_hash: str
    delivery_base: str
    variant: str = "public"  # FEED_PHOTO_VARIANT
    vendor_photos: bool = False  # FEED_VENDOR_PHOTOS: vendor URLs may stand in for Cloudflare ones
    condition: str = "used"  # FEED_CONDITION: the scraper does not read new or used (yet)
    currency: str = "USD"  # FEED_CURRENCY
    mileage_unit: str = "miles"  # FEED_MILEAGE_UNIT: miles or km
    store_code: str = ""  # GOOGLE_STORE_CODE
    dealer_name: str = ""  # DEALER_NAME
    address: tuple[str, ...] = ()  # DEALER_ADDRESS: addr1, city, region, postal code, country
    site_url: str = ""  # the channel's link: the dealer's site


@dataclass(frozen=True)
class Judged:
    """A vehicle as a feed would list it (`fields`), or why it is left out (`reason`)."""

    vehicle_id: int
    reason: str | None
    fields: dict


def feed_photos(images_json: str, settings: FeedSettings) -> list[str]:
    """The URLs a feed may show: Cloudflare delivery URLs in the feed's variant, and vendor URLs only
    when FEED_VENDOR_PHOTOS allows them."""
    return [
        display_url(entry, settings.account_hash, settings.variant, settings.delivery_base)
        for entry in json.loads(images_json)
        if settings.vendor_photos or not entry.startswith("http")
    ]


def _common_reason(row: dict, photos: list[str]) -> str | None:
    """What every feed requires: a price, a valid VIN, the detail page, make, model, year, mileage,
    a photo. The first one missing is the reason."""
    if not row["price"] or row["price"] <= 0:
        return "no price"
    if not row["vin"] or len(row["vin"]) != 17 or not row["vin_valid"]:
        return "no valid VIN"
    for column, reason in (("detail_url", "no link to its page"), ("make", "no make"), ("model", "no model")):
        if not row[column]:
            return reason
    if not row["year"]:
        return "no year"
    if row["mileage"] is None:
        return "no mileage"
    if not photos:
        has_any = bool(json.loads(row["images"]))
        return "photos not yet on Cloudflare (FEED_VENDOR_PHOTOS is off)" if has_any else "no photos"
    return None


def description_of(row: dict, settings: FeedSettings) -> str:
    parts = [title_of(row), f"{row['mileage']:,} {settings.mileage_unit}"]
    if row["exterior_color"]:
        parts.append(row["exterior_color"])
    if row["stock_number"]:
        parts.append(f"stock {row['stock_number']}")
    return ", ".join(parts) + (f". {settings.dealer_name}." if settings.dealer_name else ".")


def price_text(price: float, currency: str, decimals: bool) -> str:
    if decimals:
        return f"{price:.2f} {currency}"
    return f"{price:.0f} {currency}" if float(price).is_integer() else f"{price:.2f} {currency}"


# --- Google Merchant Center: vehicle ads --------------------------------------------------------


def judge_google(row: dict, settings: FeedSettings) -> Judged:
    photos = feed_photos(row["images"], settings)
    reason = _common_reason(row, photos)
    if reason is None and not settings.store_code:
        reason = "no store code (GOOGLE_STORE_CODE is not set)"
    if reason:
        return Judged(row["id"], reason, {})
    link = row["detail_url"]
    template = f"{link}{'&' if '?' in link else '?'}store={{store_code}}"
    fields = {
        "id": str(row["id"]),
        "title": title_of(row),
        "description": description_of(row, settings),
        "link": link,
        "link_template": template,
        "image_link": photos[0],
        "additional_image_link": photos[1 : 1 + GOOGLE_MAX_EXTRA_PHOTOS],
        "price": price_text(row["price"], settings.currency, decimals=True),
        "condition": settings.condition,
        "brand": row["make"],
        "model": row["model"],
        "year": str(row["year"]),
        "mileage": f"{row['mileage']} {settings.mileage_unit}",
        "vin": row["vin"],
        "google_product_category": GOOGLE_CARS_CATEGORY,
        "store_code": settings.store_code,
        "vehicle_fulfillment": {"option": "in_store", "store_code": settings.store_code},
    }
    if row["trim"]:
        fields["trim"] = row["trim"]
    if row["exterior_color"]:
        fields["color"] = row["exterior_color"]
    return Judged(row["id"], None, fields)


def _xml(text: str) -> str:
    return escape(_NOT_XML.sub("", text))


def google_item(fields: dict) -> str:
    lines = ["<item>"]
    for name, value in fields.items():
        if isinstance(value, dict):
            inner = "".join(f"<g:{k}>{_xml(v)}</g:{k}>" for k, v in value.items())
            lines.append(f"<g:{name}>{inner}</g:{name}>")
            continue
        for one in value if isinstance(value, list) else [value]:
            lines.append(f"<g:{name}>{_xml(one)}</g:{name}>")
    return "\n".join([*lines, "</item>\n"])


def google_head(settings: FeedSettings) -> str:
    name = settings.dealer_name or "Dealer inventory"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<rss version="2.0" xmlns:g="{GOOGLE_NS}">\n<channel>\n'
        f"<title>{_xml(name)}</title>\n<link>{_xml(settings.site_url)}</link>\n"
        f"<description>{_xml(name)}: vehicles for sale</description>\n"
    )


GOOGLE_TAIL = "</channel>\n</rss>\n"


async def google_feed(rows: AsyncIterator[dict], settings: FeedSettings) -> AsyncIterator[str]:
    yield google_head(settings)
    async for row in rows:
        judged = judge_google(row, settings)
        if judged.reason is None:
            yield google_item(judged.fields)
    yield GOOGLE_TAIL


# --- Meta: automotive catalog (CSV) -------------------------------------------------------------

META_ADDRESS_PARTS = ("addr1", "city", "region", "postal_code", "country")
META_COLUMNS = (
    "vehicle_id",
    "title",
    "description",
    "url",
    "make",
    "model",
    "year",
    "trim",
    "mileage.value",
    "mileage.unit",
    "price",
    "vin",
    "body_style",
    "exterior_color",
    "state_of_vehicle",
    "availability",
    "dealer_name",
    *(f"address.{part}" for part in META_ADDRESS_PARTS),
    "image[0].url",
    "image[0].tag[0]",
    *(f"image[{n}].url" for n in range(1, META_MAX_PHOTOS)),
)


def judge_meta(row: dict, settings: FeedSettings) -> Judged:
    photos = feed_photos(row["images"], settings)[:META_MAX_PHOTOS]
    reason = _common_reason(row, photos)
    if reason is None and not row["exterior_color"]:
        reason = "no exterior colour"
    if reason is None and len(settings.address) != len(META_ADDRESS_PARTS):
        reason = "no dealer address (DEALER_ADDRESS is not set)"
    if reason:
        return Judged(row["id"], reason, {})
    fields = {
        "vehicle_id": str(row["id"]),
        "title": title_of(row),
        "description": description_of(row, settings),
        "url": row["detail_url"],
        "make": row["make"],
        "model": row["model"],
        "year": str(row["year"]),
        "trim": row["trim"] or "",
        "mileage.value": str(row["mileage"]),
        "mileage.unit": "KM" if settings.mileage_unit == "km" else "MI",
        "price": price_text(row["price"], settings.currency, decimals=False),
        "vin": row["vin"],
        "body_style": "OTHER",  # the scraper does not read the body style (yet)
        "exterior_color": row["exterior_color"],
        "state_of_vehicle": settings.condition.upper(),
        "availability": "AVAILABLE",
        "dealer_name": settings.dealer_name,
        **{
            f"address.{part}": value for part, value in zip(META_ADDRESS_PARTS, settings.address, strict=True)
        },
        "image[0].tag[0]": "Exterior",  # the listing's first photo: the car from outside
        **{f"image[{n}].url": url for n, url in enumerate(photos)},
    }
    return Judged(row["id"], None, fields)


def _csv_line(values) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(values)
    return out.getvalue()


async def meta_feed(rows: AsyncIterator[dict], settings: FeedSettings) -> AsyncIterator[str]:
    yield _csv_line(META_COLUMNS)
    async for row in rows:
        judged = judge_meta(row, settings)
        if judged.reason is None:
            yield _csv_line(judged.fields.get(column, "") for column in META_COLUMNS)


FEEDS = {
    "google": {"path": "/api/feeds/google.xml", "judge": judge_google, "write": google_feed},
    "meta": {"path": "/api/feeds/meta.csv", "judge": judge_meta, "write": meta_feed},
}


async def feed_counts(rows: AsyncIterator[dict], settings: FeedSettings) -> dict:
    """For each feed: how many vehicles it includes, how many it leaves out per reason, and a few ids
    of each reason's vehicles (to look them up)."""
    counts = {
        name: {"path": feed["path"], "included": 0, "leftOut": 0, "reasons": {}}
        for name, feed in FEEDS.items()
    }
    async for row in rows:
        for name, feed in FEEDS.items():
            judged, tally = feed["judge"](row, settings), counts[name]
            if judged.reason is None:
                tally["included"] += 1
                continue
            tally["leftOut"] += 1
            reason = tally["reasons"].setdefault(judged.reason, {"vehicles": 0, "examples": []})
            reason["vehicles"] += 1
            if len(reason["examples"]) < 5:
                reason["examples"].append(judged.vehicle_id)
    return counts
