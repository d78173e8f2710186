"""The one HTTP interface the logic speaks, with swappable transports (as httpx does).

    response = await client.request("GET", url, headers={...}, body=b"...", timeout_s=10, max_bytes=N)

A transport never follows redirects (a 3xx comes back as it is) and never holds more than
`max_bytes` of an answer's body: over it, it raises ResponseTooLarge. `get_following_redirects`
follows redirects by hand so that every hop's target can be checked before it is fetched.

`inventory.runtime.WorkersHttp` sends through the Workers `fetch`; `inventory.local_http.UrllibHttp`
through urllib under CPython (the extract command, unit tests).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin

from ..subrequests import Subrequests

MAX_REDIRECTS = 5
REDIRECT_STATUSES = (301, 302, 303, 307, 308)


class TransportError(Exception):
    """No HTTP answer at all: connection refused or dropped, DNS failure, timeout."""


class ResponseTooLarge(Exception):
    """The answer's body is larger than the caller's `max_bytes`; it was not read whole."""

    def __init__(self, url: str, limit: int, seen: int):
        super().__init__(f"{url} is larger than {limit} bytes (at least {seen} bytes)")
        self.url, self.limit, self.seen = url, limit, seen


class RedirectRefused(Exception):
    """A redirect led somewhere the caller does not fetch, or there were too many of them."""


@dataclass
class HttpResponse:
    status: int
    body: bytes = b""
    headers: dict = field(default_factory=dict)  # lower-case names

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.body)


class CountingTransport:
    """What every transport shares: the count of requests it sent (tests and benchmarks read it),
    and the invocation's subrequest budget that its requests are spent from (subrequests.py)."""

    def __init__(self, subrequests: Subrequests | None = None):
        self.requests = 0
        self.subrequests = subrequests or Subrequests()

    def count_request(self) -> None:
        self.requests += 1
        self.subrequests.spend()


def declared_length(headers: dict) -> int | None:
    value = str(headers.get("content-length") or "").strip()
    return int(value) if value.isascii() and value.isdigit() else None


async def get_following_redirects(
    http,
    url: str,
    *,
    check_url,
    headers: dict | None = None,
    timeout_s: float = 15.0,
    max_bytes: int | None = None,
):
    """GET `url`, following at most MAX_REDIRECTS redirects, each target first checked by
    `check_url(url) -> reason or None`. Returns (the final answer, its URL). The whole chain
    shares `timeout_s`. Raises RedirectRefused, TransportError, ResponseTooLarge."""
    deadline, left = time.monotonic() + timeout_s, timeout_s
    for _ in range(MAX_REDIRECTS + 1):
        response = await http.request("GET", url, headers=headers, timeout_s=left, max_bytes=max_bytes)
        location = response.headers.get("location")
        if response.status not in REDIRECT_STATUSES or not location:
            return response, url
        target = urljoin(url, location.strip())
        reason = check_url(target)
        if reason:
            raise RedirectRefused(f"{url} redirects to a refused address ({reason})")
        url, left = target, max(0.5, deadline - time.monotonic())
    raise RedirectRefused(f"more than {MAX_REDIRECTS} redirects, last to {url}")
