"""Benchmarks of the two Workers under `wrangler dev` (npm run bench).

Every figure is a RATIO or a COUNT measured within one run, so the noise of the machine mostly
cancels out; nothing here asserts on time. The table goes to bench/RESULTS.md (overwritten) and a
short summary to stdout.

Adding a benchmark: write one more function `def name() -> list[Row]` (start what it needs with
`lab(...)`) and append it to BENCHMARKS.

Ports are the standard ones unless the environment says otherwise, e.g. to run beside a dev stack:
  SCRAPER_PORT=48787 PROCESSOR_PORT=48788 DEMO_SITE_PORT=48790 IMAGES_API_PORT=48791 \
  VENDOR_CDN_PORT=48792 SCRAPER_INSPECTOR_PORT=49231 PROCESSOR_INSPECTOR_PORT=49230 npm run bench
"""
from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

# wrangler dev watches src/ and reloads a Worker when a file there changes: never write .pyc there.
sys.dont_write_bytecode = True
ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT / "src", ROOT):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

STANDARD_PORTS = {"SCRAPER_PORT": 8787, "PROCESSOR_PORT": 8788, "DEMO_SITE_PORT": 8790,
                  "IMAGES_API_PORT": 8791, "VENDOR_CDN_PORT": 8792,
                  "SCRAPER_INSPECTOR_PORT": 9231, "PROCESSOR_INSPECTOR_PORT": 9230}
for _name, _port in STANDARD_PORTS.items():
    os.environ.setdefault(_name, str(_port))

from dev.launcher import Stack  # noqa: E402
from tests.conftest import Api, Database, seed_vehicles  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
REPEATS = 3                       # medians of this many runs where a duration is compared
SCRAPE_REPEATS = 5                # scrapes take under a second: more of them, steadier medians
# The API budget would otherwise throttle back-to-back runs; the benchmarks measure concurrency.
PROCESSOR_VARS = {"IMAGES_API_REQUESTS_PER_MINUTE": "1000"}


@dataclass
class Row:
    figure: str
    value: str
    how: str          # how it was measured, raw samples included
    limit: str
    within: bool | None = None   # None: informative, no limit to meet


class WorkerRestarted(Exception):
    """wrangler dev reloaded a Worker during a request (a file under src/ changed)."""


class BenchError(Exception):
    pass


# --- the stack and what the benchmarks do with it ----------------------------------------------

class Lab:
    """A running Stack with the few actions the benchmarks need."""

    def __init__(self, stack: Stack):
        self.stack = stack
        self.api = Api(stack.secrets["ADMIN_TOKEN"])
        self.database = Database(stack.state_dir)

    def reset(self) -> None:
        """Empty database, stand-ins back to their default knobs and zero counters."""
        self.database.clear()
        for url in (self.stack.site_url, self.stack.images_url):
            status, body = self.api.call("POST", url + "/__reset", {}, token=None)
            if status != 200:
                raise BenchError(f"{url}/__reset answered {status}: {body}")

    def site(self, **knobs) -> None:
        self.stack.standins.site.set_knobs(knobs)

    def images(self, **knobs) -> None:
        self.stack.standins.images.set_knobs(knobs)

    def _post(self, url: str, body: dict) -> tuple[float, dict]:
        started = time.perf_counter()
        status, answer = self.api.call("POST", url, body, timeout=300)
        wall = time.perf_counter() - started
        if "restarted mid-request" in str(answer):
            raise WorkerRestarted(url)
        if status != 200 or not answer.get("success"):
            raise BenchError(f"POST {url} answered {status}: {str(answer)[:500]}")
        return wall, answer

    def scrape(self) -> dict:
        return self._post(self.stack.scraper_url + "/api/scrape", {})[1]

    def process(self, batch_size: int) -> tuple[float, dict]:
        """(wall seconds seen by the client, the processor's answer)."""
        return self._post(self.stack.processor_url + "/api/process-images", {"batchSize": batch_size})


@contextmanager
def lab(processor_vars: dict | None = None, scraper_vars: dict | None = None):
    started = time.perf_counter()
    with Stack(processor_vars=processor_vars or {}, scraper_vars=scraper_vars or {}, quiet=True) as stack:
        say(f"  stack up in {time.perf_counter() - started:.1f} s")
        yield Lab(stack)


def measured(action, *args, **kwargs):
    """Run one measurement (set-up included); rerun it if a Worker was reloaded mid-request."""
    attempts = 3
    for attempt in range(1, attempts + 1):
        try:
            return action(*args, **kwargs)
        except WorkerRestarted as error:
            if attempt == attempts:
                raise BenchError(f"a Worker kept restarting mid-request ({error}); is someone editing src/?")
            say(f"  ! a Worker restarted mid-request ({error}; src/ edited?): rerunning this measurement")
            time.sleep(3)


def say(message: str) -> None:
    print(message, flush=True)


