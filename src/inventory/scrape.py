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
from .net.http import HttpResponse, RedirectRefused, ResponseTooLarge, TransportError, get_following_redirects
from .net.url_guard import same_site

USER_AGENT = "LambertInventorySync/0.1 (+inventory sync bot)"
MAX_IN_FLIGHT = 6          # the Workers limit of simultaneous connections per invocation
PAGE_RETRIES = (0.5, 1.0)  # waits before the second and third try of a failed page


class SiteError(Exception):
    """The dealer site could not be read completely; nothing is written."""


@dataclass
class ScrapeLimits:
    """What one scrape will read at most (settings MAX_PAGE_BYTES and MAX_VEHICLES)."""
    max_page_bytes: int = 5 * 1024 * 1024
    max_vehicles: int = 5000
    timeout_s: float = 10.0


@dataclass
class Inventory:
    vehicles: list[Vehicle]
    skipped: list[dict]
    pages: int
    requests: int
    truncated: bool = False     # stopped at max_pages: some vehicles were not seen
    warnings: list[dict] = field(default_factory=list)


class Site:
    """The dealer's site as one scrape reads it: its hosts, politeness and limits."""

    def __init__(self, http, start_url: str, profile: dict, limits: ScrapeLimits):
        self.http, self.start_url, self.limits = http, start_url, limits
        self.hosts = site_hosts(start_url, profile.get("hosts") or [])
        self.requests = 0

    def refuse(self, url: str) -> str | None:
        """Why the scrape must not follow a link or redirect to `url` (pages stay on the dealer's hosts)."""
        return None if same_site(url, self.start_url, self.hosts) else "not on the dealer's site"

    async def get(self, url: str, accept) -> HttpResponse:
        """GET with up to three tries for no answer, 5xx and 429; `accept(status)` ends the retries."""
        last_problem = ""
        for wait in (0, *PAGE_RETRIES):
            if wait:
                await asyncio.sleep(wait)
            self.requests += 1
            try:
                response, _ = await get_following_redirects(
                    self.http, url, check_url=self.refuse, timeout_s=self.limits.timeout_s,
                    max_bytes=self.limits.max_page_bytes,
                    headers={"User-Agent": USER_AGENT, "Accept": "text/html"})
            except TransportError as error:
                last_problem = f"no answer from {url} ({error})"
                continue
            except ResponseTooLarge as error:
                raise SiteError(f"{url} is larger than MAX_PAGE_BYTES ({error.limit} bytes)") from None
            except RedirectRefused as error:
                raise SiteError(str(error)) from None
            if accept(response.status) or (response.status < 500 and response.status != 429):
                return response
            last_problem = f"{url} answered HTTP {response.status}"
        raise SiteError(last_problem)

    async def page(self, url: str) -> str:
        response = await self.get(url, accept=lambda status: 200 <= status < 300)
        if not response.ok:
            raise SiteError(f"{url} answered HTTP {response.status}")
        return response.text()

    async def robots_allow(self, url: str) -> bool:
        parts = urlsplit(url)
        response = await self.get(f"{parts.scheme}://{parts.netloc}/robots.txt", accept=lambda status: status < 500)
        if not response.ok:          # no robots.txt: everything is allowed
            return True
        parser = RobotFileParser()
        parser.parse(response.text().splitlines())
        return parser.can_fetch(USER_AGENT, url)


def site_hosts(start_url: str, extra: list[str]) -> list[str]:
    """The start URL's host, its www./bare twin (a common redirect) and the profile's extra hosts."""
    host = (urlsplit(start_url).hostname or "").lower()
    twin = host[4:] if host.startswith("www.") else f"www.{host}"
    return [twin, *(h.lower() for h in extra)]


