"""npm run demo: the main job end to end on local defaults, then exit.

Starts the stack (demo dealer site with 150 vehicles and their photos on a vendor CDN, the
Cloudflare Images stand-in, both Workers under workerd), runs a scrape, watches the hand-off
upload the photos, lets the processor's cron drain what is left, and prints the final
`GET /api/image-status` JSON as its last line. Before it, phase 3 shows the inventory coming out:
a page of the read API (and the same page again, from the Workers cache) and the listing feeds.
One photo is broken at the vendor (404) on purpose: it stays a vendor URL and is listed as a
permanent failure.

The demo site has the shape most dealer platforms have: 100 ms per page, one thumbnail per vehicle
in the listing and the gallery on each detail page, which the scraper reads after it answers.
"""

from __future__ import annotations

import json
import time
import urllib.request

from dev.client import Api
from dev.launcher import Stack, photo_vars_for, site_vars_from_environment

# Batch tokens: the demo's 2,800 photos would take 15 minutes under the account rate limit.
DEMO_PROCESSOR_VARS = {"IMAGES_BATCH_UPLOADS": "true"}
BROKEN_PHOTO = "/photos/L10005/2.png"
REALISTIC_SITE = {"thumbnails_only": True, "latency_ms": 100, "photo_faults": {BROKEN_PHOTO: 404}}
TIMEOUT_S = 600
# The made-up demo dealer's details, which the listing feeds need (your own in production).
DEMO_DEALER_VARS = {
    "GOOGLE_STORE_CODE": "DEMO-1",
    "DEALER_NAME": "Lambert Motors (demo)",
    "DEALER_ADDRESS": "100 Example Avenue; Springfield; IL; 62701; US",
}


def progress_line(stats: dict) -> str:
    images = stats["images"]
    share = images["uploaded"] / images["total"] if images["total"] else 1
    return (
        f"  {images['uploaded']:>5} / {images['total']} images uploaded ({share:.0%}); vehicles: "
        f"{stats['fullyProcessed']} fully, {stats['partiallyProcessed']} partly, "
        f"{stats['needingProcessing']} not yet processed"
    )


def show_runtimes(stack, api: Api) -> None:
    for name, url in (("lambert-scraper", stack.scraper_url), ("image-processor", stack.processor_url)):
        health = api.call("GET", url + "/", token=None)[1]
        print(f"{name}: Python {health['runtime']['python']} on {health['runtime']['platform']} at {url}")


def scrape(stack, api: Api) -> None:
    print("\nPhase 1: scrape")
    answer = api.call("POST", stack.scraper_url + "/api/scrape", {})[1]
    print(
        f"  {answer['found']} vehicles found ({answer['new']} new) and saved in {answer['durationMs']} ms "
        f"server-side ({answer['pages']} pages); {answer['vendorUrlsQueued']} vendor URLs ready to upload, "
        f"{answer['galleriesDue']} galleries to read in the background first; "
        f"processing triggered: {answer['processingTriggered']}"
    )


def image_status(stack, api: Api) -> dict:
    return api.call("GET", stack.processor_url + "/api/image-status", token=None)[1]


def upload_images(stack, api: Api) -> None:
    print("\nPhase 2: images (the hand-off first, then the processor's cron drains the rest)")
    started = time.time()
    last_change, last_uploaded = time.time(), -1
    while time.time() - started < TIMEOUT_S:
        stats = image_status(stack, api)["stats"]
        print(progress_line(stats), flush=True)
        if stats["images"]["pending"] == 0:
            break
        if stats["images"]["uploaded"] != last_uploaded:
            last_change, last_uploaded = time.time(), stats["images"]["uploaded"]
        handoff_done = "Drain finished (handoff)" in stack.workers["processor"].log_text()
        stalled = time.time() - last_change > 10
        if (handoff_done or stalled) and stats["images"]["inProgress"] == 0:
            api.call("GET", stack.cron_url, token=None)  # one cron tick, as Cloudflare would
        else:
            time.sleep(2)
    print(f"  done in {time.time() - started:.1f} s")


def show_failures(stack, api: Api) -> None:
    failures = api.call("GET", stack.processor_url + "/api/failures")[1]
    for failure in failures["failures"]:
        print(f"  kept as vendor URL: {failure['source_url']} ({failure['last_error']})")


def read_api(url: str) -> tuple[dict, dict]:
    with urllib.request.urlopen(url, timeout=60) as answer:
        return json.loads(answer.read()), {k.lower(): v for k, v in answer.headers.items()}


def show_inventory_out(stack) -> None:
    print("\nPhase 3: inventory out (the read API and the listing feeds)")
    url = stack.scraper_url + "/api/vehicles?sort=price&order=asc&limit=100"
    page, first = read_api(url)
    _, again = read_api(url)
    cheapest = page["vehicles"][0] if page["vehicles"] else None
    print(
        f"  GET /api/vehicles: {page['count']} of {page['total']} active vehicles on the first page "
        f"(X-Cache {first.get('x-cache')}, {first.get('x-d1-round-trips')} D1 round trips; the same page "
        f"again: X-Cache {again.get('x-cache')}, {again.get('x-d1-round-trips')} D1 round trips)"
    )
    if cheapest:
        photo = cheapest["photos"][0]["url"] if cheapest["photos"] else "no photo"
        print(f"  cheapest: {cheapest['title']} at {cheapest['price']}, first photo {photo}")
    status, _ = read_api(stack.scraper_url + "/api/feeds/status")
    for feed in status["feeds"].values():
        reasons = "; ".join(f"{reason}: {r['vehicles']}" for reason, r in feed["reasons"].items()) or "none"
        print(
            f"  {stack.scraper_url}{feed['path']}: {feed['included']} vehicles listed, "
            f"{feed['leftOut']} left out ({reasons})"
        )


def main() -> None:
    site_vars = site_vars_from_environment()  # SCRAPE_URL / SITE_PROFILE: try your own dealer's site
    dealer = {} if site_vars.get("SCRAPE_URL") else DEMO_DEALER_VARS  # your own site: your own details
    site_vars = {**dealer, **site_vars}
    processor_vars = {**DEMO_PROCESSOR_VARS, **dealer, **photo_vars_for(site_vars)}
    with Stack(processor_vars=processor_vars, scraper_vars=site_vars, quiet=False) as stack:
        stack.standins.site.set_knobs(REALISTIC_SITE)
        api = Api(stack.secrets["ADMIN_TOKEN"])
        show_runtimes(stack, api)
        scrape(stack, api)
        upload_images(stack, api)
        show_failures(stack, api)
        show_inventory_out(stack)
        print(json.dumps(image_status(stack, api)))


if __name__ == "__main__":
    main()
