"""Phase 1, second half: merge what the site listed with what D1 holds, and save it at once.

plan_save() is the pure merge (uploaded ids kept, the deactivation and photo guards); run_scrape()
fetches, plans and writes in a fixed number of D1 round trips, whatever the inventory's size.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass, field

from .. import db, iso_utc
from .extract import Vehicle
from .extraction.fields import VEHICLE_VALUES
from .fetching import Inventory, ScrapeLimits, fetch_inventory
from .gallery_rules import gallery_mode, gallery_signature, gallery_update
from .page_memo import PageMemo


def content_hash(vehicle: Vehicle) -> str:
    data = vehicle.to_dict()
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:32]


def content_hashes(vehicles: list[Vehicle], gallery_keys=frozenset()) -> dict[str, str]:
    """Each vehicle's hash; a vehicle whose gallery is read from its detail page hashes differently."""
    return {v.key: content_hash(v) + ("+gallery" if v.key in gallery_keys else "") for v in vehicles}


def is_image_id(entry: str) -> bool:
    return not str(entry).startswith("http")


def merge_images(photos: list[str], old_images: list[str], old_sources: list[str]) -> list[str]:
    """The new image list: each photo keeps the id it was uploaded under, new photos enter as URLs."""
    pairs = zip(old_sources, old_images, strict=False)
    uploaded = {source: image for source, image in pairs if is_image_id(image)}
    return [uploaded.get(url, url) for url in photos]


def dropped_uploads(old_images: list[str], old_sources: list[str], sources: list[str]) -> list[str]:
    """The uploaded photos of the old list that the new one no longer holds (the dealer removed them)."""
    kept = set(sources)
    pairs = zip(old_sources, old_images, strict=False)
    return [source for source, image in pairs if is_image_id(image) and source not in kept]


@dataclass
class SavePlan:
    now: str = ""  # when the plan is made (a pending gallery's start)
    rows: list[dict] = field(default_factory=list)  # vehicles to insert or update
    new: int = 0
    updated: int = 0
    reactivated: int = 0
    unchanged: int = 0
    deactivate_ids: list[int] = field(default_factory=list)
    deactivation_refused: str | None = None
    photo_lists_kept: str | None = None
    removed_photos: dict = field(default_factory=dict)  # vehicle id -> uploaded photos its list dropped


def _listing_photos_before(row: dict | None) -> bool:
    """Whether the row's photo list is photos its listing showed (not a gallery read from the detail
    page, which the listing never shows), and not empty."""
    return bool(row and row["photo_count"] and row.get("gallery", "listing") == "listing")


def keep_photo_lists(found: list[Vehicle], by_key: dict, share: float = 0.5) -> str | None:
    """The photo guard: when more than half of the listed vehicles that had photos now show none (a
    layout change on the photo markup, most likely), they keep their photo lists. Says so, or None."""
    had_photos = [(v, by_key[v.key]) for v in found if _listing_photos_before(by_key.get(v.key))]
    emptied = [(v, row) for v, row in had_photos if not v.photos]
    if not emptied or len(emptied) <= share * len(had_photos):
        return None
    for vehicle, row in emptied:
        vehicle.photos = json.loads(row["source_images"])
    return (
        f"the site showed no photos for {len(emptied)} of the {len(had_photos)} vehicles that had photos; "
        f"their photo lists are kept"
    )