def _unique(vehicles: list[Vehicle], skipped: list[dict]) -> list[Vehicle]:
    """Listed twice across pages: keep the first."""
    unique, keys = [], set()
    for vehicle in vehicles:
        if vehicle.key in keys:
            skipped.append({"reason": "listed twice", "entry": vehicle.key})
            continue
        keys.add(vehicle.key)
        unique.append(vehicle)
    return unique


async def _read_listing(site: Site, profile: dict, log) -> tuple[list, list, list, int, str | None]:
    vehicles, skipped, warnings = [], [], []
    seen_pages, url = set(), site.start_url
    while url and url not in seen_pages and len(seen_pages) < profile.get("max_pages", 40):
        seen_pages.add(url)
        page = extract_page(await site.page(url), url, profile)
        log(f"  📄 Page {len(seen_pages)}: {len(page.vehicles)} vehicles ({len(page.skipped)} skipped)")
        vehicles += page.vehicles
        skipped += page.skipped
        warnings += getattr(page, "warnings", [])
        if len(vehicles) > site.limits.max_vehicles:
            raise SiteError(f"the site listed more than MAX_VEHICLES ({site.limits.max_vehicles}) vehicles "
                            f"by page {len(seen_pages)}; nothing saved")
        url = page.next_url
        if url and (reason := site.refuse(url)):
            warnings.append({"reason": f"next page link not followed: {reason}", "entry": url[:200]})
            log(f"  ⚠️ Next page {url[:120]} is not on the dealer's site: not followed")
            url = None
    return vehicles, skipped, warnings, len(seen_pages), url if url not in seen_pages else None


async def _read_detail_pages(site: Site, vehicles: list[Vehicle], profile: dict, skipped: list, log) -> None:
    mode = profile.get("detail_pages", "never")
    need_detail = [v for v in vehicles if v.detail_url and not site.refuse(v.detail_url) and (
        mode == "always" or (mode == "if_no_photos" and not v.photos))]
    if not need_detail:
        return
    gate = asyncio.Semaphore(MAX_IN_FLIGHT)

    async def fill(vehicle: Vehicle):
        async with gate:
            try:
                html = await site.page(vehicle.detail_url)
            except SiteError as error:     # one bad detail page costs its photos, not the scrape
                skipped.append({"reason": f"detail page unavailable: {error}", "entry": vehicle.key})
                return
        vehicle.photos = photos_from_detail(html, vehicle.detail_url, profile) or vehicle.photos

    await asyncio.gather(*(fill(v) for v in need_detail))
    log(f"  🔎 Read {len(need_detail)} detail pages for photos")


async def fetch_inventory(http, start_url: str, profile: dict, *, respect_robots: bool = True,
                          limits: ScrapeLimits | None = None, log=print) -> Inventory:
    site = Site(http, start_url, profile, limits or ScrapeLimits())
    if respect_robots and not await site.robots_allow(start_url):
        raise SiteError(f"robots.txt of {urlsplit(start_url).netloc} disallows {start_url}")
    vehicles, skipped, warnings, pages, unread = await _read_listing(site, profile, log)
    unique = _unique(vehicles, skipped)
    await _read_detail_pages(site, unique, profile, skipped, log)
    if unread:
        log(f"  ⚠️ Stopped at the profile's max_pages ({profile.get('max_pages', 40)}); more pages were listed")
    return Inventory(unique, skipped, pages, site.requests, bool(unread), warnings)


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
    photo_lists_kept: str | None = None


def keep_photo_lists(found: list[Vehicle], by_key: dict, guard_ratio: float = 0.5) -> str | None:
    """The photo guard: when more than half of the listed vehicles that had photos now show none (a
    layout change on the photo markup, most likely), they keep their photo lists. Says so, or None."""
    had_photos = [(v, by_key[v.key]) for v in found
                  if v.key in by_key and json.loads(by_key[v.key]["source_images"])]
    emptied = [(v, row) for v, row in had_photos if not v.photos]
    if not emptied or len(emptied) <= guard_ratio * len(had_photos):
        return None
    for vehicle, row in emptied:
        vehicle.photos = json.loads(row["source_images"])
    return (f"the site showed no photos for {len(emptied)} of the {len(had_photos)} vehicles that had photos; "
            f"their photo lists are kept")


