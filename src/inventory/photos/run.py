"""Phase 2: upload the photos still held as vendor URLs and write their ids back.

One run: choose vehicles, claim their photos in D1 (with an expiry), upload at most 6 at once,
each with its own retries, then record every outcome and rewrite the lists in one D1 batch.
A photo that fails keeps its vendor URL at its position; nothing is ever dropped.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field

from .. import db, iso_utc
from ..gathered_log import GatheredLog
from ..net.url_guard import refuse_url
from ..subrequests import SUBREQUESTS_SPENT, Subrequests
from .budget import ApiBudget, BudgetSpent
from .display import image_id_for
from .retries import UploadOutcome, attempt_cost, upload_with_retries
from .webhooks import run_payloads

MAX_IN_FLIGHT = 6
# Subrequests of a batch besides its uploads: choose, claim, budget, batch token, write-back, run
# record. A batch starts only if these and one upload's attempt fit the invocation's budget.
BATCH_OVERHEAD = 6
KEPT_FOR_WRITE_BACK = 2  # the write-back and the run record, kept while uploads run
KEPT_FOR_WEBHOOKS = 4  # a run's webhook deliveries (with their retries), when webhooks are on


@dataclass
class Settings:
    id_prefix: str = "lambert"
    max_in_flight: int = MAX_IN_FLIGHT
    claim_ttl_s: float = 120.0
    api_requests_per_minute: int = 180
    allowed_hosts: list = field(default_factory=list)  # empty: any public host
    allow_private_hosts: bool = False  # the local dev profile only
    attempts_per_run: int = 4  # 1 in queue mode: the queue retries
    gallery_fallback_hours: float = 6.0  # then a vehicle's unread gallery no longer holds up its photos

    def refuses(self, url: str) -> str | None:
        """Why a photo URL (or a redirect hop) must not be fetched, or None: the photo hosts' rules."""
        return refuse_url(url, self.allowed_hosts, self.allow_private_hosts)


@dataclass
class Processor:
    d1: object
    transport: object
    settings: Settings = field(default_factory=Settings)
    log: object = print
    sleep: object = asyncio.sleep
    clock: object = time.monotonic
    wall_clock: object = time.time
    notify: object = None  # notify(payloads): hands webhook payloads to the background
    subrequests: Subrequests = field(default_factory=Subrequests)  # the invocation's budget
    keep_extra: int = 0  # subrequests the caller needs after the run (queue mode: resending jobs)
    http: object = None  # the Worker's fetch, for asking photo hosts (replacements.py)

    def kept_after_uploads(self) -> int:
        return KEPT_FOR_WRITE_BACK + (KEPT_FOR_WEBHOOKS if self.notify else 0) + self.keep_extra

    def can_start_batch(self) -> bool:
        return self.subrequests.allows(
            BATCH_OVERHEAD + attempt_cost(self.transport), self.kept_after_uploads()
        )


def _title(vehicle: dict) -> str:
    return (
        " ".join(str(vehicle[k]) for k in ("make", "model") if vehicle.get(k)) or f"vehicle {vehicle['id']}"
    )


@dataclass
class Run:
    """One processing run's state, from its start to its summary."""

    p: Processor
    trigger: str
    budget: ApiBudget
    run_id: str = field(default_factory=lambda: f"run-{uuid.uuid4().hex[:12]}")
    claim_deadline: float | None = None  # no upload starts after this
    hard_deadline: float | None = None  # no request outlives this (the end of waitUntil's window)
    vehicles: list[dict] = field(default_factory=list)
    not_found: list[int] = field(default_factory=list)
    photos: dict = field(default_factory=dict)  # vehicle id -> its vendor URLs, in order
    image_ids: dict = field(default_factory=dict)  # vendor URL -> its deterministic image id
    claimed: set = field(default_factory=set)
    settled: set = field(default_factory=set)  # uploaded already, or failed for good
    outcomes: dict = field(default_factory=dict)  # vendor URL -> UploadOutcome
    stopped_because: str | None = None
    log: GatheredLog | None = None  # the run's lines, a few per write (set by process_batch)


