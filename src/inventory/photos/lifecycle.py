"""The photo lifecycle: images that no list needs any more are deleted from Cloudflare Images, safely.

Four causes feed one deleter (run_cleanup: after every cron run, and POST /api/cleanup):
- replaced: a photo the dealer replaced at the same URL is uploaded again as ID-vN, and once the
  lists show the new id its first upload goes (replacements.py);
- removed: a photo that left its vehicle's gallery or listing, REMOVED_PHOTO_GRACE_DAYS after;
- retention: a vehicle inactive for IMAGE_RETENTION_DAYS (0: never) has its list put back to its
  vendor URLs and its images queued, in one D1 batch; the images go next. A vehicle that comes back
  is uploaded again by the normal path;
- orphans (the sweep: POST /api/cleanup, and from cron every ORPHAN_SWEEP_DAYS): images with our id
  prefix that no row of D1 names, uploaded over ORPHAN_GRACE_HOURS ago (an upload in flight has a
  row, and is younger still).
Safety: the query that chooses an image checks that no vehicle's list holds it; at most
MAX_DELETIONS_PER_DAY a day across invocations, whatever the cause; no retention while the last
scrape failed or refused to deactivate; a 404 counts as done; transient errors are tried again;
REST deletions and lists count against the API budget; the invocation's subrequest budget is kept.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field, replace
from datetime import datetime

from .. import db, iso_utc
from ..gathered_log import GatheredLog
from ..subrequests import SUBREQUESTS_SPENT
from .budget import ApiBudget
from .replacements import Checks, check_photos
from .transports import ListFailed
from .verdicts import OK, TRANSIENT, Verdict

MAX_IN_FLIGHT = 6
RETRY_DELAYS_S = (0.5, 1.0)  # three tries in all
MAX_PER_RUN = 500  # images one run deletes at most (the rest are due in the next)
TRIES = 1 + len(RETRY_DELAYS_S)
KEPT_FOR_RECORD = 4  # the daily cap, the outcomes, the run record, a spare
MIN_SUBREQUESTS = 16  # a run's D1 calls and a list page: a cron run after a long drain may not have them
DAY_S = 86_400
STUCK_RETRY_S = DAY_S  # a deletion that failed MAX_DELETION_ATTEMPTS times is tried again a day later


@dataclass
class LifecycleSettings:
    removed_grace_days: float = 7.0
    retention_days: float = 30.0  # 0: keep a sold vehicle's images forever
    orphan_grace_hours: float = 24.0
    max_deletions_per_day: int = 2000
    sweep_days: float = 7.0
    price_per_100k: float = 5.0  # USD a month per 100,000 stored images (Cloudflare Images' price)
    photo_check_days: float = 7.0  # each uploaded photo's host is asked this often if it was replaced
    photo_checks_per_run: int = 100


@dataclass
class Item:
    image_id: str
    reason: str  # removed | retention | orphan
    vehicle_id: int | None = None


@dataclass
class Cleanup:
    """One cleanup run, serialised in one place (`to_json`) for the answer and the runs table."""

    trigger: str
    dry_run: bool
    swept: bool = False
    due: dict = field(default_factory=lambda: {"removed": 0, "retention": 0, "orphan": 0, "replaced": 0})
    checks: Checks = field(default_factory=Checks)
    vehicles_released: int = 0
    retention_blocked: str | None = None
    account_images: int | None = None  # images with our prefix the sweep listed
    list_requests: int = 0
    deleted: int = 0
    already_gone: int = 0
    failed: int = 0
    over_daily_cap: int = 0
    came_back: int = 0  # queued, but a list holds the image again: not deleted
    api_requests: int = 0
    stopped_because: str | None = None
    would_delete: list = field(default_factory=list)
    duration_ms: int = 0
    subrequests: int = 0  # this run's own, up to and including its record
    invocation_subrequests: int = 0  # the invocation's (a cron run drains uploads before its cleanup)

    def to_json(self) -> dict:
        data = {
            "dryRun": self.dry_run,
            "swept": self.swept,
            "due": dict(self.due),
            "vehiclesReleased": self.vehicles_released,
            "retentionBlocked": self.retention_blocked,
            "accountImages": self.account_images,
            "listRequests": self.list_requests,
            "deleted": self.deleted,
            "alreadyGone": self.already_gone,
            "failed": self.failed,
            "overDailyCap": self.over_daily_cap,
            "cameBack": self.came_back,
            "photosChecked": self.checks.checked,
            "photosReplaced": self.checks.replaced,
            "photosWithoutValidators": self.checks.without_validators,
            "apiRequests": self.api_requests,
            "durationMs": self.duration_ms,
            "subrequests": self.subrequests,
            "invocationSubrequests": self.invocation_subrequests,
        }
        if self.dry_run:
            data["wouldDelete"] = self.would_delete
        if self.stopped_because:
            data["stoppedBecause"] = self.stopped_because
        return data


async def _release_sold(p, s: LifecycleSettings, run: Cleanup, now: float) -> None:
    """Retention: sold vehicles past IMAGE_RETENTION_DAYS get their vendor URLs back, their images queued."""
    if s.retention_days <= 0:
        return
    run.retention_blocked = await db.retention_blocked(p.d1)
    if run.retention_blocked:
        p.log(f"  ⏸️ No sold vehicle's images are deleted: {run.retention_blocked}")
        return
    sold = await db.sold_vehicles_due(p.d1, iso_utc(now - s.retention_days * DAY_S), MAX_PER_RUN)
    if run.dry_run:
        run.due["retention"] += sum(row["image_count"] for row in sold)
        run.vehicles_released = len(sold)
    elif sold:
        await p.d1.batch([st for row in sold for st in db.release_statements(row["id"], iso_utc(now))])
        run.vehicles_released = len(sold)


async def _account_images(p, run: Cleanup, budget: ApiBudget) -> list[dict] | None:
    """Every image with our id prefix the account lists (continuation tokens), or None when the
    listing could not be finished (then the sweep deletes nothing)."""
    prefix, found, cursor = f"{p.settings.id_prefix}-", [], None
    while True:
        if not p.subrequests.allows(2, KEPT_FOR_RECORD + 2 * TRIES):
            run.stopped_because = SUBREQUESTS_SPENT
            return None
        if p.transport.deletes_use_budget and not await budget.take():
            run.stopped_because = "the Images API budget of this minute is spent"
            return None
        try:
            images, cursor = await p.transport.list_images(cursor)
        except ListFailed as error:
            run.stopped_because = str(error)
            return None
        run.list_requests += 1
        found += [image for image in images if str(image.get("id") or "").startswith(prefix)]
        if not cursor:
            return found


async def _orphans(p, s: LifecycleSettings, run: Cleanup, now: float, budget, queued: set) -> list[Item]:
    """The sweep: listed images of ours that no row of D1 names, past the grace period."""
    images = await _account_images(p, run, budget)
    if images is None:
        return []
    run.swept, run.account_images = True, len(images)
    cutoff = iso_utc(now - s.orphan_grace_hours * 3600)
    old = [i["id"] for i in images if i.get("uploaded") and str(i["uploaded"]) < cutoff]
    return [
        Item(image_id, "orphan") for image_id in await db.unreferenced(p.d1, old) if image_id not in queued
    ]


async def _delete_one(p, budget: ApiBudget, gate: asyncio.Semaphore, item: Item) -> Verdict:
    async with gate:
        verdict = Verdict(TRANSIENT, "not tried")
        for wait in (0.0, *RETRY_DELAYS_S):
            if wait:
                await p.sleep(wait)
            if p.transport.deletes_use_budget and not await budget.take():
                return Verdict(TRANSIENT, "no Images API budget left this minute")
            verdict = await p.transport.delete(item.image_id)
            if verdict.kind != TRANSIENT:
                return verdict
        return verdict


def _within_budgets(p, run: Cleanup, items: list[Item]) -> list[Item]:
    """As many as one run may delete: MAX_PER_RUN, and every try of each within the subrequest budget."""
    affordable = max(0, (p.subrequests.left - KEPT_FOR_RECORD) // (TRIES + 1))
    if affordable < len(items):
        run.stopped_because = SUBREQUESTS_SPENT
    return items[: min(affordable, MAX_PER_RUN)]


async def _delete(p, s: LifecycleSettings, run: Cleanup, items: list[Item], budget, now: float) -> None:
    items = _within_budgets(p, run, items)
    day = iso_utc(now)[:10]
    granted = await db.reserve_deletions(p.d1, day, len(items), s.max_deletions_per_day) if items else 0
    run.over_daily_cap = len(items) - granted
    gate = asyncio.Semaphore(MAX_IN_FLIGHT)
    chosen = items[:granted]
    verdicts = await asyncio.gather(*(_delete_one(p, budget, gate, item) for item in chosen))
    statements, stamp = [], iso_utc(now)
    for item, verdict in zip(chosen, verdicts, strict=True):
        if verdict.kind == OK:
            run.deleted += 1
            run.already_gone += verdict.reason == "already gone"
            statements += db.deleted_statements(item.image_id, item.reason, item.vehicle_id, stamp)
        else:
            run.failed += 1
            p.log(f"  ⚠️ Could not delete image {item.image_id}: {verdict.reason}")
            statements.append(db.deletion_failed_statement(item.image_id, verdict.reason, stamp))
    if statements:
        await p.d1.batch(statements)


async def run_cleanup(
    p,
    s: LifecycleSettings,
    *,
    trigger: str,
    dry_run: bool = False,
    sweep: bool = False,
    now: float | None = None,
) -> dict:
    """One cleanup run with processor `p`'s D1, transport and budgets; `now` moves the clock (tests)."""
    log = GatheredLog(p.log, p.clock)  # a line per failed deletion or replaced photo: a few writes
    try:
        return await _cleanup(replace(p, log=log), s, trigger, dry_run, sweep, now)
    finally:
        log.flush()


