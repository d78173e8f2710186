"""The only module that touches the Workers runtime (`workers`, `js`): adapters for the rest.

  WorkersHttp       inventory.http's interface over the Workers fetch
  D1                inventory.db's interface over a D1 binding, counting round trips
  BindingTransport  uploads through the Images binding (env.IMAGES.hosted.upload)
  json_response     a JSON answer
"""
from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import js
from pyodide.ffi import jsnull, to_js
from workers import Response, fetch

from .db import retry_when_busy
from .http import HttpResponse, TransportError
from .images import EXISTS, OK, PERMANENT, TRANSIENT, Verdict
from .uploader import download_photo
from .web import MAX_BODY_BYTES, ApiError


def json_response(data, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(data), status=status,
                    headers={"content-type": "application/json; charset=utf-8", **(headers or {})})


async def answer(route, request) -> Response:
    """Run a route; an ApiError becomes its JSON answer, anything else a JSON 500 (the cause is
    logged, never shown: it may hold configuration)."""
    try:
        return await route(request)
    except ApiError as error:
        return json_response(error.body(), error.status)
    except Exception as error:
        print(f"💥 Unexpected {type(error).__name__}: {error}")
        return json_response({"success": False, "error": f"internal error ({type(error).__name__})"}, 500)


def html_response(text: str, status: int = 200) -> Response:
    return Response(text, status=status, headers={"content-type": "text/html; charset=utf-8",
                                                  "cache-control": "no-store"})


def env_value(env, name: str, default: str | None = None) -> str | None:
    value = getattr(env, name, None)
    if value is None or value is jsnull:
        return default
    return str(value)


def has_binding(env, name: str) -> bool:
    return getattr(env, name, None) not in (None, jsnull)


DISCARD_CAP_BYTES = 16 * 1024 * 1024


async def discard_body(request, cap_bytes: int = DISCARD_CAP_BYTES) -> None:
    """Read and drop a refused body, up to a cap. Under wrangler dev, answering before the client
    has sent its body breaks the connection and the client sees the 413 cut short; cancelling the
    stream does not help, reading does. A body over the cap gets its 413 on a broken connection."""
    try:
        stream = request.body
        if stream is None or stream is jsnull:
            return
        reader, seen = stream.getReader(), 0
        while seen <= cap_bytes:
            chunk = await reader.read()
            if chunk.done:
                return
            seen += chunk.value.byteLength
        await reader.cancel()
    except Exception:     # the client gave up mid-body: it still gets its 413, if it listens
        pass


async def request_parts(request) -> tuple[str, str, dict, bytes]:
    """method, path, query parameters and raw body of an incoming request."""
    url = urlsplit(request.url)
    body = b""
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            await discard_body(request)
            raise ApiError(413, f"request body too large: {declared} bytes (limit {MAX_BODY_BYTES})")
        body = await request.bytes()
    return request.method, url.path.rstrip("/") or "/", dict(parse_qsl(url.query)), body


class WorkersHttp:
    def __init__(self):
        self.requests = 0

    async def request(self, method, url, headers=None, body=None, timeout_s=15.0) -> HttpResponse:
        self.requests += 1
        options = {"method": method, "headers": headers or {},
                   "signal": js.AbortSignal.timeout(max(1, int(timeout_s * 1000)))}
        if body is not None:
            options["body"] = to_js(body)
        try:
            answer = await fetch(url, **options)
            data = await answer.bytes()
        except Exception as error:  # the runtime raises OSError, JsException, AbortError...
            raise TransportError(f"{type(error).__name__}: {error}") from None
        return HttpResponse(answer.status, data, {k.lower(): v for k, v in answer.headers.items()})


def to_python(value):
    """A JS value (as RPC arguments and D1 results can arrive) as plain Python; others unchanged."""
    return value.to_py() if hasattr(value, "to_py") else value


def _rows(result) -> list[dict]:
    result = to_python(result)
    rows = result.get("results") if isinstance(result, dict) else getattr(result, "results", None)
    return [dict(to_python(r)) for r in (to_python(rows) or [])]


class D1:
    def __init__(self, binding):
        self.binding = binding
        self.round_trips = 0

    def _statement(self, sql: str, params: list):
        statement = self.binding.prepare(sql)
        return statement.bind(*params) if params else statement

    async def all(self, sql: str, params: list) -> list[dict]:
        self.round_trips += 1
        return _rows(await retry_when_busy(lambda: self._statement(sql, params).all()))

    async def batch(self, statements: list[tuple[str, list]]) -> list[list[dict]]:
        self.round_trips += 1
        results = to_python(await retry_when_busy(
            lambda: self.binding.batch([self._statement(sql, params) for sql, params in statements])))
        return [_rows(r) for r in results]


class BindingTransport:
    """Uploads through `env.IMAGES.hosted` (no API token; the bytes pass through the Worker)."""

    uploads_use_budget = False    # the binding is not the rate-limited REST API

    def __init__(self, images_binding, http):
        self.hosted = images_binding.hosted
        self.http = http

    async def upload(self, source_url: str, image_id: str, metadata: dict, timeout_s: float | None = None) -> Verdict:
        # The download honours a background run's time left; the binding's upload takes no timeout.
        limit = 30.0 if timeout_s is None else min(30.0, timeout_s)
        photo, verdict = await download_photo(self.http, source_url, limit)
        if verdict.kind != OK:
            return verdict
        if await self.exists(image_id):
            return Verdict(EXISTS, "image id already present")
        try:
            result = to_python(await self.hosted.upload(photo.body, {"id": image_id, "metadata": metadata}))
        except Exception as error:
            message = str(error)
            kind = PERMANENT if "too large" in message.lower() or "unsupported" in message.lower() else TRANSIENT
            return Verdict(kind, f"Images binding: {message[:200]}")
        return Verdict(OK, image_id=(result or {}).get("id", image_id))

    async def exists(self, image_id: str, timeout_s: float | None = None) -> bool:
        try:
            image = await self.hosted.image(image_id)
            return bool(to_python(await image.details()))
        except Exception:
            return False