@dataclass
class RunSummary:
    """What a run did, serialised in one place (`to_json`) for the answer, the runs table and webhooks."""

    processed: int
    succeeded: int
    failed: int
    deferred: int
    images_uploaded: int
    images_failed: int
    images_failed_permanently: int
    images_not_attempted: int
    api_requests: int
    not_found: list[int]
    duration_ms: int
    budget_exhausted: bool
    d1_round_trips: int
    stopped_because: str | None = None
    subrequests: int = 0  # this invocation's, up to and including the run record

    def to_json(self) -> dict:
        data = {
            "processed": self.processed,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "deferred": self.deferred,
            "imagesUploaded": self.images_uploaded,
            "imagesFailed": self.images_failed,
            "imagesFailedPermanently": self.images_failed_permanently,
            "imagesNotAttempted": self.images_not_attempted,
            "apiRequests": self.api_requests,
            "notFound": self.not_found,
            "durationMs": self.duration_ms,
        }
        if self.stopped_because:
            data["stoppedBecause"] = self.stopped_because
        return {
            **data,
            "budgetExhausted": self.budget_exhausted,
            "d1RoundTrips": self.d1_round_trips,
            "subrequests": self.subrequests,
        }


async def _choose_vehicles(run: Run, vehicle_ids, batch_size: int, skip_ids, now_ms: int) -> None:
    p = run.p
    cutoff = db.gallery_cutoff(p.settings.gallery_fallback_hours, p.wall_clock())
    if vehicle_ids is None:
        run.vehicles = await db.vehicles_with_work(p.d1, now_ms, batch_size, skip_ids, cutoff)
        return
    vehicles = await db.vehicles_by_ids(p.d1, vehicle_ids, cutoff)
    known = {v["id"] for v in vehicles}
    run.not_found = [i for i in vehicle_ids if i not in known]
    order = {vid: n for n, vid in enumerate(vehicle_ids)}
    run.vehicles = sorted(vehicles, key=lambda v: order[v["id"]])


async def _claim_photos(run: Run, now_ms: int) -> None:
    """Claim every vendor URL of the chosen vehicles that no live run holds, and get the API budget."""
    p, wanted = run.p, []
    for vehicle in run.vehicles:
        urls = list(dict.fromkeys(e for e in json.loads(vehicle["images"]) if e.startswith("http")))
        run.photos[vehicle["id"]] = urls
        wanted += [(url, image_id_for(url, p.settings.id_prefix), vehicle["id"]) for url in urls]
    run.image_ids = {url: image_id for url, image_id, _ in wanted}
    if not wanted:
        return
    rows = await db.claim_images(
        p.d1, wanted, run.run_id, now_ms, now_ms + int(p.settings.claim_ttl_s * 1000)
    )
    run.claimed = {row["source_url"] for row in rows if row["claimed_by"] == run.run_id}
    run.settled = {row["source_url"] for row in rows if row["state"] == "uploaded" or row["permanent"]}
    if not run.claimed:
        return
    if p.transport.uploads_use_budget:
        await run.budget.reserve(min(len(run.claimed), p.settings.api_requests_per_minute))
    try:
        await p.transport.prepare(run.budget)
    except BudgetSpent as error:
        run.log(f"⏸ {error}; photos left for the next run")
        run.claimed = set()


async def _upload_one(run: Run, url: str, vehicle: dict) -> None:
    p, image_id = run.p, run.image_ids[url]
    if run.stopped_because or (run.claim_deadline is not None and p.clock() > run.claim_deadline):
        return  # left claimed until write_back frees it: the next run takes it
    refused = p.settings.refuses(url)
    if refused:
        run.log(f"    🚫 Refused: {url[:120]} ({refused})")
        run.outcomes[url] = UploadOutcome(url, image_id, False, 0, f"refused: {refused}", permanent=True)
        return
    metadata = {"vehicleId": vehicle["id"], "source": url[:500]}
    outcome = await upload_with_retries(
        p.transport,
        run.budget,
        url,
        image_id,
        metadata,
        sleep=p.sleep,
        clock=p.clock,
        deadline=run.hard_deadline,
        log=run.log,
        max_attempts=p.settings.attempts_per_run,
        subrequests=p.subrequests,
        keep=p.kept_after_uploads(),
    )
    if outcome.fatal:
        run.stopped_because = outcome.error
    if outcome.attempts:
        run.outcomes[url] = outcome


