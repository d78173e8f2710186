"""Uploading one photo to Cloudflare Images: transports, the retry schedule, the shared API budget.

A transport has two methods, `await transport.upload(source_url, image_id, metadata, timeout_s) ->
Verdict` and `await transport.exists(image_id, timeout_s) -> bool`; `timeout_s` (None: the
transport's own) is how long a background run has left. Three are here or in runtime.py:
  RestUrlTransport   the REST API, Cloudflare fetches the photo itself (one subrequest, no bytes here)
  RestFileTransport  download the photo, check it, upload the bytes
  BindingTransport   env.IMAGES.hosted.upload (in inventory.runtime: it needs the Workers runtime)
"""
from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from . import db
from .http import RedirectRefused, ResponseTooLarge, TransportError, get_following_redirects
from .images import (EXISTS, FATAL, MAX_IMAGE_BYTES, OK, PERMANENT, TRANSIENT, Verdict, judge_api_answer,
                     judge_vendor_download, multipart, refuse_photo_url)

RETRY_DELAYS_S = (1.0, 2.0, 4.0)   # attempt 1 at once, then these waits: 4 attempts in all
JITTER = 0.25                      # up to +25% of each wait
MIN_ATTEMPT_S = 1.0                # a background run starts no request with less time than this left


def public_hosts_only(url: str) -> str | None:
    """The default redirect check of a download: any public http(s) host."""
    return refuse_photo_url(url, [])


