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
from ..net.url_guard import refuse_url
from .budget import ApiBudget, BudgetSpent
from .display import image_id_for
from .retries import UploadOutcome, upload_with_retries
from .webhooks import run_payloads

MAX_IN_FLIGHT = 6


@dataclass
class Settings:
    id_prefix: str = "lambert"
    max_in_flight: int = MAX_IN_FLIGHT
    claim_ttl_s: float = 120.0
    api_requests_per_minute: int = 180
    allowed_hosts: list = field(default_factory=list)   # empty: any public host
    allow_private_hosts: bool = False                     # the local dev profile only
    attempts_per_run: int = 4                             # 1 in queue mode: the queue retries


@dataclass
class Processor:
    d1: object
    transport: object
    settings: Settings = field(default_factory=Settings)
    log: object = print
    sleep: object = asyncio.sleep
    clock: object = time.monotonic
    wall_clock: object = time.time
    notify: object = None      # notify(payloads): hands webhook payloads to the background


def _title(vehicle: dict) -> str:
    return " ".join(str(vehicle[k]) for k in ("make", "model") if vehicle.get(k)) or f"vehicle {vehicle['id']}"


async def process_batch(p: Processor, *, vehicle_ids: list[int] | None = None, batch_size: int = 10,
                        trigger: str = "http", time_budget_s: float | None = None,
                        budget: ApiBudget | None = None, skip_ids: list[int] = ()) -> dict:
    """One processing run. `time_budget_s`: stop starting uploads after this long (background runs)."""
    started_wall, started = p.wall_clock(), p.clock()
    claim_deadline = started + time_budget_s if time_budget_s else None
    # Retries may run a little past the claim deadline, never past the end of the waitUntil window.
    hard_deadline = started + time_budget_s + 8 if time_budget_s else None
    run_id = f"run-{uuid.uuid4().hex[:12]}"
    budget = budget or ApiBudget(p.d1, p.settings.api_requests_per_minute, clock=p.wall_clock)
    trips_before, spent_before = p.d1.round_trips, budget.spent
    now_ms = int(p.wall_clock() * 1000)

    not_found: list[int] = []
    if vehicle_ids is not None:
        vehicles = await db.vehicles_by_ids(p.d1, vehicle_ids)
        known = {v["id"] for v in vehicles}
        not_found = [i for i in vehicle_ids if i not in known]
        order = {vid: n for n, vid in enumerate(vehicle_ids)}
        vehicles.sort(key=lambda v: order[v["id"]])
    else:
        vehicles = await db.vehicles_with_work(p.d1, now_ms, batch_size, skip_ids)

    p.log(f"📸 Starting image processing for {len(vehicles)} vehicles ({trigger})")
    wanted, by_vehicle = [], {}
    for vehicle in vehicles:
        urls = list(dict.fromkeys(e for e in json.loads(vehicle["images"]) if e.startswith("http")))
        by_vehicle[vehicle["id"]] = urls
        wanted += [(url, image_id_for(url, p.settings.id_prefix), vehicle["id"]) for url in urls]

    image_ids = {url: image_id for url, image_id, _ in wanted}
    rows = []
    if wanted:
        rows = await db.claim_images(p.d1, wanted, run_id, now_ms, now_ms + int(p.settings.claim_ttl_s * 1000))
    claimed_urls = {row["source_url"] for row in rows if row["claimed_by"] == run_id}
    # Photos already settled (uploaded: only the list needs rewriting; failed for good) are not "left".
    settled = {row["source_url"] for row in rows if row["state"] == "uploaded" or row["permanent"]}
    if claimed_urls and getattr(p.transport, "uploads_use_budget", True):
        await budget.reserve(min(len(claimed_urls), p.settings.api_requests_per_minute))
    if claimed_urls and hasattr(p.transport, "prepare"):
        try:
            await p.transport.prepare(budget)
        except BudgetSpent as error:
            p.log(f"⏸ {error}; photos left for the next run")
            claimed_urls = set()
    p.log(f"🔄 Processing {len(vehicles)} vehicles ({len(claimed_urls)} photos claimed)")

    gate = asyncio.Semaphore(p.settings.max_in_flight)
    outcomes: dict[str, UploadOutcome] = {}
    stop = {"fatal": None}

    async def upload_one(url: str, image_id: str, vehicle: dict):
        async with gate:
            if stop["fatal"] or (claim_deadline is not None and p.clock() > claim_deadline):
                return    # left claimed until write_back frees it: the next run takes it
            refused = refuse_url(url, p.settings.allowed_hosts, p.settings.allow_private_hosts)
            if refused:
                p.log(f"    🚫 Refused: {url[:120]} ({refused})")
                outcomes[url] = UploadOutcome(url, image_id, False, 0, f"refused: {refused}", permanent=True)
                return
            metadata = {"vehicleId": vehicle["id"], "source": url[:500]}
            outcome = await upload_with_retries(p.transport, budget, url, image_id, metadata, sleep=p.sleep,
                                                clock=p.clock, deadline=hard_deadline, log=p.log,
                                                max_attempts=p.settings.attempts_per_run)
            if outcome.fatal:
                stop["fatal"] = outcome.error
            if outcome.attempts:
                outcomes[url] = outcome

    jobs, started_urls = [], set()
    for vehicle in vehicles:
        mine = [u for u in by_vehicle[vehicle["id"]] if u in claimed_urls and u not in started_urls]
        if mine:
            p.log(f"  📤 Uploading {len(mine)} vendor URLs for {_title(vehicle)}")
        started_urls.update(mine)     # a photo shared by two vehicles is uploaded once
        jobs += [upload_one(url, image_ids[url], vehicle) for url in mine]
    await asyncio.gather(*jobs)

    await db.write_back(p.d1, [o.as_row() for o in outcomes.values()], [v["id"] for v in vehicles], run_id)

    results, succeeded, failed, deferred = [], 0, 0, 0
    for vehicle in vehicles:
        mine = [outcomes[u] for u in by_vehicle[vehicle["id"]] if u in outcomes]
        errors = [{"url": o.source_url, "reason": o.error, "permanent": o.permanent} for o in mine if not o.ok]
        retry_after = max((o.retry_after_s or 0 for o in mine if not o.ok), default=0)
        uploaded = sum(1 for o in mine if o.ok)
        left = sum(1 for u in by_vehicle[vehicle["id"]] if u not in outcomes and u not in settled)
        results.append({"vehicleId": vehicle["id"], "title": _title(vehicle), "uploaded": uploaded,
                        "failed": len(errors), "notAttempted": left, "errors": errors,
                        **({"retryAfterS": retry_after} if retry_after else {})})
        if errors:
            failed += 1
        elif left:
            deferred += 1      # some photos claimed by another run, or left for lack of time/budget
        else:
            succeeded += 1

    summary = {
        "processed": len(vehicles), "succeeded": succeeded, "failed": failed, "deferred": deferred,
        "imagesUploaded": sum(r["uploaded"] for r in results),
        "imagesFailed": sum(r["failed"] for r in results),
        "imagesFailedPermanently": sum(1 for o in outcomes.values() if o.permanent),
        "imagesNotAttempted": sum(r["notAttempted"] for r in results),
        "apiRequests": budget.spent - spent_before, "notFound": not_found,
        "durationMs": int((p.clock() - started) * 1000),
    }
    if stop["fatal"]:
        summary["stoppedBecause"] = stop["fatal"]
    summary["budgetExhausted"] = budget.exhausted
    summary["d1RoundTrips"] = p.d1.round_trips - trips_before + 1
    if vehicles:   # an idle cron tick is not worth a row: the status keeps showing the last real run
        await db.record_run(p.d1, "process", trigger, iso_utc(started_wall), iso_utc(p.wall_clock()), summary)
    if p.notify and vehicles:
        p.notify(run_payloads(trigger, summary, results))
    p.log(f"✅ Completed: {succeeded} succeeded, {failed} failed "
          f"({summary['imagesUploaded']} images uploaded, {summary['imagesFailed']} failed, "
          f"{summary['imagesNotAttempted']} left for later, {summary['apiRequests']} API requests)")
    return {"success": True, **summary, "results": results}