async def _upload_claimed(run: Run) -> None:
    """At most max_in_flight uploads at once, each uploader taking the next photo when its last is
    done (fewer tasks and wake-ups than one task per photo behind a semaphore: CPU in Pyodide); a
    photo shared by two vehicles is uploaded once."""
    photos, started = [], set()
    for vehicle in run.vehicles:
        mine = [u for u in run.photos[vehicle["id"]] if u in run.claimed and u not in started]
        if mine:
            run.log(f"  📤 Uploading {len(mine)} vendor URLs for {_title(vehicle)}")
        started.update(mine)
        photos += [(url, vehicle) for url in mine]
    queue = iter(photos)  # shared: each photo is taken by one uploader

    async def uploader():
        for url, vehicle in queue:
            await _upload_one(run, url, vehicle)

    await asyncio.gather(*(uploader() for _ in range(min(run.p.settings.max_in_flight, len(photos)))))


def _vehicle_result(run: Run, vehicle: dict) -> dict:
    urls = run.photos[vehicle["id"]]
    mine = [run.outcomes[u] for u in urls if u in run.outcomes]
    errors = [{"url": o.source_url, "reason": o.error, "permanent": o.permanent} for o in mine if not o.ok]
    retry_after = max((o.retry_after_s or 0 for o in mine if not o.ok), default=0)
    left = sum(1 for u in urls if u not in run.outcomes and u not in run.settled)
    return {
        "vehicleId": vehicle["id"],
        "title": _title(vehicle),
        "uploaded": sum(1 for o in mine if o.ok),
        "failed": len(errors),
        "notAttempted": left,
        "errors": errors,
        **({"retryAfterS": retry_after} if retry_after else {}),
    }


def _summarise(
    run: Run, results: list[dict], started: float, trips_before: int, spent_before: int
) -> RunSummary:
    failed = sum(1 for r in results if r["errors"])
    deferred = sum(
        1 for r in results if not r["errors"] and r["notAttempted"]
    )  # claimed elsewhere, or no time
    return RunSummary(
        processed=len(run.vehicles),
        succeeded=len(results) - failed - deferred,
        failed=failed,
        deferred=deferred,
        images_uploaded=sum(r["uploaded"] for r in results),
        images_failed=sum(r["failed"] for r in results),
        images_failed_permanently=sum(1 for o in run.outcomes.values() if o.permanent),
        images_not_attempted=sum(r["notAttempted"] for r in results),
        api_requests=run.budget.spent - spent_before,
        not_found=run.not_found,
        duration_ms=int((run.p.clock() - started) * 1000),
        budget_exhausted=run.budget.exhausted,
        d1_round_trips=run.p.d1.round_trips - trips_before + 1,
        stopped_because=run.stopped_because,
        subrequests=run.p.subrequests.used + bool(run.vehicles),
    )


def _out_of_subrequests(run: Run, started: float, trips_before: int, spent_before: int) -> dict:
    p = run.p
    run.stopped_because = SUBREQUESTS_SPENT
    p.log(f"⏸ {SUBREQUESTS_SPENT} ({p.subrequests.used} of {p.subrequests.limit}): the rest waits")
    summary = _summarise(run, [], started, trips_before, spent_before).to_json()
    return {"success": True, **summary, "results": []}


async def process_batch(
    p: Processor,
    *,
    vehicle_ids: list[int] | None = None,
    batch_size: int = 10,
    trigger: str = "http",
    time_budget_s: float | None = None,
    budget: ApiBudget | None = None,
    skip_ids: list[int] = (),
) -> dict:
    """One processing run. `time_budget_s`: stop starting uploads after this long (background runs)."""
    run = Run(p, trigger, budget or ApiBudget(p.d1, p.settings.api_requests_per_minute, clock=p.wall_clock))
    run.log = GatheredLog(p.log, p.clock)
    try:
        return await _run_batch(run, vehicle_ids, batch_size, time_budget_s, skip_ids)
    finally:
        run.log.flush()


