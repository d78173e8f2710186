"""Phase 1: read the dealer's inventory and save it to D1 at once, vendor photo URLs included.

fetch_inventory() talks to the site (politely: own User-Agent, robots.txt, at most 6 requests at
once); plan_save() is the pure merge of what was found with what the database holds; run_scrape()
ties them to the database in a fixed number of round trips, whatever the inventory's size.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from . import db, iso_utc
from .extract import Vehicle, extract_page, photos_from_detail
from .http import TransportError

USER_AGENT = "LambertInventorySync/0.1 (+inventory sync bot)"
MAX_IN_FLIGHT = 6          # the Workers limit of simultaneous connections per invocation
PAGE_RETRIES = (0.5, 1.0)  # waits before the second and third try of a failed page


class SiteError(Exception):
    """The dealer site could not be read completely; nothing is written."""


@dataclass
class Inventory:
    vehicles: list[Vehicle]
    skipped: list[dict]
    pages: int
    requests: int
    truncated: bool = False     # stopped at max_pages: some vehicles were not seen


async def _get_page(http, url: str, timeout_s: float, counter: list) -> str:
    last_problem = ""
    for attempt, wait in enumerate((0, *PAGE_RETRIES)):
        if wait:
            await asyncio.sleep(wait)
        counter[0] += 1
        try:
            response = await http.request("GET", url, headers={"User-Agent": USER_AGENT,
                                                               "Accept": "text/html"}, timeout_s=timeout_s)
        except TransportError as error:
            last_problem = f"no answer from {url} ({error})"
            continue
        if response.ok:
            return response.text()
        last_problem = f"{url} answered HTTP {response.status}"
        if response.status < 500 and response.status != 429:
            break
    raise SiteError(last_problem)


async def _robots_allows(http, url: str, timeout_s: float, counter: list) -> bool:
    parts = urlsplit(url)
    robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
    counter[0] += 1
    try:
        response = await http.request("GET", robots_url, headers={"User-Agent": USER_AGENT}, timeout_s=timeout_s)
    except TransportError as error:
        raise SiteError(f"no answer from {robots_url} ({error})") from None
    if response.status >= 500:
        raise SiteError(f"{robots_url} answered HTTP {response.status}")
    if not response.ok:          # no robots.txt: everything is allowed
        return True
    parser = RobotFileParser()
    parser.parse(response.text().splitlines())
    return parser.can_fetch(USER_AGENT, url)


async def fetch_inventory(http, start_url: str, profile: dict, *, respect_robots: bool = True,
                          timeout_s: float = 10.0, log=print) -> Inventory:
    counter = [0]
    if respect_robots and not await _robots_allows(http, start_url, timeout_s, counter):
        raise SiteError(f"robots.txt of {urlsplit(start_url).netloc} disallows {start_url}")

    vehicles: list[Vehicle] = []
    skipped: list[dict] = []
    seen_pages, url = set(), start_url
    while url and url not in seen_pages and len(seen_pages) < profile.get("max_pages", 40):
        seen_pages.add(url)
        page = extract_page(await _get_page(http, url, timeout_s, counter), url, profile)
        log(f"  📄 Page {len(seen_pages)}: {len(page.vehicles)} vehicles ({len(page.skipped)} skipped)")
        vehicles += page.vehicles
        skipped += page.skipped
        url = page.next_url

    # Listed twice across pages: keep the first.
    unique, keys = [], set()
    for vehicle in vehicles:
        if vehicle.key in keys:
            skipped.append({"reason": "listed twice", "entry": vehicle.key})
            continue
        keys.add(vehicle.key)
        unique.append(vehicle)

    mode = profile.get("detail_pages", "never")
    need_detail = [v for v in unique if v.detail_url and (mode == "always" or (mode == "if_no_photos"
                                                                               and not v.photos))]
    if need_detail:
        gate = asyncio.Semaphore(MAX_IN_FLIGHT)

        async def fill(vehicle: Vehicle):
            async with gate:
                try:
                    html = await _get_page(http, vehicle.detail_url, timeout_s, counter)
                except SiteError as error:     # one bad detail page costs its photos, not the scrape
                    skipped.append({"reason": f"detail page unavailable: {error}", "entry": vehicle.key})
                    return
            vehicle.photos = photos_from_detail(html, vehicle.detail_url, profile) or vehicle.photos

        await asyncio.gather(*(fill(v) for v in need_detail))
        log(f"  🔎 Read {len(need_detail)} detail pages for photos")
    truncated = bool(url) and url not in seen_pages
    if truncated:
        log(f"  ⚠️ Stopped at the profile's max_pages ({profile.get('max_pages', 40)}); more pages were listed")
    return Inventory(unique, skipped, len(seen_pages), counter[0], truncated)


# --- merging with the database (pure) --------------------------------------------------------

def content_hash(vehicle: Vehicle) -> str:
    data = vehicle.to_dict()
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:32]


def is_image_id(entry: str) -> bool:
    return not str(entry).startswith("http")


def merge_images(photos: list[str], old_images: list[str], old_sources: list[str]) -> list[str]:
    """The new image list: each photo keeps the id it was uploaded under, new photos enter as URLs."""
    uploaded = {source: image for source, image in zip(old_sources, old_images) if is_image_id(image)}
    return [uploaded.get(url, url) for url in photos]


@dataclass
class SavePlan:
    rows: list[dict] = field(default_factory=list)      # vehicles to insert or update
    new: int = 0
    updated: int = 0
    reactivated: int = 0
    unchanged: int = 0
    deactivate_ids: list[int] = field(default_factory=list)
    deactivation_refused: str | None = None


def plan_save(found: list[Vehicle], existing: list[dict], guard_ratio: float = 0.5,
              complete: bool = True) -> SavePlan:
    plan = SavePlan()
    by_key = {row["vehicle_key"]: row for row in existing}
    for vehicle in found:
        digest = content_hash(vehicle)
        old = by_key.get(vehicle.key)
        if old and old["content_hash"] == digest and old["status"] == "active":
            plan.unchanged += 1
            continue
        images = merge_images(vehicle.photos, json.loads(old["images"]), json.loads(old["source_images"])) \
            if old else list(vehicle.photos)
        plan.rows.append({
            "vehicle_key": vehicle.key, "vin": vehicle.vin, "vin_valid": 1 if vehicle.vin_valid else 0,
            "stock_number": vehicle.stock_number, "year": vehicle.year, "make": vehicle.make,
            "model": vehicle.model, "trim": vehicle.trim, "price": vehicle.price, "mileage": vehicle.mileage,
            "exterior_color": vehicle.exterior_color, "detail_url": vehicle.detail_url,
            "featured": 1 if vehicle.featured else 0, "images": json.dumps(images),
            "source_images": json.dumps(vehicle.photos), "content_hash": digest,
        })
        if not old:
            plan.new += 1
        elif old["status"] == "inactive":
            plan.reactivated += 1
        else:
            plan.updated += 1

    listed = {v.key for v in found}
    active_before = [row for row in existing if row["status"] == "active"]
    gone = [row["id"] for row in active_before if row["vehicle_key"] not in listed]
    if gone:
        if not complete:
            plan.deactivation_refused = (
                f"the listing was cut off at the profile's max_pages; refusing to deactivate {len(gone)} vehicles")
        elif not found:
            plan.deactivation_refused = (
                f"the site listed no vehicles; refusing to deactivate {len(gone)} known vehicles")
        elif len(found) < guard_ratio * len(active_before):
            plan.deactivation_refused = (
                f"the site listed {len(found)} vehicles, far fewer than the {len(active_before)} active "
                f"before (under {guard_ratio:.0%}); refusing to deactivate {len(gone)} vehicles")
        else:
            plan.deactivate_ids = gone
    return plan


async def run_scrape(http, d1, start_url: str, profile: dict, *, trigger: str, respect_robots: bool = True,
                     guard_ratio: float = 0.5, log=print) -> dict:
    """Scrape and save. Raises SiteError (before any write) when the site cannot be read."""
    started = time.time()
    log(f"🚗 Starting scrape of {start_url} ({trigger})")
    inventory = await fetch_inventory(http, start_url, profile, respect_robots=respect_robots, log=log)
    log(f"  ✅ Found {len(inventory.vehicles)} vehicles on {inventory.pages} pages "
        f"({len(inventory.skipped)} entries skipped)")

    trips_before = d1.round_trips
    plan = plan_save(inventory.vehicles, await db.load_vehicles_for_merge(d1), guard_ratio,
                     complete=not inventory.truncated)
    now = iso_utc(time.time())
    statements = []
    for row in plan.rows:
        statements += db.upsert_vehicle_statements(row, now)
    statements += db.deactivate_statements(plan.deactivate_ids, now)
    results = await d1.batch(statements) if statements else []
    saved_ids = [rows[0]["id"] for rows in results[0:2 * len(plan.rows):2]]
    if plan.deactivation_refused:
        log(f"  ⚠️ {plan.deactivation_refused}")

    vendor_ids = await db.active_ids_with_vendor_urls(d1)
    queued = await db.active_vendor_url_count(d1)
    summary = {
        "found": len(inventory.vehicles), "new": plan.new, "updated": plan.updated,
        "reactivated": plan.reactivated, "unchanged": plan.unchanged,
        "deactivated": len(plan.deactivate_ids), "skipped": len(inventory.skipped),
        "vendorUrlsQueued": queued, "vehiclesWithVendorUrls": len(vendor_ids),
        "deactivationRefused": plan.deactivation_refused, "pages": inventory.pages,
        "siteRequests": inventory.requests, "savedIds": len(saved_ids),
    }
    summary["durationMs"] = int((time.time() - started) * 1000)
    summary["d1RoundTrips"] = d1.round_trips - trips_before + 1   # + the run record below
    await db.record_run(d1, "scrape", trigger, iso_utc(started), iso_utc(time.time()), summary)
    log(f"  💾 Saved: {plan.new} new, {plan.updated} updated, {plan.unchanged} unchanged, "
        f"{len(plan.deactivate_ids)} deactivated, {summary['vendorUrlsQueued']} vendor URLs queued")
    return {"summary": summary, "skipped": inventory.skipped[:50], "vehicleIdsWithVendorUrls": vendor_ids}