def ms(values) -> str:
    return "[" + ", ".join(f"{v:.0f}" for v in values) + "] ms"


# --- 1. the scraper ----------------------------------------------------------------------------

def scraper_benchmark() -> list[Row]:
    say("scraper: photos per vehicle, page size, inventory size")
    with lab(PROCESSOR_VARS) as l:
        # The processor is not measured here: stopped, the hand-off fails at once and takes no CPU.
        l.stack.stop_worker("processor")

        def first_scrape(**knobs) -> dict:
            l.reset()
            l.site(**knobs)
            return l.scrape()

        measured(first_scrape, vehicle_count=12)        # warm-up: imports, first D1 use

        # 0 photos is the figure asked for; but with no photo in the listing the site profile reads
        # every vehicle's detail page looking for some, so 1 photo is the like-for-like baseline.
        durations = {0: [], 1: [], 20: []}
        trips_by_photos = {0: [], 1: [], 20: []}
        site_requests = {}
        for _ in range(SCRAPE_REPEATS):                  # interleaved, so drift hits all alike
            for photos in durations:
                body = measured(first_scrape, vehicle_count=150, photos_per_vehicle=photos)
                if body["new"] != 150:
                    raise BenchError(f"expected 150 new vehicles, got {body}")
                durations[photos].append(body["durationMs"])
                trips_by_photos[photos].append(body["d1RoundTrips"])
                site_requests[photos] = body["siteRequests"]
        median = {photos: statistics.median(values) for photos, values in durations.items()}

        by_page = {size: measured(first_scrape, vehicle_count=150, page_size=size)
                   for size in (12, 24, 48)}
        by_count = {count: measured(first_scrape, vehicle_count=count) for count in (50, 150)}

    def photo_ratio(baseline: int) -> Row:
        ratio = median[20] / median[baseline]
        note = (" The 0-photo scrape also reads every vehicle's detail page looking for photos (profile "
                "`detail_pages: if_no_photos`), hence a ratio below 1." if baseline == 0 else "")
        return Row(
            f"Scrape time, 20 photos vs {baseline} photo{'s' if baseline != 1 else ''} per vehicle "
            f"(150 vehicles)", f"{ratio:.2f}x",
            f"server-side `durationMs` of `POST /api/scrape`, first scrape (empty DB) each time, median of "
            f"{SCRAPE_REPEATS} interleaved runs: {baseline} photo(s) {ms(durations[baseline])} -> {median[baseline]:.0f} ms "
            f"({site_requests[baseline]} site requests), 20 photos {ms(durations[20])} -> {median[20]:.0f} ms "
            f"({site_requests[20]} site requests); processor stopped.{note}",
            "at most 1.3x", ratio <= 1.3)

    page_trips = {size: body["d1RoundTrips"] for size, body in by_page.items()}
    count_trips = {count: body["d1RoundTrips"] for count, body in by_count.items()}
    photo_trips = sorted({t for values in trips_by_photos.values() for t in values})
    return [
        photo_ratio(0),
        photo_ratio(1),
        Row("D1 round trips per scrape, page size 12 / 24 / 48 (150 vehicles)",
            " / ".join(str(page_trips[s]) for s in (12, 24, 48)),
            "`d1RoundTrips` of one first scrape per page size (site knob `page_size`; pages: "
            + " / ".join(str(by_page[s]["pages"]) for s in (12, 24, 48)) + ")",
            "the same for every page size", len(set(page_trips.values())) == 1),
        Row("D1 round trips per scrape, 50 vs 150 vehicles",
            f"{count_trips[50]} / {count_trips[150]}",
            "`d1RoundTrips` of one first scrape each (page size 24, the site's own photos)",
            "the same for both", count_trips[50] == count_trips[150]),
        Row("D1 round trips per scrape, 0 / 1 / 20 photos per vehicle",
            " / ".join(str(t) for t in photo_trips),
            f"`d1RoundTrips` of the {3 * SCRAPE_REPEATS} timed scrapes above (distinct values)",
            "one value", len(photo_trips) == 1),
    ]


# --- 2. the image processor --------------------------------------------------------------------

def _process_once(l: Lab, vehicles: int, photos: int, latency_ms: int) -> dict:
    """Fresh state, `vehicles` x `photos` vendor photos in D1, one batch of 10 vehicles."""
    l.reset()
    l.images(latency_ms=latency_ms)
    seed_vehicles(l.stack, l.database, vehicles, photos)
    wall, body = l.process(10)
    expected = vehicles * photos
    if body["imagesUploaded"] != expected:
        raise BenchError(f"expected {expected} images uploaded, got {str(body)[:400]}")
    stats = l.stack.standins.images.stats()
    return {"wall_ms": wall * 1000, "body": body, "stats": stats}


def _warm_up(l: Lab) -> None:
    measured(_process_once, l, 1, 2, 0)