def _d1_value(value):
    """D1 binds Python ints as JavaScript numbers: beyond 2**53 they would become BigInt, which it refuses."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53 - 1:
        return None
    return value


def _row(vehicle: Vehicle, images: list[str], digest: str) -> dict:
    row = {"vehicle_key": vehicle.key, "vin": vehicle.vin, "vin_valid": 1 if vehicle.vin_valid else 0,
           "stock_number": vehicle.stock_number, "year": vehicle.year, "make": vehicle.make,
           "model": vehicle.model, "trim": vehicle.trim, "price": vehicle.price, "mileage": vehicle.mileage,
           "exterior_color": vehicle.exterior_color, "detail_url": vehicle.detail_url,
           "featured": 1 if vehicle.featured else 0, "images": json.dumps(images),
           "source_images": json.dumps(vehicle.photos), "content_hash": digest}
    return {name: _d1_value(value) for name, value in row.items()}


def plan_save(found: list[Vehicle], existing: list[dict], guard_ratio: float = 0.5,
              complete: bool = True) -> SavePlan:
    plan = SavePlan()
    by_key = {row["vehicle_key"]: row for row in existing}
    plan.photo_lists_kept = keep_photo_lists(found, by_key, guard_ratio)
    for vehicle in found:
        digest = content_hash(vehicle)
        old = by_key.get(vehicle.key)
        if old and old["content_hash"] == digest and old["status"] == "active":
            plan.unchanged += 1
            continue
        images = merge_images(vehicle.photos, json.loads(old["images"]), json.loads(old["source_images"])) \
            if old else list(vehicle.photos)
        plan.rows.append(_row(vehicle, images, digest))
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
                     guard_ratio: float = 0.5, limits: ScrapeLimits | None = None, log=print) -> dict:
    """Scrape and save. Raises SiteError (before any write) when the site cannot be read."""
    started = time.time()
    log(f"🚗 Starting scrape of {start_url} ({trigger})")
    inventory = await fetch_inventory(http, start_url, profile, respect_robots=respect_robots, limits=limits,
                                      log=log)
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
    for refusal in (plan.deactivation_refused, plan.photo_lists_kept):
        if refusal:
            log(f"  ⚠️ {refusal}")

    vendor_ids = await db.active_ids_with_vendor_urls(d1)
    queued = await db.active_vendor_url_count(d1)
    summary = {
        "found": len(inventory.vehicles), "new": plan.new, "updated": plan.updated,
        "reactivated": plan.reactivated, "unchanged": plan.unchanged,
        "deactivated": len(plan.deactivate_ids), "skipped": len(inventory.skipped),
        "vendorUrlsQueued": queued, "vehiclesWithVendorUrls": len(vendor_ids),
        "deactivationRefused": plan.deactivation_refused, "photoListsKept": plan.photo_lists_kept,
        "warnings": len(inventory.warnings), "pages": inventory.pages,
        "siteRequests": inventory.requests, "savedIds": len(saved_ids),
    }
    summary["durationMs"] = int((time.time() - started) * 1000)
    summary["d1RoundTrips"] = d1.round_trips - trips_before + 1   # + the run record below
    await db.record_run(d1, "scrape", trigger, iso_utc(started), iso_utc(time.time()), summary)
    log(f"  💾 Saved: {plan.new} new, {plan.updated} updated, {plan.unchanged} unchanged, "
        f"{len(plan.deactivate_ids)} deactivated, {summary['vendorUrlsQueued']} vendor URLs queued")
    return {"summary": summary, "skipped": inventory.skipped[:50], "warnings": inventory.warnings[:50],
            "vehicleIdsWithVendorUrls": vendor_ids}
