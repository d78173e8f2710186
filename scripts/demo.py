"""npm run demo: the main job end to end on local defaults, then exit.

Starts the stack (demo dealer site with 150 vehicles and their photos on a vendor CDN, the
Cloudflare Images stand-in, both Workers under workerd), runs a scrape, watches the hand-off
upload the photos, lets the processor's cron drain what is left, and prints the final
`GET /api/image-status` JSON as its last line. One photo is broken at the vendor (404) on
purpose: it stays a vendor URL and is listed as a permanent failure.
"""
from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from dev.launcher import Stack  # noqa: E402

# Batch tokens: the demo's 2,800 photos would take 15 minutes under the account rate limit.
DEMO_PROCESSOR_VARS = {"IMAGES_BATCH_UPLOADS": "true"}
BROKEN_PHOTO = "/photos/L10005/2.png"
TIMEOUT_S = 600


def call(method: str, url: str, token: str | None = None, body=None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data, headers, method=method), timeout=120) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as error:
        return json.loads(error.read())


def progress_line(stats: dict) -> str:
    images = stats["images"]
    share = images["uploaded"] / images["total"] if images["total"] else 1
    return (f"  {images['uploaded']:>5} / {images['total']} images uploaded ({share:.0%}); vehicles: "
            f"{stats['fullyProcessed']} fully, {stats['partiallyProcessed']} partly, "
            f"{stats['needingProcessing']} not yet processed")


def main() -> None:
    with Stack(processor_vars=DEMO_PROCESSOR_VARS, quiet=False) as stack:
        stack.standins.site.set_knobs({"photo_faults": {BROKEN_PHOTO: 404}})
        token = stack.secrets["ADMIN_TOKEN"]
        for name, url in (("lambert-scraper", stack.scraper_url), ("image-processor", stack.processor_url)):
            health = call("GET", url + "/")
            print(f"{name}: Python {health['runtime']['python']} on {health['runtime']['platform']} at {url}")

        print("\nPhase 1: scrape")
        scrape = call("POST", stack.scraper_url + "/api/scrape", token, {})
        print(f"  {scrape['found']} vehicles found ({scrape['new']} new), {scrape['vendorUrlsQueued']} vendor URLs "
              f"saved in {scrape['durationMs']} ms server-side; processing triggered: {scrape['processingTriggered']}")

        print("\nPhase 2: images (the hand-off first, then the processor's cron drains the rest)")
        started = time.time()
        status_url = stack.processor_url + "/api/image-status"
        cron_url = stack.cron_url
        last_change, last_uploaded = time.time(), -1
        while time.time() - started < TIMEOUT_S:
            stats = call("GET", status_url)["stats"]
            print(progress_line(stats), flush=True)
            if stats["images"]["pending"] == 0:
                break
            if stats["images"]["uploaded"] != last_uploaded:
                last_change, last_uploaded = time.time(), stats["images"]["uploaded"]
            handoff_done = "Drain finished (handoff)" in stack.workers["processor"].log_text()
            stalled = time.time() - last_change > 10
            if (handoff_done or stalled) and stats["images"]["inProgress"] == 0:
                urllib.request.urlopen(cron_url, timeout=120).read()    # one cron tick, as Cloudflare would
            else:
                time.sleep(2)
        print(f"  done in {time.time() - started:.1f} s")

        failures = call("GET", stack.processor_url + "/api/failures", token)
        for failure in failures["failures"]:
            print(f"  kept as vendor URL: {failure['source_url']} ({failure['last_error']})")
        print(json.dumps(call("GET", status_url)))


if __name__ == "__main__":
    main()
