"""Photos the dealer replaced at the same URL (a retouched or re-shot picture).

The custom id comes from the URL, and Cloudflare Images cannot change an image in place, so a new
picture means a new image. On a slow schedule (each active vehicle's uploaded photos once every
PHOTO_CHECK_DAYS, at most PHOTO_CHECKS_PER_RUN a run) the vendor's host is asked with a conditional
HEAD (If-None-Match, else If-Modified-Since). The first answer gives the photo's validators (ETag,
Last-Modified, Content-Length); a later one that differs means the photo was replaced: it is uploaded
again as ID-vN, its row and every list entry switch to the new id and the first upload is queued for
deletion, in one D1 batch, and the deleter removes it after (lifecycle.py). A host that answers with
no validators is never asked again.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass

from .. import db, iso_utc
from ..net.http import TransportError
from .display import image_id_for
from .retries import attempt_cost
from .transports import download_photo
from .verdicts import EXISTS, OK, validators_of

CHECK_TIMEOUT_S = 10.0
MAX_IN_FLIGHT = 6
SAME, CHANGED, BASELINE, NO_VALIDATORS = "same", "changed", "baseline", "none"
UNANSWERED, REFUSED = "unanswered", "refused"  # asked again next run / a PHOTO_CHECK_DAYS later


@dataclass
class Checks:
    checked: int = 0
    replaced: int = 0
    without_validators: int = 0
    failed: int = 0  # no answer, or the new upload failed: asked again next run


def differs(found: dict, row: dict) -> bool:
    """The ETag decides when both have one; else Last-Modified, then Content-Length."""
    if found["etag"] and row["etag"]:
        return found["etag"] != row["etag"]
    return (found["last_modified"], found["content_length"]) != (row["last_modified"], row["content_length"])


async def ask(http, row: dict, settings) -> tuple[str, dict | None]:
    """One conditional HEAD to the photo's host: what it says of the photo."""
    if settings.refuses(row["source_url"]):
        return REFUSED, None
    conditions = {"If-None-Match": row["etag"]} if row["etag"] else {}
    if row["last_modified"] and not row["etag"]:
        conditions = {"If-Modified-Since": row["last_modified"]}
    try:
        answer = await http.request("HEAD", row["source_url"], headers=conditions, timeout_s=CHECK_TIMEOUT_S)
    except TransportError:
        return UNANSWERED, None
    if answer.status == 304:
        return SAME, None
    if not answer.ok:
        return REFUSED, None  # a HEAD refused, a photo gone (the scrape's business): asked again later
    found = validators_of(answer.headers)
    if found is None:
        return NO_VALIDATORS, None
    if not row["etag"] and not row["last_modified"]:
        return BASELINE, found
    return (CHANGED if differs(found, row) else SAME), found


async def _same_bytes(p, row: dict) -> bool:
    """Where the photo's bytes were hashed at upload (file and binding modes): is the photo behind a
    changed validator still the same picture (a CDN that renamed its ETags)? One download tells."""
    if not row.get("content_sha256") or not getattr(p.transport, "downloads_photos", False):
        return False
    photo, verdict = await download_photo(p.http, row["source_url"], 30.0, p.settings.refuses)
    return verdict.kind == OK and hashlib.sha256(photo.body).hexdigest() == row["content_sha256"]


async def _upload_new_version(p, row: dict, budget) -> str | None:
    new_id = f"{image_id_for(row['source_url'], p.settings.id_prefix)}-v{row['version'] + 1}"
    if p.transport.uploads_use_budget and not await budget.take():
        return None
    metadata = {"source": row["source_url"], "vehicleId": row["vehicle_id"], "version": row["version"] + 1}
    verdict = await p.transport.upload(row["source_url"], new_id, metadata, timeout_s=30.0)
    if verdict.kind == EXISTS and await p.transport.exists(new_id):
        return new_id
    return new_id if verdict.kind == OK else None


async def _check_one(p, row: dict, budget, checks: Checks, now: str) -> list:
    outcome, found = await ask(p.http, row, p.settings)
    if outcome in (UNANSWERED, REFUSED):
        checks.failed += 1
        return [db.photo_checked_statement(row["source_url"], {}, now)] if outcome == REFUSED else []
    checks.checked += 1
    if outcome == NO_VALIDATORS:
        checks.without_validators += 1
        return [db.photo_checked_statement(row["source_url"], None, now)]
    if outcome != CHANGED or await _same_bytes(p, row):
        return [db.photo_checked_statement(row["source_url"], found or {}, now)]
    new_id = await _upload_new_version(p, row, budget)
    if new_id is None:
        checks.failed += 1
        return []
    checks.replaced += 1
    p.log(f"  🔁 Photo replaced at {row['source_url'][:100]}: uploaded again as {new_id}")
    return db.photo_replaced_statements(row, new_id, found, now)


async def check_photos(p, check_days: float, per_run: int, budget, now: float, keep: int) -> Checks:
    """Ask about the photos due a check; switch and queue the replaced ones (one D1 batch)."""
    checks = Checks()
    cost = 1 + attempt_cost(p.transport)  # the HEAD, and a new upload should it be replaced
    affordable = max(0, (p.subrequests.left - keep - 2) // cost)
    if check_days <= 0 or not affordable or p.http is None:
        return checks
    rows = await db.photos_to_check(p.d1, iso_utc(now - check_days * 86_400), min(per_run, affordable))
    gate, stamp = asyncio.Semaphore(MAX_IN_FLIGHT), iso_utc(now)

    async def one(row):
        async with gate:
            try:
                return await _check_one(p, row, budget, checks, stamp)
            except Exception as error:  # one odd answer must not stop the cleanup: asked again later
                p.log(f"  ⚠️ Checking {row['source_url'][:100]} failed: {error}")
                checks.failed += 1
                return [db.photo_checked_statement(row["source_url"], {}, stamp)]

    statements = [s for found in await asyncio.gather(*(one(row) for row in rows)) for s in found]
    if statements:
        await p.d1.batch(statements)
    return checks