async def _cleanup(p, s: LifecycleSettings, trigger: str, dry_run: bool, sweep: bool, now) -> dict:
    now = p.wall_clock() if now is None else now
    run, started, spent_before = Cleanup(trigger, dry_run), time.monotonic(), p.subrequests.used
    if not p.subrequests.allows(MIN_SUBREQUESTS):
        run.stopped_because = SUBREQUESTS_SPENT
        p.log(f"🧹 Cleanup ({trigger}) skipped: {SUBREQUESTS_SPENT}; the next run deletes what is due")
        return run.to_json()
    budget = ApiBudget(p.d1, p.settings.api_requests_per_minute, clock=p.wall_clock)
    await _release_sold(p, s, run, now)
    if not dry_run:
        run.checks = await check_photos(
            p, s.photo_check_days, s.photo_checks_per_run, budget, now, MIN_SUBREQUESTS
        )
    removed_before = iso_utc(now - s.removed_grace_days * DAY_S)
    retry_before = iso_utc(now - STUCK_RETRY_S)
    rows, run.came_back = await db.deletions_due(p.d1, removed_before, MAX_PER_RUN, dry_run, retry_before)
    items = [Item(r["image_id"], r["reason"], r["vehicle_id"]) for r in rows]
    if sweep:
        items += await _orphans(p, s, run, now, budget, {item.image_id for item in items})
    for item in items:
        run.due[item.reason] += 1
    if dry_run:
        run.would_delete = [{"imageId": i.image_id, "reason": i.reason} for i in items[:200]]
    else:
        await _delete(p, s, run, items, budget, now)
    run.api_requests, run.duration_ms = budget.spent, int((time.monotonic() - started) * 1000)
    run.invocation_subrequests = p.subrequests.used + 1  # the record's write is the last
    run.subrequests = run.invocation_subrequests - spent_before
    kind = "sweep" if run.swept else "cleanup"
    await db.record_run(p.d1, kind, trigger, iso_utc(now), iso_utc(p.wall_clock()), run.to_json())
    p.log(_line(run))
    return run.to_json()