def processor_benchmark() -> list[Row]:
    say("image processor: 60 images at 300 ms per Images API request, default vs MAX_IN_FLIGHT=1")
    with lab(PROCESSOR_VARS) as l:
        l.stack.stop_worker("scraper")                   # not involved; nothing else uses the CPU
        _warm_up(l)
        default_runs = [measured(_process_once, l, 10, 6, 300) for _ in range(REPEATS)]
        trips = {n: measured(_process_once, l, vehicles, 6, 0)["body"]["d1RoundTrips"]
                 for n, vehicles in ((12, 2), (60, 10))}
    with lab({**PROCESSOR_VARS, "MAX_IN_FLIGHT": "1"}) as l:
        l.stack.stop_worker("scraper")
        _warm_up(l)
        sequential_runs = [measured(_process_once, l, 10, 6, 300)]   # ~20 s each: one is enough

    default_walls = [r["wall_ms"] for r in default_runs]
    sequential_walls = [r["wall_ms"] for r in sequential_runs]
    median_default, median_sequential = statistics.median(default_walls), statistics.median(sequential_walls)
    speedup = median_sequential / median_default
    peaks = sorted({r["stats"]["max_in_flight"] for r in default_runs})
    per_image_worker = sorted({r["body"]["apiRequests"] / r["body"]["imagesUploaded"] for r in default_runs})
    per_image_standin = sorted({r["stats"]["requests"] / r["stats"]["stored"] for r in default_runs})
    server = lambda runs: ms(r["body"]["durationMs"] for r in runs)
    return [
        Row("Processing time, MAX_IN_FLIGHT=1 vs default (60 images, 300 ms per upload)",
            f"{speedup:.2f}x",
            f"client wall time of one `POST /api/process-images {{\"batchSize\": 10}}` (10 vehicles x 6 "
            f"photos, Images stand-in `latency_ms=300`): default, median of {REPEATS} {ms(default_walls)} -> "
            f"{median_default:.0f} ms (server `durationMs` {server(default_runs)}); MAX_IN_FLIGHT=1, one run "
            f"{ms(sequential_walls)} (server {server(sequential_runs)}); separate stacks, "
            f"IMAGES_API_REQUESTS_PER_MINUTE=1000 in both",
            "at least 5x (ceiling 6x: 6 simultaneous connections)", speedup >= 5),
        Row("Peak simultaneous uploads (default settings)", " / ".join(str(p) for p in peaks),
            "`max_in_flight` of the Images stand-in's `stats()` in the timed default runs (distinct values)",
            "6 (the Workers connection limit)", peaks == [6]),
        Row("D1 round trips per batch, 12 vs 60 images", f"{trips[12]} / {trips[60]}",
            "`d1RoundTrips` of one `POST /api/process-images {\"batchSize\": 10}` with 2 x 6 and 10 x 6 "
            "photos (no API latency)", "the same for both", trips[12] == trips[60]),
        Row("Images API requests per image uploaded",
            f"{' / '.join(f'{v:.2f}' for v in per_image_worker)} (Worker), "
            f"{' / '.join(f'{v:.2f}' for v in per_image_standin)} (stand-in)",
            "Worker: `apiRequests / imagesUploaded` of the answer; stand-in: `stats()` requests / stored; "
            "timed default runs, no faults injected (distinct values)",
            "1.00 when nothing fails", per_image_worker == [1.0] and per_image_standin == [1.0]),
    ]


BENCHMARKS = [scraper_benchmark, processor_benchmark]


# --- report ------------------------------------------------------------------------------------

def verdict(row: Row) -> str:
    return {True: "yes", False: "**NO**", None: "-"}[row.within]


def write_results(rows: list[Row], seconds: float) -> None:
    cell = lambda text: str(text).replace("|", "\\|").replace("\n", " ")
    lines = [
        "# Benchmark results",
        "",
        f"Written by `npm run bench` (bench/run.py) on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.machine()}, Python {platform.python_version()}; "
        f"whole run {seconds:.0f} s.",
        "",
        "Both Workers run locally under `wrangler dev` (workerd) against the dev/ stand-ins. Timings on "
        "this machine are noisy, so every figure is a ratio or a count taken within this one run; none "
        "is a pass/fail test.",
        "",
        "| Figure | Value | Limit | Within | How measured |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {cell(r.figure)} | {cell(r.value)} | {cell(r.limit)} | {verdict(r)} | {cell(r.how)} |"
              for r in rows]
    RESULTS.write_text("\n".join(lines) + "\n")


def main() -> int:
    started = time.perf_counter()
    rows: list[Row] = []
    for benchmark in BENCHMARKS:
        rows += benchmark()
    seconds = time.perf_counter() - started
    write_results(rows, seconds)
    say("")
    for row in rows:
        mark = {True: "ok ", False: "OFF", None: "   "}[row.within]
        say(f"{mark} {row.figure}: {row.value}  (limit: {row.limit})")
    say(f"\n{len(rows)} figures in {seconds:.0f} s -> {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
