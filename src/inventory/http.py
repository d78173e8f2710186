"""The one HTTP interface the logic speaks, with swappable transports (as httpx does).

    response = await client.request("GET", url, headers={...}, body=b"...", timeout_s=10)

`inventory.runtime.WorkersHttp` sends through the Workers `fetch`; `inventory.local_http.UrllibHttp`
through urllib under CPython (the extract command, unit tests).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field


class TransportError(Exception):
    """No HTTP answer at all: connection refused or dropped, DNS failure, timeout."""


@dataclass
class HttpResponse:
    status: int
    body: bytes = b""
    headers: dict = field(default_factory=dict)   # lower-case names

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.body)