async def _run_batch(run: Run, vehicle_ids, batch_size: int, time_budget_s, skip_ids) -> dict:
    p, trigger = run.p, run.trigger
    started_wall, started = p.wall_clock(), p.clock()
    if time_budget_s:  # retries may run a little past the claim deadline, never past the window's end
        run.claim_deadline, run.hard_deadline = started + time_budget_s, started + time_budget_s + 8
    trips_before, spent_before, now_ms = p.d1.round_trips, run.budget.spent, int(p.wall_clock() * 1000)
    if not p.can_start_batch():
        return _out_of_subrequests(run, started, trips_before, spent_before)
    await _choose_vehicles(run, vehicle_ids, batch_size, skip_ids, now_ms)
    run.log(f"📸 Starting image processing for {len(run.vehicles)} vehicles ({trigger})")
    await _claim_photos(run, now_ms)
    run.log(f"🔄 Processing {len(run.vehicles)} vehicles ({len(run.claimed)} photos claimed)")
    await _upload_claimed(run)
    await db.write_back(
        p.d1, [o.as_row() for o in run.outcomes.values()], [v["id"] for v in run.vehicles], run.run_id
    )
    results = [_vehicle_result(run, vehicle) for vehicle in run.vehicles]
    summary = _summarise(run, results, started, trips_before, spent_before).to_json()
    if run.vehicles:  # an idle cron tick is not worth a row: the status keeps showing the last real run
        await db.record_run(p.d1, "process", trigger, iso_utc(started_wall), iso_utc(p.wall_clock()), summary)
        if p.notify:
            p.notify(run_payloads(trigger, summary, results))
    run.log(
        f"✅ Completed: {summary['succeeded']} succeeded, {summary['failed']} failed "
        f"({summary['imagesUploaded']} images uploaded, {summary['imagesFailed']} failed, "
        f"{summary['imagesNotAttempted']} left for later, {summary['apiRequests']} API requests)"
    )
    return {"success": True, **summary, "results": results}


async def _next_batch(
    p: Processor,
    queue: list[int] | None,
    tried: list[int],
    batch_size: int,
    trigger: str,
    left: float,
    budget: ApiBudget,
) -> dict | None:
    """One batch of a drain: the next ids of a hand-off's list, or the vehicles with work not yet tried."""
    if queue is not None:
        if not queue:
            return None
        chunk = [queue.pop(0) for _ in range(min(batch_size, len(queue)))]
        return await process_batch(p, vehicle_ids=chunk, trigger=trigger, time_budget_s=left, budget=budget)
    result = await process_batch(
        p, batch_size=batch_size, trigger=trigger, time_budget_s=left, budget=budget, skip_ids=tried
    )
    tried += [r["vehicleId"] for r in result["results"]]
    idle = result["processed"] == 0 or (result["imagesUploaded"] == 0 and result["imagesFailed"] == 0)
    return None if idle else result  # the work query offers nothing this run can do


async def drain(
    p: Processor,
    *,
    trigger: str,
    batch_size: int = 10,
    time_budget_s: float = 20.0,
    vehicle_ids: list[int] | None = None,
) -> dict:
    """Run batch after batch until no work is left or the time budget is spent (cron, hand-off).

    With `vehicle_ids` (the scraper's hand-off) the batches walk that list in order; without, each
    batch takes the vehicles that still have work, featured and newest first.
    """
    started = p.clock()
    budget = ApiBudget(p.d1, p.settings.api_requests_per_minute, clock=p.wall_clock)
    totals = {"batches": 0, "processed": 0, "imagesUploaded": 0, "imagesFailed": 0}
    queue, tried = (None if vehicle_ids is None else list(vehicle_ids)), []
    while p.clock() - started < time_budget_s:
        left = time_budget_s - (p.clock() - started)
        result = await _next_batch(p, queue, tried, batch_size, trigger, left, budget)
        if result is not None or vehicle_ids is None:
            totals["batches"] += 1
        if result is None:
            break
        for key in ("processed", "imagesUploaded", "imagesFailed"):
            totals[key] += result[key]
        if result.get("stoppedBecause") or budget.exhausted:
            break
    uploaded = totals["imagesUploaded"]
    p.log(f"🌙 Drain finished ({trigger}): {totals['batches']} batches, {uploaded} images uploaded")
    return totals
