"""An HTTP transport for plain CPython (the extract command and unit tests): urllib in a thread."""
from __future__ import annotations

import asyncio
import urllib.error
import urllib.request

from .http import HttpResponse, TransportError


class UrllibHttp:
    def __init__(self):
        self.requests = 0

    async def request(self, method, url, headers=None, body=None, timeout_s=15.0) -> HttpResponse:
        self.requests += 1
        return await asyncio.to_thread(self._send, method, url, headers or {}, body, timeout_s)

    @staticmethod
    def _send(method, url, headers, body, timeout_s) -> HttpResponse:
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                return HttpResponse(response.status, response.read(),
                                    {k.lower(): v for k, v in response.headers.items()})
        except urllib.error.HTTPError as error:
            return HttpResponse(error.code, error.read(), {k.lower(): v for k, v in error.headers.items()})
        except (urllib.error.URLError, OSError, TimeoutError) as error:
            raise TransportError(f"{type(error).__name__}: {error}") from None
