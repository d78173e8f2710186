"""Galleries from detail pages, read in the background after a scrape (and by the cron's scrape).

The scrape marks the vehicles whose photos live on their detail page (gallery_rules.py); this reads
the due ones politely (the scraper's User-Agent, robots.txt, at most 6 at once, three tries for
5xx and timeouts) and within the invocation's subrequest budget, then writes every result in one
D1 batch: the gallery becomes the vehicle's list with its uploaded ids kept in place, a 404 is
"listed but gone", a failure is counted and tried again next run.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

from .. import db, iso_utc
from ..subrequests import Subrequests
from .api_reading import MAX_IN_FLIGHT
from .extract import photos_from_detail
from .fetching import ScrapeLimits, Site
from .saving import merge_images
from .site_errors import BotWall, SiteError

PAGE_COST = 1 + 2  # a detail page and its two retries
KEPT_FOR_WRITE_BACK = 4  # the write-back, the run record, the hand-off's vendor-URL query and call
GONE_STATUSES = (404, 410)
SUBREQUESTS_SPENT = "the invocation's subrequest budget (MAX_SUBREQUESTS_PER_INVOCATION) is spent"


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
    subrequests: Subrequests = field(default_factory=Subrequests)
    log: object = print


async def _page_or_status(site: Site, url: str) -> tuple[str | None, int]:
    """(the page, 200) or (None, its 404/410 status); SiteError for anything else."""
    response = await site.get(url, accept=lambda status: 200 <= status < 300 or status in GONE_STATUSES)
    if response.status in GONE_STATUSES:
        return None, response.status
    if not response.ok:
        raise SiteError(f"{url} answered HTTP {response.status}")
    return response.text(), response.status


def _record(run: GalleryRun, row: dict, photos: list[str] | None, status: int, now: str) -> None:
    if photos is None:  # listed but gone
        run.gone += 1
        reason = f"the detail page answered HTTP {status}: listed but gone"
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


async def _read_one(reader: GalleryReader, site: Site, run: GalleryRun, row: dict, gate, now: str):
    async with gate:
        if run.stopped_because:
            return
        if not reader.subrequests.hold(PAGE_COST + int(reader.respect_robots), KEPT_FOR_WRITE_BACK):
            run.stopped_because = (
                "the invocation's subrequest budget (MAX_SUBREQUESTS_PER_INVOCATION) is spent"
            )
            return
        try:
            if reader.respect_robots and not await site.robots_allow(row["detail_url"]):
                raise SiteError("robots.txt disallows it")
            html, status = await _page_or_status(site, row["detail_url"])
        except BotWall as error:
            run.stopped_because = f"the site's bot protection answered: {error}"
            return
        except SiteError as error:
            run.failed += 1
            run.statements.append(db.gallery_failed_statement(row, str(error)))
            return
        finally:
            reader.subrequests.release(PAGE_COST + int(reader.respect_robots))
    photos = None if html is None else photos_from_detail(html, row["detail_url"], reader.profile)
    _record(run, row, photos, status, now)


async def read_galleries(reader: GalleryReader) -> dict:
    """Read the due galleries (at most `max_reads`, within the subrequest budget) and save them."""
    started = time.time()
    read_before = iso_utc(started - reader.max_age_hours * 3600)
    rows = await db.galleries_due(reader.d1, read_before, reader.max_reads)
    run = GalleryRun(due=len(rows))
    if rows:
        site = Site(reader.http, reader.start_url, reader.profile, reader.limits, reader.respect_robots)
        gate, now = asyncio.Semaphore(MAX_IN_FLIGHT), iso_utc(started)
        await asyncio.gather(*(_read_one(reader, site, run, row, gate, now) for row in rows))
        run.site_requests = site.requests
        if run.statements:
            await reader.d1.batch(run.statements)
    summary = {**run.to_json(), "durationMs": int((time.time() - started) * 1000)}
    if rows:
        summary["subrequests"] = reader.subrequests.used + 1  # and the run record
        await db.record_run(
            reader.d1, "galleries", reader.trigger, iso_utc(started), iso_utc(time.time()), summary
        )
        _log(reader.log, run)
    return summary


def _log(log, run: GalleryRun) -> None:
    log(
        f"🖼️ Galleries: {run.read} read ({run.photos_added} photos added, {run.photos_removed} removed), "
        f"{run.gone} gone, {run.empty} without photos, {run.failed} failed, of {run.due} due"
    )
    if run.stopped_because:
        log(f"  ⏸ Stopped: {run.stopped_because}; the rest waits for the next run")