class RestUrlTransport:
    """With `batch_api_base`, uploads go to the batch host under a short-lived batch token: they do
    not count against the account's rate limit (only fetching the token and read-backs do)."""

    def __init__(self, http, api_base: str, account_id: str, token: str, timeout_s: float = 30.0,
                 batch_api_base: str | None = None, check_url=public_hosts_only):
        self.http, self.token, self.timeout_s = http, token, timeout_s
        self.check_url = check_url      # for downloads (file mode): the photo hosts' rules
        self.images_url = f"{api_base.rstrip('/')}/accounts/{account_id}/images/v1"
        self.batch_url = f"{batch_api_base.rstrip('/')}/images/v1" if batch_api_base else None
        self.batch_token = None

    @property
    def uploads_use_budget(self) -> bool:
        return self.batch_url is None

    def _auth(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    async def prepare(self, budget) -> None:
        """Fetch a batch token (one account API request) when batch uploads are configured."""
        if not self.batch_url or self.batch_token:
            return
        if not await budget.take():
            raise BudgetSpent("no API budget left to fetch a batch token")
        try:
            answer = await self.http.request("GET", f"{self.images_url}/batch_token", headers=self._auth(),
                                             timeout_s=self.timeout_s)
            self.batch_token = answer.json()["result"]["token"] if answer.ok else None
        except (TransportError, ValueError, KeyError, TypeError):
            self.batch_token = None
        if not self.batch_token:
            self.batch_url = None      # fall back to the account API for this run
            print("⚠️ Could not get a batch token; uploading through the account API")

    def _limit(self, timeout_s: float | None) -> float:
        return self.timeout_s if timeout_s is None else min(self.timeout_s, timeout_s)

    async def _post(self, fields: dict, files: dict | None = None, timeout_s: float | None = None) -> Verdict:
        body, content_type = multipart(fields, files)
        url, auth = self.images_url, self._auth()
        if self.batch_url and self.batch_token:
            url, auth = self.batch_url, {"Authorization": f"Bearer {self.batch_token}"}
        try:
            answer = await self.http.request("POST", url, body=body, timeout_s=self._limit(timeout_s),
                                             headers={**auth, "Content-Type": content_type})
        except TransportError as error:
            return Verdict(TRANSIENT, f"no answer from the Images API ({error})")
        if answer.status == 401 and url == self.batch_url:
            self.batch_token = None    # expired: the next attempt goes through the account API
            self.batch_url = None
            return Verdict(TRANSIENT, "batch token refused (expired?)")
        return judge_api_answer(answer.status, answer.body, answer.headers)

    async def upload(self, source_url: str, image_id: str, metadata: dict, timeout_s: float | None = None) -> Verdict:
        """`timeout_s`: at most this long (a background run's time left), never more than the default."""
        return await self._post({"url": source_url, "id": image_id, "metadata": json.dumps(metadata),
                                 "requireSignedURLs": "false"}, timeout_s=timeout_s)

    async def exists(self, image_id: str, timeout_s: float | None = None) -> bool:
        try:
            answer = await self.http.request("GET", f"{self.images_url}/{quote(image_id, safe='')}",
                                             headers=self._auth(), timeout_s=self._limit(timeout_s))
        except TransportError:
            return False
        return answer.ok


async def download_photo(http, source_url: str, timeout_s: float, check_url=public_hosts_only):
    """GET the vendor's photo and judge it: (the answer, OK) or (the answer or None, why not).
    Redirects are followed by hand, each hop checked by `check_url` (the upload's host rules);
    no more than the API's 10 MB is ever read."""
    try:
        photo, _ = await get_following_redirects(http, source_url, check_url=check_url, timeout_s=timeout_s,
                                                 max_bytes=MAX_IMAGE_BYTES)
    except TransportError as error:
        return None, Verdict(TRANSIENT, f"vendor did not answer ({error})")
    except ResponseTooLarge as error:
        return None, Verdict(PERMANENT, f"too large: over {error.limit} bytes (limit {MAX_IMAGE_BYTES})")
    except RedirectRefused as error:
        return None, Verdict(PERMANENT, f"refused: {error}")
    return photo, judge_vendor_download(photo.status, photo.body, photo.headers)


class RestFileTransport(RestUrlTransport):
    """Downloads the photo first: checks type and size before spending an API request on it."""

    async def upload(self, source_url: str, image_id: str, metadata: dict, timeout_s: float | None = None) -> Verdict:
        limit, started = self._limit(timeout_s), time.monotonic()
        photo, verdict = await download_photo(self.http, source_url, limit, self.check_url)
        if verdict.kind != OK:
            return verdict
        left = self.timeout_s if timeout_s is None else limit - (time.monotonic() - started)
        if left < MIN_ATTEMPT_S:
            return Verdict(TRANSIENT, "downloaded, but no time left to upload in this run")
        filename = urlsplit(source_url).path.rsplit("/", 1)[-1] or "photo"
        return await self._post({"id": image_id, "metadata": json.dumps(metadata), "requireSignedURLs": "false"},
                                {"file": (filename, photo.body, photo.headers.get("content-type", "image/jpeg"))},
                                timeout_s=left)


class BudgetSpent(Exception):
    pass


class ApiBudget:
    """The processor's share of the Images API rate limit, counted in D1 across invocations.

    Cloudflare allows 1,200 requests per rolling 5 minutes. Budgets are kept per clock minute:
    any 5-minute span touches at most 6 minutes, so `per_minute` <= 200 keeps every span under
    1,200 whatever the other invocations do.
    """

    def __init__(self, d1, per_minute: int, clock=time.time, chunk: int = 6):
        self.d1, self.per_minute, self.clock, self.chunk = d1, per_minute, clock, chunk
        self._window, self._left, self._lock = None, 0, asyncio.Lock()
        self._exhausted_window = None   # no more to be had this minute: stop asking D1
        self.spent = 0

    async def reserve(self, wanted: int) -> int:
        window = int(self.clock() // 60 * 60)
        if window != self._window:
            self._window, self._left = window, 0
        wanted = max(0, wanted - self._left)      # never hold more than this run can use
        if self._exhausted_window == window or not wanted:
            return 0
        granted = await db.reserve_api_requests(self.d1, window, wanted, self.per_minute)
        if granted < wanted:
            self._exhausted_window = window
        self._left += granted
        return granted

    @property
    def exhausted(self) -> bool:
        return self._exhausted_window == int(self.clock() // 60 * 60) and self._left <= 0

    async def take(self) -> bool:
        async with self._lock:
            if self._window != int(self.clock() // 60 * 60) or self._left <= 0:
                await self.reserve(self.chunk)
            if self._left <= 0:
                return False
            self._left -= 1
            self.spent += 1
            return True


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

    def as_row(self) -> dict:
        return {"source_url": self.source_url, "ok": self.ok, "attempts": self.attempts,
                "error": self.error, "permanent": self.permanent}


async def upload_with_retries(transport, budget: ApiBudget, source_url: str, image_id: str, metadata: dict, *,
                              sleep=asyncio.sleep, clock=time.monotonic, deadline: float | None = None,
                              log=print, max_attempts: int = len(RETRY_DELAYS_S) + 1) -> UploadOutcome:
    """Attempt 1 at once, then after 1 s, 2 s and 4 s (plus jitter); a 429 waits for retry-after.

    In queue mode `max_attempts` is 1: the queue redelivers on the same schedule instead.
    """
    verdict = Verdict(TRANSIENT, "not tried")
    attempts = 0

    def time_left() -> float | None:
        """A background run must end inside the runtime's window: no request outlives the deadline
        (by more than MIN_ATTEMPT_S: the hard deadline leaves 2 s of the window for that)."""
        return None if deadline is None else max(MIN_ATTEMPT_S, deadline - clock())

    for attempt in range(1, max_attempts + 1):
        if attempt > 1:
            wait = RETRY_DELAYS_S[attempt - 2] * (1 + random.uniform(0, JITTER))
            if verdict.retry_after_s is not None:
                wait = max(wait, verdict.retry_after_s)
            if deadline is not None and clock() + wait + MIN_ATTEMPT_S > deadline:
                verdict = Verdict(TRANSIENT, f"{verdict.reason}; no time left to retry in this run")
                break
            await sleep(wait)
        if getattr(transport, "uploads_use_budget", True) and not await budget.take():
            if not attempts:
                return UploadOutcome(source_url, image_id, False, 0, "Images API budget for this minute spent")
            verdict = Verdict(TRANSIENT, f"Images API budget for this minute spent (last error: {verdict.reason})")
            break
        attempts = attempt
        verdict = await transport.upload(source_url, image_id, metadata, timeout_s=time_left())
        if verdict.kind == OK:
            log(f"    ✅ Uploaded: {image_id} (attempt {attempt})")
            return UploadOutcome(source_url, image_id, True, attempts)
        if verdict.kind == EXISTS:
            # A lost answer to an earlier upload, or a second run: the id is deterministic, so an
            # image under it is this photo. Check it is really there before counting it done.
            if await budget.take() and await transport.exists(image_id, timeout_s=time_left()):
                log(f"    ✅ Uploaded: {image_id} (attempt {attempt}, already there)")
                return UploadOutcome(source_url, image_id, True, attempts)
            verdict = Verdict(TRANSIENT, f"{verdict.reason}; but the image could not be read back")
        if verdict.kind in (PERMANENT, FATAL):
            break
        log(f"    ⚠️ Attempt {attempt} failed for {image_id}: {verdict.reason}")
    log(f"    ❌ Failed: {image_id} after {attempts} attempt(s): {verdict.reason}")
    return UploadOutcome(source_url, image_id, False, attempts, verdict.reason,
                         permanent=verdict.kind == PERMANENT, fatal=verdict.kind == FATAL,
                         retry_after_s=verdict.retry_after_s)
