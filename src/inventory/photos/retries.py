"""One photo's upload with its retries: attempt 1 at once, then 1 s, 2 s, 4 s plus jitter."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass

from ..subrequests import SUBREQUESTS_SPENT, Subrequests
from .budget import ApiBudget
from .transports import MIN_ATTEMPT_S
from .verdicts import EXISTS, FATAL, OK, PERMANENT, TRANSIENT, Verdict

RETRY_DELAYS_S = (1.0, 2.0, 4.0)  # attempt 1 at once, then these waits: 4 attempts in all
JITTER = 0.25  # up to +25% of each wait


@dataclass
class UploadOutcome:
    source_url: str
    image_id: str
    ok: bool
    attempts: int
    error: str | None = None
    permanent: bool = False
    fatal: bool = False
    retry_after_s: float | None = None
    validators: dict | None = None  # what the vendor's host said of the photo (file, binding modes)

    def as_row(self) -> dict:
        return {
            "source_url": self.source_url,
            "ok": self.ok,
            "attempts": self.attempts,
            "error": self.error,
            "permanent": self.permanent,
            "validators": self.validators,
        }


def _retry_wait(attempt: int, last: Verdict) -> float:
    wait = RETRY_DELAYS_S[attempt - 2] * (1 + random.uniform(0, JITTER))
    return wait if last.retry_after_s is None else max(wait, last.retry_after_s)


async def _try_once(
    transport, budget: ApiBudget, source_url: str, image_id: str, metadata: dict, pacing: Pacing
) -> Verdict:
    """One attempt, within the time left; it gives back the subrequests _before_attempt set aside."""
    try:
        verdict = await transport.upload(source_url, image_id, metadata, timeout_s=pacing.time_left())
        if verdict.kind != EXISTS:
            return verdict
        # A lost answer to an earlier upload, or a second run: the id is deterministic, so an image
        # under it is this photo. Check it is really there before counting it done.
        if await budget.take() and await transport.exists(image_id, timeout_s=pacing.time_left()):
            return Verdict(OK, "already there", image_id=image_id)
        return Verdict(TRANSIENT, f"{verdict.reason}; but the image could not be read back")
    finally:
        _release(transport, pacing)


@dataclass
class Pacing:
    """When a photo's attempts may run: the waits between them, within a background run's deadline."""

    sleep: object = asyncio.sleep
    clock: object = time.monotonic
    deadline: float | None = None
    subrequests: Subrequests | None = None  # the invocation's budget (subrequests.py)
    keep: int = 0  # subrequests that must stay for after the uploads (the write-back)

    def time_left(self) -> float | None:
        """No request outlives the deadline (by more than MIN_ATTEMPT_S: the hard deadline leaves 2 s
        of the runtime's window for that)."""
        return None if self.deadline is None else max(MIN_ATTEMPT_S, self.deadline - self.clock())


async def _before_attempt(transport, budget: ApiBudget, attempt: int, last: Verdict, pacing: Pacing):
    """None when the attempt may go ahead, else the verdict that ends the retries."""
    if attempt > 1:
        wait = _retry_wait(attempt, last)
        if pacing.deadline is not None and pacing.clock() + wait + MIN_ATTEMPT_S > pacing.deadline:
            return Verdict(TRANSIENT, f"{last.reason}; no time left to retry in this run")
        await pacing.sleep(wait)
    if pacing.subrequests and not pacing.subrequests.hold(attempt_cost(transport), pacing.keep):
        spent = SUBREQUESTS_SPENT
        return Verdict(TRANSIENT, spent if attempt == 1 else f"{spent} (last error: {last.reason})")
    try:
        granted = not transport.uploads_use_budget or await budget.take()
    except BaseException:
        _release(transport, pacing)
        raise
    if not granted:
        _release(transport, pacing)
        spent = "Images API budget for this minute spent"
        return Verdict(TRANSIENT, spent if attempt == 1 else f"{spent} (last error: {last.reason})")
    return None


def attempt_cost(transport) -> int:
    """The most subrequests one attempt makes: the transport's requests, a read-back of an image
    that already exists, and two D1 calls for more Images API budget (before each request)."""
    return transport.requests_per_attempt + 3


def _release(transport, pacing: Pacing) -> None:
    if pacing.subrequests:
        pacing.subrequests.release(attempt_cost(transport))


def _failed(source_url: str, image_id: str, attempts: int, verdict: Verdict) -> UploadOutcome:
    return UploadOutcome(
        source_url,
        image_id,
        False,
        attempts,
        verdict.reason,
        permanent=verdict.kind == PERMANENT,
        fatal=verdict.kind == FATAL,
        retry_after_s=verdict.retry_after_s,
    )


async def upload_with_retries(
    transport,
    budget: ApiBudget,
    source_url: str,
    image_id: str,
    metadata: dict,
    *,
    sleep=asyncio.sleep,
    clock=time.monotonic,
    deadline: float | None = None,
    log=print,
    max_attempts: int = len(RETRY_DELAYS_S) + 1,
    subrequests: Subrequests | None = None,
    keep: int = 0,
) -> UploadOutcome:
    """Attempt 1 at once, then after 1 s, 2 s and 4 s (plus jitter); a 429 waits for retry-after; a
    background run's `deadline` is never passed. In queue mode `max_attempts` is 1: the queue
    redelivers on the same schedule instead."""
    pacing = Pacing(sleep, clock, deadline, subrequests, keep)
    verdict, attempts = Verdict(TRANSIENT, "not tried"), 0
    for attempt in range(1, max_attempts + 1):
        stop = await _before_attempt(transport, budget, attempt, verdict, pacing)
        if stop is not None and not attempts:  # not even tried: the budget was spent
            return UploadOutcome(source_url, image_id, False, 0, stop.reason)
        if stop is not None:
            verdict = stop
            break
        attempts = attempt
        verdict = await _try_once(transport, budget, source_url, image_id, metadata, pacing)
        if verdict.kind == OK:
            note = f", {verdict.reason}" if verdict.reason else ""
            log(f"    ✅ Uploaded: {image_id} (attempt {attempt}{note})")
            return UploadOutcome(source_url, image_id, True, attempts, validators=verdict.validators)
        if verdict.kind in (PERMANENT, FATAL):
            break
        log(f"    ⚠️ Attempt {attempt} failed for {image_id}: {verdict.reason}")
    log(f"    ❌ Failed: {image_id} after {attempts} attempt(s): {verdict.reason}")
    return _failed(source_url, image_id, attempts, verdict)
