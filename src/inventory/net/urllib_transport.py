"""An HTTP transport for plain CPython (the extract command and unit tests): urllib in a thread.

Like every transport (see inventory.http) it follows no redirects and reads at most `max_bytes`.
"""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request

from .http import CountingTransport, HttpResponse, ResponseTooLarge, TransportError, declared_length


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 3xx comes back as an HTTPError, which is read as an answer


_OPENER = urllib.request.build_opener(_NoRedirects)


class UrllibHttp(CountingTransport):
    async def request(
        self, method, url, headers=None, body=None, timeout_s=15.0, max_bytes=None
    ) -> HttpResponse:
        self.count_request()
        return await asyncio.to_thread(self._send, method, url, headers or {}, body, timeout_s, max_bytes)

    @staticmethod
    def _send(method, url, headers, body, timeout_s, max_bytes) -> HttpResponse:
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with _OPENER.open(request, timeout=timeout_s) as response:
                return _read(url, response.status, response, max_bytes)
        except urllib.error.HTTPError as error:
            return _read(url, error.code, error, max_bytes)
        except (urllib.error.URLError, OSError, TimeoutError) as error:
            raise TransportError(f"{type(error).__name__}: {error}") from None


def _read(url, status, response, max_bytes) -> HttpResponse:
    headers = {k.lower(): v for k, v in response.headers.items()}
    declared = declared_length(headers)
    if max_bytes is not None and declared is not None and declared > max_bytes:
        raise ResponseTooLarge(url, max_bytes, declared)
    body = response.read() if max_bytes is None else response.read(max_bytes + 1)
    if max_bytes is not None and len(body) > max_bytes:
        raise ResponseTooLarge(url, max_bytes, len(body))
    return HttpResponse(status, body, headers)
