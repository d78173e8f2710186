"""Queue mode: image jobs on a Cloudflare Queue, one message per vehicle, with a dead-letter queue.

Why one message per vehicle: a vehicle's list is rewritten in one D1 batch, so a message maps to
exactly one atomic write-back, and acknowledging or retrying it needs no bookkeeping per photo.
Delivery is at least once; deterministic image ids and D1 claims make a repeated message harmless.
"""

from __future__ import annotations

import math
import time

from .. import db
from ..subrequests import SUBREQUESTS_SPENT
from .retries import RETRY_DELAYS_S
from .run import Processor, process_batch

SEND_BATCH_LIMIT = 100  # Cloudflare Queues: messages per sendBatch call
STOPPED_DELAY_S = 300  # a run stopped by a configuration problem: try again in 5 minutes


def job_messages(vehicles: list[dict]) -> list[dict]:
    """Featured vehicles first (and newest first within each group), one message each."""
    ordered = sorted(vehicles, key=lambda v: (not v.get("featured"), -(v.get("order") or 0)))
    return [{"body": {"vehicleId": v["id"], "featured": bool(v.get("featured"))}} for v in ordered]


def retry_delay_s(attempts: int, retry_after_s: float = 0) -> int:
    """The same schedule as in-run retries (1 s, 2 s, 4 s), or the API's retry-after if longer."""
    backoff = RETRY_DELAYS_S[min(max(attempts, 1), len(RETRY_DELAYS_S)) - 1]
    return int(math.ceil(max(backoff, retry_after_s)))


def verdict_for(result: dict) -> str:
    """ack: every photo settled (uploaded or failed for good); retry: an upload failed and may work
    later (counts toward the dead-letter queue); defer: photos not tried at all (API budget spent, or
    claimed by another run), which must not count as failures."""
    if any(not e["permanent"] for e in result["errors"]):
        return "retry"
    return "defer" if result["notAttempted"] else "ack"


def defer_delay_s(budget_exhausted: bool, now_s: float) -> int:
    """Until the next budget minute when the API budget is spent, else a short wait for a claim."""
    return int(60 - now_s % 60) + 1 if budget_exhausted else RETRY_DELAYS_S[1]


def _jobs_by_vehicle(p: Processor, messages: list) -> dict[int, list]:
    """Deliveries grouped by vehicle (a job delivered twice is one job); malformed ones acknowledged."""
    by_vehicle: dict[int, list] = {}
    for message in messages:
        body = message.body
        if not (isinstance(body, dict) and "vehicleId" in body):
            p.log(f"⚠️ Dropping a malformed image job: {str(body)[:100]}")
            message.ack()
            continue
        by_vehicle.setdefault(int(body["vehicleId"]), []).append(message)
    return by_vehicle


async def _settle(p: Processor, copies: list, verdict: str, vehicle_result, run: dict, resend, outcome: dict):
    """Acknowledge, retry or defer one vehicle's deliveries (its duplicates are acknowledged)."""
    stopped = run.get("stoppedBecause")
    for position, message in enumerate(copies):
        if verdict == "retry" and position == 0:
            message.retry(
                delaySeconds=retry_delay_s(int(message.attempts), vehicle_result.get("retryAfterS", 0))
            )
            outcome["retried"] += 1
            continue
        if verdict == "defer" and position == 0:  # one fresh copy is enough
            delay = (
                STOPPED_DELAY_S
                if stopped
                else defer_delay_s(run.get("budgetExhausted", False), p.wall_clock())
            )
            await resend(dict(message.body), delay)
            outcome["deferred"] += 1
        message.ack()
        outcome["acked"] += 1


async def consume_jobs(p: Processor, messages: list, resend) -> dict:
    """Process one delivered batch: all its vehicles in one run (6 uploads in flight across them),
    then acknowledge, retry or defer each message on its own.

    `resend(body, delay_s)` queues a fresh copy of a job: a deferred job is acknowledged and sent
    again, so waiting for the budget never uses up the retries that lead to the dead-letter queue.
    """
    by_vehicle = _jobs_by_vehicle(p, messages)
    p.keep_extra = len(by_vehicle)  # a deferred job is sent again: one queue call each
    ordered = sorted(by_vehicle, key=lambda vid: not by_vehicle[vid][0].body.get("featured"))
    run = await process_batch(p, vehicle_ids=ordered, trigger="queue") if ordered else {"results": []}
    results = {r["vehicleId"]: r for r in run["results"]}
    stopped = run.get("stoppedBecause")  # e.g. the Images API refused the token: not the photos' fault
    if stopped:
        p.log(f"⏸ Run stopped ({stopped}); its jobs wait {STOPPED_DELAY_S} s")
    outcome = {"acked": 0, "retried": 0, "deferred": 0}
    for vehicle_id, copies in by_vehicle.items():
        result = results.get(vehicle_id)
        # A stopped run (a refused token, the subrequest budget) defers even the jobs it never chose.
        verdict = "defer" if stopped else ("ack" if result is None else verdict_for(result))
        await _settle(p, copies, verdict, result, run, resend, outcome)
    p.log(
        f"📬 Queue batch: {len(messages)} messages, {outcome['acked']} acknowledged "
        f"({outcome['deferred']} deferred), {outcome['retried']} to retry"
    )
    return outcome


async def consume_dead_letters(d1, messages: list, log=print) -> int:
    """Messages that ran out of retries: record their photos as failed (visible, requeueable)."""
    ids = []
    for message in messages:
        body = message.body
        if isinstance(body, dict) and "vehicleId" in body:
            ids.append(int(body["vehicleId"]))
            log(f"☠️ Dead-lettered: vehicle {body['vehicleId']} after {message.attempts} deliveries")
    recorded = await db.record_dead_letters(d1, ids) if ids else 0
    for message in messages:
        message.ack()
    return recorded


async def enqueue_vehicles(
    d1, queue, vehicle_ids: list[int] | None = None, gallery_fallback_hours: float = 6.0, subrequests=None
) -> int:
    """Send one job per vehicle that still holds vendor URLs (the given ones, or all of them)."""
    cutoff = db.gallery_cutoff(gallery_fallback_hours, time.time())
    vehicles = await db.vehicles_for_jobs(d1, vehicle_ids, cutoff)
    messages = job_messages(vehicles)
    sent = 0
    for start in range(0, len(messages), SEND_BATCH_LIMIT):
        if subrequests and not subrequests.allows(1):
            print(f"⏸ {SUBREQUESTS_SPENT}: {len(messages) - sent} jobs left for the cron")
            break
        if subrequests:
            subrequests.spend()
        await queue.sendBatch(messages[start : start + SEND_BATCH_LIMIT])
        sent += len(messages[start : start + SEND_BATCH_LIMIT])
    return sent
