"""lambert-scraper's route table and endpoints (the entry file serves them)."""

from __future__ import annotations

import time

from .. import db, iso_utc
from ..config import HANDOFF_MODES, SettingError
from ..dealer_site.fetching import BotWall, ScrapeLimits, SiteError
from ..dealer_site.galleries import GalleryReader, read_galleries
from ..dealer_site.profiles import AUTO, get_profile
from ..dealer_site.saving import run_scrape
from ..gathered_log import GatheredLog
from ..photos.handoff import hand_off, handoff_route
from . import openapi
from .checks import ApiError, only_fields
from .routing import Answer, Call, Route
from .shared import worker_routes

BINDINGS = ("DB", "IMAGE_PROCESSOR")
SECRETS = ("ADMIN_TOKEN",)


def _site_settings(worker) -> tuple[str, dict | None, ScrapeLimits]:
    """The start URL, the profile (None: detect it) and the limits; ApiError 503 when not configured."""
    try:
        start_url, profile_name = worker.setting("SCRAPE_URL"), worker.setting("SITE_PROFILE")
        profile = None if profile_name == AUTO else get_profile(profile_name)
    except (SettingError, KeyError) as error:
        raise ApiError(503, str(error).strip("'\"")) from None
    limits = ScrapeLimits(
        max_page_bytes=worker.setting("MAX_PAGE_BYTES"), max_vehicles=worker.setting("MAX_VEHICLES")
    )
    return start_url, profile, limits


def _site_error_answer(error: SiteError) -> Answer:
    if isinstance(error, BotWall):
        print(f"🧱 Scrape blocked by the site's bot protection, nothing saved: {error}")
        body = {
            "error": f"blocked by the site's bot protection: {error}",
            "siteStatus": error.status,
            "marker": error.marker,
        }
    else:
        print(f"❌ Scrape failed, nothing saved: {error}")
        body = {"error": f"dealer site unavailable: {error}"}
    return Answer({"success": False, **body, "cause": str(error)}, 502)


async def _record_failure(worker, error: SiteError) -> None:
    """Remember the failure (no vehicle is touched): the processor deletes no sold vehicle's images
    while the last scrape failed (photos/lifecycle.py)."""
    try:
        await worker.d1().batch([db.scrape_failure_statement(iso_utc(time.time()), str(error))])
    except Exception as problem:  # the 502 matters more than the record
        print(f"⚠️ Could not record the failed scrape: {problem}")


async def scrape(worker, trigger: str, handoff: str) -> Answer:
    """Scrape the dealer's site into D1 and hand the photos on; a site error is a 502, nothing saved."""
    start_url, profile, limits = _site_settings(worker)
    log = GatheredLog(worker.log)  # a scrape's lines in a few writes (inventory/gathered_log.py)
    try:
        result = await run_scrape(
            worker.http(),
            worker.d1(),
            start_url,
            profile,
            trigger=trigger,
            respect_robots=worker.setting("RESPECT_ROBOTS_TXT"),
            guard_ratio=worker.setting("DEACTIVATION_GUARD_RATIO"),
            limits=limits,
            gallery_max_age_hours=worker.setting("GALLERY_MAX_AGE_HOURS"),
            log=log,
        )
    except SiteError as error:
        log.flush()
        await _record_failure(worker, error)
        return _site_error_answer(error)
    finally:
        log.flush()
    if result["summary"]["galleriesDue"]:
        reader = _gallery_reader(worker, start_url, result["rules"], limits, trigger)
        triggered, send = handoff_route(worker, handoff)
        worker.wait_until(_galleries_then_hand_off(worker, reader, send))
    else:
        triggered = hand_off(worker, result["vehicleIdsWithVendorUrls"], handoff)
    return Answer(
        {
            "success": True,
            **result["summary"],
            "processingTriggered": triggered,
            "skippedEntries": result["skipped"],
            "warningEntries": result["warnings"],
        }
    )


def _gallery_reader(worker, start_url: str, rules: dict, limits: ScrapeLimits, trigger: str) -> GalleryReader:
    return GalleryReader(
        worker.http(),
        worker.d1(),
        start_url,
        rules,
        limits,
        respect_robots=worker.setting("RESPECT_ROBOTS_TXT"),
        max_age_hours=worker.setting("GALLERY_MAX_AGE_HOURS"),
        max_reads=worker.setting("GALLERY_READS_PER_RUN"),
        trigger=trigger,
        log=GatheredLog(worker.log),
    )


async def _galleries_then_hand_off(worker, reader: GalleryReader, send) -> None:
    """After the answer: read the due galleries, then hand every vehicle with vendor URLs on (the
    ones whose gallery just arrived among them). A failure here loses nothing: the cron goes on."""
    try:
        await read_galleries(reader)
    except Exception as error:
        print(f"🖼️ Galleries: the run failed (the scrape is saved): {type(error).__name__}: {error}")
    finally:
        reader.log.flush()
    if send is None:
        return
    vehicle_ids, _ = await db.active_vendor_urls(reader.d1)
    if vehicle_ids:
        await send(worker, vehicle_ids)


async def scrape_now(call: Call) -> Answer:
    only_fields(call.body, {"handoff"})
    handoff = call.body.get("handoff", call.worker.setting("HANDOFF_MODE"))
    if handoff not in HANDOFF_MODES:
        raise ApiError(400, f"handoff must be one of {', '.join(HANDOFF_MODES)}, got {str(handoff)[:20]!r}")
    return await scrape(call.worker, "http", handoff)


ROUTES, SPEC = worker_routes(
    "lambert-scraper",
    "Reads the dealer's inventory into D1, then hands the vendor photos to the image processor.",
    BINDINGS,
    SECRETS,
    [
        Route(
            "POST",
            "/api/scrape",
            scrape_now,
            "Scrape the dealer site now",
            openapi.json_answer("The scrape's summary.", openapi.ref("ScrapeResult")),
            admin=True,
            body=openapi.SCRAPE_BODY,
            errors=(400, 401, 413, 502, 503),
            tag="admin",
            description="Runs the whole scrape (as the cron does) and answers its summary. "
            "`handoff` overrides HANDOFF_MODE for this run.",
        )
    ],
    openapi.SCRAPER_SCHEMAS,
)
