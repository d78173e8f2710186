"""lambert-scraper's route table and endpoints (the entry file serves them)."""
from __future__ import annotations

from ..config import HANDOFF_MODES, SettingError
from ..photos.handoff import hand_off
from ..dealer_site.fetching import BotWall, ScrapeLimits, SiteError
from ..dealer_site.profiles import AUTO, get_profile
from ..dealer_site.saving import run_scrape
from . import openapi
from .checks import ApiError, only_fields
from .routing import Answer, Call, Route
from .shared import worker_routes

BINDINGS = ("DB", "IMAGE_PROCESSOR")
SECRETS = ("ADMIN_TOKEN",)


async def scrape(worker, trigger: str, handoff: str) -> Answer:
    """Scrape the dealer's site into D1 and hand the photos on; a site error is a 502, nothing saved."""
    try:
        start_url = worker.setting("SCRAPE_URL")
        profile_name = worker.setting("SITE_PROFILE")
        profile = None if profile_name == AUTO else get_profile(profile_name)
    except (SettingError, KeyError) as error:
        raise ApiError(503, str(error).strip("'\"")) from None
    limits = ScrapeLimits(max_page_bytes=worker.setting("MAX_PAGE_BYTES"),
                          max_vehicles=worker.setting("MAX_VEHICLES"))
    try:
        result = await run_scrape(worker.http(), worker.d1(), start_url, profile, trigger=trigger,
                                  respect_robots=worker.setting("RESPECT_ROBOTS_TXT"),
                                  guard_ratio=worker.setting("DEACTIVATION_GUARD_RATIO"), limits=limits)
    except BotWall as wall:
        print(f"🧱 Scrape blocked by the site's bot protection, nothing saved: {wall}")
        return Answer({"success": False, "error": f"blocked by the site's bot protection: {wall}",
                       "cause": str(wall), "siteStatus": wall.status, "marker": wall.marker}, 502)
    except SiteError as error:
        print(f"❌ Scrape failed, nothing saved: {error}")
        return Answer({"success": False, "error": f"dealer site unavailable: {error}", "cause": str(error)}, 502)
    triggered = hand_off(worker, result["vehicleIdsWithVendorUrls"], handoff)
    return Answer({"success": True, **result["summary"], "processingTriggered": triggered,
                   "skippedEntries": result["skipped"], "warningEntries": result["warnings"]})


async def scrape_now(call: Call) -> Answer:
    only_fields(call.body, {"handoff"})
    handoff = call.body.get("handoff", call.worker.setting("HANDOFF_MODE"))
    if handoff not in HANDOFF_MODES:
        raise ApiError(400, f"handoff must be one of {', '.join(HANDOFF_MODES)}, got {str(handoff)[:20]!r}")
    return await scrape(call.worker, "http", handoff)


ROUTES, SPEC = worker_routes(
    "lambert-scraper", "Reads the dealer's inventory into D1, then hands the vendor photos to the image processor.",
    BINDINGS, SECRETS, [
        Route("POST", "/api/scrape", scrape_now, "Scrape the dealer site now",
              openapi.json_answer("The scrape's summary.", openapi.ref("ScrapeResult")), admin=True,
              body=openapi.SCRAPE_BODY, errors=(400, 401, 413, 502, 503), tag="admin",
              description="Runs the whole scrape (as the cron does) and answers its summary. "
                          "`handoff` overrides HANDOFF_MODE for this run."),
    ], openapi.SCRAPER_SCHEMAS)