def _d1_value(value):
    """D1 binds Python ints as JavaScript numbers: beyond 2**53 they would become BigInt, which it refuses;
    JSON (how the rows travel, db.upsert_vehicle_statements) has no NaN or infinity."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53 - 1:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _row(vehicle: Vehicle, images: list[str], sources: list[str], digest: str, gallery: dict) -> dict:
    """The vehicles table's row for a vehicle: its own values, the lists, the hash, the gallery's state."""
    row = {
        "vehicle_key": vehicle.key,
        **{name: getattr(vehicle, name) for name in VEHICLE_VALUES},
        "vin_valid": int(vehicle.vin_valid),
        "featured": int(vehicle.featured),
        "images": json.dumps(images),
        "source_images": json.dumps(sources),
        "content_hash": digest,
        **gallery,
    }
    return {name: _d1_value(value) for name, value in row.items()}


def deactivation_refusal(
    found: list[Vehicle], active_before: list[dict], gone: list, guard_ratio: float, complete: bool
) -> str | None:
    """The deactivation guard: why vehicles missing from this listing must stay active, or None."""
    if not complete:
        return (
            f"the listing was cut off (the profile's max_pages, or the subrequest budget); refusing to "
            f"deactivate {len(gone)} vehicles"
        )
    if not found:
        return f"the site listed no vehicles; refusing to deactivate {len(gone)} known vehicles"
    if len(found) < guard_ratio * len(active_before):
        return (
            f"the site listed {len(found)} vehicles, far fewer than the {len(active_before)} active "
            f"before (under {guard_ratio:.0%}); refusing to deactivate {len(gone)} vehicles"
        )
    return None


def _plan_vehicle(
    plan: SavePlan, vehicle: Vehicle, old: dict | None, digest: str, wants_gallery: bool
) -> None:
    if old and old["content_hash"] == digest and old["status"] == "active":
        plan.unchanged += 1
        return
    old_lists = (json.loads(old["images"]), json.loads(old["source_images"])) if old else ([], [])
    gallery = gallery_update(old, wants_gallery, gallery_signature(vehicle), plan.now, len(vehicle.photos))
    sources = old_lists[1] if gallery.keeps_list else vehicle.photos
    plan.rows.append(_row(vehicle, merge_images(sources, *old_lists), sources, digest, gallery.columns))
    if dropped := dropped_uploads(*old_lists, sources):
        plan.removed_photos[old["id"]] = dropped
    if not old:
        plan.new += 1
    elif old["status"] == "inactive":
        plan.reactivated += 1
    else:
        plan.updated += 1


def plan_save(
    found: list[Vehicle],
    existing: list[dict],
    guard_ratio: float = 0.5,
    complete: bool = True,
    digests: dict[str, str] | None = None,
    *,
    gallery_keys=frozenset(),
    now: str = "",
) -> SavePlan:
    """`existing` is db.load_vehicles_for_merge's rows; `digests` each found vehicle's content hash;
    `gallery_keys` the vehicles whose photos come from their detail page (gallery_rules.py)."""
    plan = SavePlan(now=now)
    digests = digests or content_hashes(found, gallery_keys)
    by_key = {row["vehicle_key"]: row for row in existing}
    plan.photo_lists_kept = keep_photo_lists(found, by_key)  # more than half, whatever guard_ratio says
    if plan.photo_lists_kept:  # their photos are back: hash what is saved
        digests = content_hashes(found, gallery_keys)
    for vehicle in found:
        old, wants_gallery = by_key.get(vehicle.key), vehicle.key in gallery_keys
        _plan_vehicle(plan, vehicle, old, digests[vehicle.key], wants_gallery)
    listed = {v.key for v in found}
    active_before = [row for row in existing if row["status"] == "active"]
    gone = [row["id"] for row in active_before if row["vehicle_key"] not in listed]
    if gone:
        plan.deactivation_refused = deactivation_refusal(found, active_before, gone, guard_ratio, complete)
        plan.deactivate_ids = [] if plan.deactivation_refused else gone
    return plan


@dataclass
class ScrapeSummary:
    """What a scrape did, serialised in one place (`to_json`) for the answer and the runs table."""

    inventory: Inventory
    plan: SavePlan
    saved: int
    vendor_urls_queued: int
    vehicle_ids_with_vendor_urls: list[int]
    duration_ms: int = 0
    d1_round_trips: int = 0
    galleries_due: int = 0
    subrequests: int = 0

    def saved_line(self) -> str:
        plan = self.plan
        return (
            f"  💾 Saved: {plan.new} new, {plan.updated} updated, {plan.unchanged} unchanged, "
            f"{len(plan.deactivate_ids)} deactivated, {self.vendor_urls_queued} vendor URLs queued"
            + (f", {self.galleries_due} galleries to read" if self.galleries_due else "")
        )

    def to_json(self) -> dict:
        inventory, plan = self.inventory, self.plan
        return {
            "found": len(inventory.vehicles),
            "new": plan.new,
            "updated": plan.updated,
            "reactivated": plan.reactivated,
            "unchanged": plan.unchanged,
            "deactivated": len(plan.deactivate_ids),
            "skipped": len(inventory.skipped),
            "vendorUrlsQueued": self.vendor_urls_queued,
            "vehiclesWithVendorUrls": len(self.vehicle_ids_with_vendor_urls),
            "deactivationRefused": plan.deactivation_refused,
            "photoListsKept": plan.photo_lists_kept,
            "warnings": len(inventory.warnings),
            "pages": inventory.pages,
            "pagesUnchanged": inventory.pages_unchanged,
            "siteRequests": inventory.requests,
            "savedIds": self.saved,
            "durationMs": self.duration_ms,
            "d1RoundTrips": self.d1_round_trips,
            "galleriesDue": self.galleries_due,
            "subrequests": self.subrequests,
            "profile": inventory.profile,
        }


async def save(d1, plan: SavePlan, memo: PageMemo | None = None, remember: tuple | None = None) -> int:
    """Write the plan (and the pages' results, and a discovered mapping: (site, profile, vehicles))
    in one D1 batch, one transaction; how many vehicles were saved."""
    now = iso_utc(time.time())
    statements = db.upsert_vehicle_statements(plan.rows, now)
    statements += db.deactivate_statements(plan.deactivate_ids, now)
    statements += [db.photo_removal_statement(i, urls, now) for i, urls in plan.removed_photos.items()]
    if memo:
        statements += db.page_memo_statements(memo.fresh, memo.keep(), now)
    if remember:
        statements.append(db.remember_profile_statement(*remember, now))
    if statements:
        await d1.batch(statements)
    return len(plan.rows)


async def save_inventory(
    d1, inventory: Inventory, guard_ratio: float, started: float, log=print, memo: PageMemo | None = None
) -> ScrapeSummary:
    """Merge the inventory with D1 and save it: a fixed number of round trips, whatever its size."""
    found, galleries = inventory.vehicles, inventory.gallery_keys
    digests = content_hashes(found, galleries)
    existing = await db.load_vehicles_for_merge(d1, digests)
    complete, now = not inventory.truncated, iso_utc(time.time())
    plan = plan_save(found, existing, guard_ratio, complete, digests, gallery_keys=galleries, now=now)
    remember = None
    if inventory.discovered and not plan.deactivation_refused:
        remember = (inventory.discovered["site"], json.dumps(inventory.discovered["profile"]), len(found))
    saved = await save(d1, plan, memo, remember)
    for refusal in (plan.deactivation_refused, plan.photo_lists_kept):
        if refusal:
            log(f"  ⚠️ {refusal}")
    vendor_ids, queued = await db.active_vendor_urls(d1)
    return ScrapeSummary(
        inventory, plan, saved, queued, vendor_ids, duration_ms=int((time.time() - started) * 1000)
    )


async def _count_the_rest(d1, summary: ScrapeSummary, started: float, trips_before: int, max_age_h: float):
    """The galleries now due (read after the answer), and what the scrape cost, its record included."""
    if gallery_mode(summary.inventory.rules) != "listing":
        read_before = iso_utc(started - max_age_h * 3600)
        summary.galleries_due = await db.galleries_due_count(d1, read_before)
    summary.d1_round_trips = d1.round_trips - trips_before + 1
    summary.subrequests = d1.subrequests.used + 1


async def run_scrape(
    http,
    d1,
    start_url: str,
    profile: dict | None,
    *,
    trigger: str,
    respect_robots: bool = True,
    guard_ratio: float = 0.5,
    limits: ScrapeLimits | None = None,
    gallery_max_age_hours: float = 24.0,
    log=print,
) -> dict:
    """Scrape and save (`profile` None: detect it from the first page). Raises SiteError (before any
    write) when the site cannot be read, BotWall when its bot protection answers instead. The
    answer's `rules` is the profile that read the site; its galleries are read afterwards."""
    started, trips_before = time.time(), d1.round_trips
    log(f"🚗 Starting scrape of {start_url} ({trigger})")
    stored_pages, remembered = await db.load_scrape_memory(d1, start_url)
    memo = PageMemo(stored_pages)
    inventory = await fetch_inventory(
        http,
        start_url,
        profile,
        respect_robots=respect_robots,
        limits=limits,
        memo=memo,
        remembered=remembered,
        log=log,
    )
    log(
        f"  ✅ Found {len(inventory.vehicles)} vehicles on {inventory.pages} pages "
        f"({len(inventory.skipped)} entries skipped)"
    )
    summary = await save_inventory(d1, inventory, guard_ratio, started, log, memo)
    await _count_the_rest(d1, summary, started, trips_before, gallery_max_age_hours)
    await db.record_run(d1, "scrape", trigger, iso_utc(started), iso_utc(time.time()), summary.to_json())
    log(summary.saved_line())
    return {
        "rules": inventory.rules,
        "summary": summary.to_json(),
        "skipped": inventory.skipped[:50],
        "warnings": inventory.warnings[:50],
        "vehicleIdsWithVendorUrls": summary.vehicle_ids_with_vendor_urls,
    }