def _line(run: Cleanup) -> str:
    due = ", ".join(f"{n} {reason}" for reason, n in run.due.items())
    if run.dry_run:
        return f"🧹 Cleanup dry run ({run.trigger}): would delete {sum(run.due.values())} images ({due})"
    return (
        f"🧹 Cleanup ({run.trigger}): {run.deleted} images deleted ({run.already_gone} already gone), "
        f"{run.failed} failed, {run.over_daily_cap} over the daily cap; due: {due}"
        + (f"; swept {run.account_images} of ours" if run.swept else "")
    )


async def sweep_due(d1, s: LifecycleSettings, now: float) -> bool:
    """Whether the cron run sweeps for orphans too: none swept within ORPHAN_SWEEP_DAYS."""
    last = await db.last_run_finished(d1, "sweep")
    return last is None or last < iso_utc(now - s.sweep_days * DAY_S)


def storage_report(counts: dict, runs: dict, s: LifecycleSettings) -> dict:
    """/api/image-status's `storage`: what is stored and what it costs, deletions queued and done."""
    sweep, cleanup = runs.get("sweep"), runs.get("cleanup")
    latest = max((r for r in (sweep, cleanup) if r), key=lambda r: r["finishedAt"], default=None)
    return {
        "imagesStored": counts["stored"],
        "imagesStoredAtLastSweep": sweep.get("accountImages") if sweep else None,
        "deletionsQueued": counts["queued"],
        "deletionsDone": counts["done"],
        "deletedToday": counts["today"],
        "maxDeletionsPerDay": s.max_deletions_per_day,
        "vehiclesReleased": counts["released"],
        "stuckDeletions": counts["stuck"],
        "stuck": [_stuck(row) for row in counts["stuckRows"]],
        "estimatedMonthlyCostUsd": round(counts["stored"] / 100_000 * s.price_per_100k, 2),
        "pricePer100kImagesUsd": s.price_per_100k,
        "lastCleanup": latest,
        "lastSweep": sweep,
    }


def _stuck(row: dict) -> dict:
    """A deletion that failed MAX_DELETION_ATTEMPTS times: what failed, and when it is tried again."""
    last = row["last_attempt_at"]
    again = (
        iso_utc(datetime.fromisoformat(last.replace("Z", "+00:00")).timestamp() + STUCK_RETRY_S)
        if last
        else None
    )
    return {
        "imageId": row["image_id"],
        "reason": row["reason"],
        "attempts": row["attempts"],
        "lastError": row["last_error"],
        "lastAttemptAt": last,
        "nextAttemptAfter": again,
    }
