"""Galleries from detail pages, read in the background after a scrape (and by the cron's scrape).

The scrape marks the vehicles whose photos live on their detail page (gallery_rules.py); this reads
the due ones politely (the scraper's User-Agent, robots.txt, at most 6 at once, three tries for
5xx and timeouts) within the invocation's subrequest budget and waitUntil's time, then writes every
result in one D1 batch: the gallery becomes the vehicle's list with its uploaded ids kept in place,
a 404 is "listed but gone", a failure is counted and tried again next run.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field, replace

from .. import db, iso_utc
from ..subrequests import SUBREQUESTS_SPENT
from .api_reading import MAX_IN_FLIGHT
from .extract import photos_from_detail
from .fetching import ScrapeLimits, Site
from .saving import merge_images
from .site_errors import BotWall, SiteError, SubrequestsSpent

KEPT_FOR_WRITE_BACK = 4  # the write-back, the run record, the hand-off's vendor-URL query and call
# Inside waitUntil's 30 s after the answer: no page starts after TIME_BUDGET_S, and none takes longer
# than its tries at PAGE_TIMEOUT_S each (plus the retry waits).
TIME_BUDGET_S = 15.0
PAGE_TIMEOUT_S = 4.0


@dataclass
class GalleryRun:
    """What one gallery run did (`to_json` for the logs, the runs table and the answer)."""

    due: int = 0
    read: int = 0
    gone: int = 0
    empty: int = 0
    failed: int = 0
    photos_added: int = 0
    photos_removed: int = 0
    site_requests: int = 0
    stopped_because: str | None = None
    statements: list = field(default_factory=list)
    start_deadline: float = float("inf")  # no page starts after this (time.monotonic)

    def to_json(self) -> dict:
        data = {
            "due": self.due,
            "read": self.read,
            "gone": self.gone,
            "empty": self.empty,
            "failed": self.failed,
            "photosAdded": self.photos_added,
            "photosRemoved": self.photos_removed,
            "siteRequests": self.site_requests,
        }
        return {**data, **({"stoppedBecause": self.stopped_because} if self.stopped_because else {})}


@dataclass
class GalleryReader:
    """One invocation's gallery reading: the site, its settings and the subrequest budget."""

    http: object
    d1: object
    start_url: str
    profile: dict
    limits: ScrapeLimits = field(default_factory=ScrapeLimits)
    respect_robots: bool = True
    max_age_hours: float = 24.0
    max_reads: int = 200
    trigger: str = "http"  # the scrape's: http or cron
    time_budget_s: float = TIME_BUDGET_S
    log: object = print


def _record(run: GalleryRun, row: dict, photos: list[str] | None, now: str) -> None:
    if photos is None:  # listed but gone
        run.gone += 1
        reason = "the detail page answered HTTP 404 or 410: listed but gone"
        run.statements.append(db.gallery_kept_statement(row, "gone", reason, now))
    elif not photos:
        run.empty += 1
        reason = "the detail page showed no photos: the listing's are kept"
        run.statements.append(db.gallery_kept_statement(row, "read", reason, now))
    else:
        old_sources = json.loads(row["source_images"])
        images = merge_images(photos, json.loads(row["images"]), old_sources)
        run.read += 1
        run.photos_added += len(set(photos) - set(old_sources))
        if row["gallery"] != "pending":  # not the listing's stand-ins: photos the dealer removed
            run.photos_removed += len(set(old_sources) - set(photos))
        run.statements += db.gallery_read_statements(row, photos, images, now)


async def _fetch(
    reader: GalleryReader, site: Site, run: GalleryRun, row: dict, now: str
) -> str | None | bool:
    """The detail page (None: gone), or False when there is nothing to record now."""
    url = row["detail_url"]
    try:
        if reader.respect_robots and not await site.robots_allow(url):
            reason = "robots.txt disallows the detail page: the listing's photos are kept"
            run.empty += 1
            run.statements.append(db.gallery_kept_statement(row, "read", reason, now))
            return False
        return await site.page(url, gone_ok=True)
    except SubrequestsSpent as error:
        run.stopped_because = str(error)
    except BotWall as error:
        run.stopped_because = f"the site's bot protection answered: {error}"
    except SiteError as error:
        run.failed += 1
        run.statements.append(db.gallery_failed_statement(row, str(error)))
    return False


async def _read_one(reader: GalleryReader, site: Site, run: GalleryRun, row: dict, gate, now: str):
    async with gate:
        if run.stopped_because:
            return
        if time.monotonic() > run.start_deadline:
            run.stopped_because = f"no time left in this run ({reader.time_budget_s:.0f} s)"
            return
        html = await _fetch(reader, site, run, row, now)
    if html is not False:
        photos = None if html is None else photos_from_detail(html, row["detail_url"], reader.profile)
        _record(run, row, photos, now)


async def _read_due(reader: GalleryReader, rows: list[dict], run: GalleryRun, now: str) -> None:
    limits = replace(reader.limits, timeout_s=min(reader.limits.timeout_s, PAGE_TIMEOUT_S))
    site = Site(
        reader.http, reader.start_url, reader.profile, limits, reader.respect_robots, KEPT_FOR_WRITE_BACK
    )
    run.start_deadline = time.monotonic() + reader.time_budget_s
    gate = asyncio.Semaphore(MAX_IN_FLIGHT)
    await asyncio.gather(*(_read_one(reader, site, run, row, gate, now) for row in rows))
    run.site_requests = site.requests
    if run.statements:
        await reader.d1.batch(run.statements)


async def read_galleries(reader: GalleryReader) -> dict:
    """Read the due galleries (at most `max_reads`, within the time and subrequest budgets), save them."""
    started, budget = time.time(), reader.http.subrequests
    run = GalleryRun()
    if not budget.allows(1, KEPT_FOR_WRITE_BACK):
        run.stopped_because = SUBREQUESTS_SPENT
        _log(reader.log, run)
        return run.to_json()
    rows = await db.galleries_due(reader.d1, iso_utc(started - reader.max_age_hours * 3600), reader.max_reads)
    run.due = len(rows)
    if rows:
        await _read_due(reader, rows, run, iso_utc(started))
    summary = {**run.to_json(), "durationMs": int((time.time() - started) * 1000)}
    if rows:
        summary["subrequests"] = budget.used + 1  # and the run record
        finished = iso_utc(time.time())
        await db.record_run(reader.d1, "galleries", reader.trigger, iso_utc(started), finished, summary)
    _log(reader.log, run)
    return summary


def _log(log, run: GalleryRun) -> None:
    """Every gallery run ends with this line (dev/client.wait_until_quiet waits for it)."""
    log(
        f"🖼️ Galleries: {run.read} read ({run.photos_added} photos added, {run.photos_removed} removed), "
        f"{run.gone} gone, {run.empty} without photos, {run.failed} failed, of {run.due} due"
    )
    if run.stopped_because:
        log(f"  ⏸ Stopped: {run.stopped_because}; the rest waits for the next run")
