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
from .http import HttpResponse, ResponseTooLarge, TransportError, declared_length
from .images import EXISTS, OK, PERMANENT, TRANSIENT, Verdict
from .uploader import download_photo, public_hosts_only
from .web import MAX_BODY_BYTES, ApiError


def json_response(data, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(data), status=status,
                    headers={"content-type": "application/json; charset=utf-8", **(headers or {})})


async def answer(route, request) -> Response:
    """Run a route; an ApiError becomes its JSON answer, anything else a JSON 500 (the cause is
    logged, never shown: it may hold configuration). A body the route did not read is drained."""
    try:
        response = await route(request)
    except ApiError as error:
        response = json_response(error.body(), error.status)
    except Exception as error:
        print(f"💥 Unexpected {type(error).__name__}: {error}")
        response = json_response({"success": False, "error": f"internal error ({type(error).__name__})"}, 500)
    await discard_unread_body(request)
    return response


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


DISCARD_CAP_BYTES = 16 * 1024 * 1024     # of a body refused for its size (413)
UNREAD_CAP_BYTES = 1024 * 1024           # of a body nobody read (401, 404, 405): it is not even drained far


class BodyTooLarge(Exception):
    def __init__(self, limit: int, seen: int):
        super().__init__(f"more than {limit} bytes (at least {seen})")
        self.limit, self.seen = limit, seen


async def read_stream(stream, limit: int, drain_cap: int = 0) -> bytes:
    """A JS ReadableStream's bytes, holding at most `limit` of them. Over the limit it raises
    BodyTooLarge, after reading and dropping up to `drain_cap` more bytes: under wrangler dev,
    answering before the client has sent its body breaks the connection (cancelling the stream
    does not help, reading does), so a refused request body is drained before its answer."""
    if stream is None or stream is jsnull:
        return b""
    reader, chunks, seen = stream.getReader(), [], 0
    while True:
        chunk = await reader.read()
        if chunk.done:
            return b"".join(chunks)
        seen += chunk.value.byteLength
        if seen > limit:
            break
        chunks.append(chunk.value.to_bytes())
    chunks.clear()
    while seen <= limit + drain_cap:
        chunk = await reader.read()
        if chunk.done:
            raise BodyTooLarge(limit, seen)
        seen += chunk.value.byteLength
    await reader.cancel()
    raise BodyTooLarge(limit, seen)


async def read_body(request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request's body, up to `limit` bytes whether or not it declares a Content-Length; over it,
    a 413. Handlers call this only after routing and auth, so a refused request is never read."""
    declared = request.headers.get("content-length") or ""
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        await discard_unread_body(request, DISCARD_CAP_BYTES)
        raise ApiError(413, f"request body too large: {declared} bytes (limit {limit})")
    try:
        return await read_stream(request.body, limit, DISCARD_CAP_BYTES)
    except BodyTooLarge:
        raise ApiError(413, f"request body too large: over {limit} bytes (limit {limit})") from None
    except Exception as error:     # the client gave up mid-body
        raise ApiError(400, f"request body could not be read ({type(error).__name__})") from None


async def discard_unread_body(request, cap_bytes: int = UNREAD_CAP_BYTES) -> None:
    """Read and drop a body nobody read (a refused request), up to `cap_bytes`; past that the client
    meets a closed connection under wrangler dev (production Cloudflare answers early requests itself)."""
    try:
        if request.body is None or request.body is jsnull or request.js_object.bodyUsed:
            return
        await read_stream(request.body, 0, cap_bytes)
    except Exception:     # over the cap, or the client gave up: it still gets its answer, if it listens
        pass


def request_parts(request) -> tuple[str, str, dict]:
    """method, path and query parameters of an incoming request (the body is read by read_body)."""
    url = urlsplit(request.url)
    return request.method, url.path.rstrip("/") or "/", dict(parse_qsl(url.query))


class WorkersHttp:
    """inventory.http's transport over the Workers fetch: redirects not followed, bodies bounded."""

    def __init__(self):
        self.requests = 0

    async def request(self, method, url, headers=None, body=None, timeout_s=15.0, max_bytes=None) -> HttpResponse:
        self.requests += 1
        options = {"method": method, "headers": headers or {}, "redirect": "manual",
                   "signal": js.AbortSignal.timeout(max(1, int(timeout_s * 1000)))}
        if body is not None:
            options["body"] = to_js(body)
        try:
            answer = await fetch(url, **options)
            headers = {k.lower(): v for k, v in answer.headers.items()}
            declared = declared_length(headers)
            if max_bytes is not None and declared is not None and declared > max_bytes:
                await answer.js_object.body.cancel()
                raise ResponseTooLarge(url, max_bytes, declared)
            data = await (answer.bytes() if max_bytes is None else read_stream(answer.js_object.body, max_bytes))
        except ResponseTooLarge:
            raise
        except BodyTooLarge as error:
            raise ResponseTooLarge(url, max_bytes, error.seen) from None
        except Exception as error:  # the runtime raises OSError, JsException, AbortError...
            raise TransportError(f"{type(error).__name__}: {error}") from None
        return HttpResponse(answer.status, data, headers)


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

    def __init__(self, images_binding, http, check_url=public_hosts_only):
        self.hosted = images_binding.hosted
        self.http, self.check_url = http, check_url

    async def upload(self, source_url: str, image_id: str, metadata: dict, timeout_s: float | None = None) -> Verdict:
        # The download honours a background run's time left; the binding's upload takes no timeout.
        limit = 30.0 if timeout_s is None else min(30.0, timeout_s)
        photo, verdict = await download_photo(self.http, source_url, limit, self.check_url)
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