async def drain(p: Processor, *, trigger: str, batch_size: int = 10, time_budget_s: float = 20.0,
                vehicle_ids: list[int] | None = None) -> dict:
    """Run batch after batch until no work is left or the time budget is spent (cron, hand-off).

    With `vehicle_ids` (the scraper's hand-off) the batches walk that list in order; without, each
    batch takes the vehicles that still have work, featured and newest first.
    """
    started = p.clock()
    budget = ApiBudget(p.d1, p.settings.api_requests_per_minute, clock=p.wall_clock)
    totals = {"batches": 0, "processed": 0, "imagesUploaded": 0, "imagesFailed": 0}
    pending_ids = list(vehicle_ids or [])
    tried: list[int] = []
    while p.clock() - started < time_budget_s:
        left = time_budget_s - (p.clock() - started)
        if vehicle_ids is not None:
            if not pending_ids:
                break
            chunk, pending_ids = pending_ids[:batch_size], pending_ids[batch_size:]
            result = await process_batch(p, vehicle_ids=chunk, trigger=trigger, time_budget_s=left, budget=budget)
        else:
            result = await process_batch(p, batch_size=batch_size, trigger=trigger, time_budget_s=left,
                                         budget=budget, skip_ids=tried)
            tried += [r["vehicleId"] for r in result["results"]]
        totals["batches"] += 1
        idle = result["processed"] == 0 or (result["imagesUploaded"] == 0 and result["imagesFailed"] == 0)
        if vehicle_ids is None and idle:     # the work query offers nothing this run can do
            break
        for key in ("processed", "imagesUploaded", "imagesFailed"):
            totals[key] += result[key]
        if result.get("stoppedBecause") or budget.exhausted:
            break
    p.log(f"🌙 Drain finished ({trigger}): {totals['batches']} batches, {totals['imagesUploaded']} images uploaded")
    return totals
