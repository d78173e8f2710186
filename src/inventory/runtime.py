"""The only module that touches the Workers runtime (`workers`, `js`): adapters for the rest.

Worker            one invocation's view of a Worker: settings, bindings, D1, background work
serve             a request through a route table (inventory.api.routing) to its answer
WorkersHttp       inventory.net.http's transport over the Workers fetch
D1                inventory.db's interface over a D1 binding, counting round trips
EdgeCache         the Workers Cache API (caches.default) as text by key, for inventory.storefront
"""

from __future__ import annotations

import json
import re
import uuid
from urllib.parse import parse_qsl, unquote, urlsplit

import js
from pyodide.ffi import jsnull, to_js
from workers import Response, WorkerEntrypoint, fetch

from .api.checks import MAX_BODY_BYTES, ApiError, check_admin, parse_json_body
from .api.cors import cors_headers
from .api.routing import Answer, Call, path_parameters, resolve
from .config import Config, SettingError, settings_of
from .db import retry_when_busy
from .net.http import CountingTransport, HttpResponse, ResponseTooLarge, TransportError, declared_length
from .settings_check import check_settings, problems_line
from .storefront.freshness import VERSION_KEY
from .subrequests import INVOCATION_HEADER, Subrequests


def json_response(data, status: int = 200, headers: dict | None = None) -> Response:
    return Response(
        json.dumps(data),
        status=status,
        headers={"content-type": "application/json; charset=utf-8", **(headers or {})},
    )


def to_response(result, worker=None, extra_headers: dict | None = None) -> Response:
    if not isinstance(result, Answer):
        return json_response(result, headers=extra_headers)
    headers = {**result.headers, **(extra_headers or {})}
    if result.content_type == "application/json":
        return json_response(result.body, result.status, headers)
    headers = {"content-type": result.content_type, "cache-control": "no-store", **headers}
    if hasattr(result.body, "__aiter__"):
        return streamed_response(result.body, result.status, headers, worker)
    return Response(result.body, status=result.status, headers=headers)


STREAM_CHUNK_CHARS = 64 * 1024  # text gathered before one write: fewer, larger crossings into JS


def streamed_response(chunks, status: int, headers: dict, worker) -> Response:
    """An answer whose body is written while it is sent: the text chunks, gathered into pieces of
    about STREAM_CHUNK_CHARS, go through a TransformStream pumped in the background (each write waits
    for the client to take the last), so a large feed is never held whole in memory."""
    stream = js.TransformStream.new()
    writer = stream.writable.getWriter()
    encoder = js.TextEncoder.new()

    async def pump():
        try:
            gathered, size = [], 0
            async for chunk in chunks:
                gathered.append(chunk)
                size += len(chunk)
                if size >= STREAM_CHUNK_CHARS:
                    await writer.write(encoder.encode("".join(gathered)))
                    gathered, size = [], 0
            if gathered:
                await writer.write(encoder.encode("".join(gathered)))
            await writer.close()
        except Exception as error:  # the client went away, or D1 failed mid-feed: cut the answer short
            print(f"💥 Streamed answer cut short: {type(error).__name__}: {error}")
            await writer.abort(str(type(error).__name__))

    worker.wait_until(pump())
    init = to_js({"status": status, "headers": headers}, dict_converter=js.Object.fromEntries)
    return Response(js.Response.new(stream.readable, init))


def console_log(text: str) -> None:
    """One log entry. Under workerd print() costs several times what console.log does (measured
    under `wrangler dev`: a processing run's line per photo was half its CPU), so the logs written
    most often (a processing run's) go straight to console.log."""
    js.console.log(text)


def to_python(value):
    """A JS value (as RPC arguments and D1 results can arrive) as plain Python; others unchanged."""
    return value.to_py() if hasattr(value, "to_py") else value


def _present(value) -> bool:
    return value is not None and value is not jsnull


class Worker:
    """What the logic may ask of the running Worker, without touching the runtime itself."""

    to_python = staticmethod(to_python)
    log = staticmethod(console_log)

    def __init__(self, name: str, env, ctx):
        self.name, self.env, self.ctx = name, env, ctx
        raw = {s.name: getattr(env, s.name, None) for s in settings_of(name)}
        self.config = Config(name, {k: str(v) if _present(v) else None for k, v in raw.items()})
        self.subrequests = Subrequests(self._subrequest_limit())
        self.invocation = uuid.uuid4().hex[:12]  # sent as INVOCATION_HEADER: the stand-ins count by it

    def _subrequest_limit(self) -> int:
        try:
            return self.setting("MAX_SUBREQUESTS_PER_INVOCATION")
        except SettingError:  # reported by the health answer; meanwhile the free plan's limit is safe
            return 50

    def setting(self, name: str):
        """The parsed setting (its default when unset); SettingError (a 503) when it is invalid."""
        return self.config.get(name)

    def has_binding(self, name: str) -> bool:
        return _present(getattr(self.env, name, None))

    def binding(self, name: str):
        return getattr(self.env, name)

    def d1(self) -> D1:
        return D1(self.env.DB, self.subrequests, on_vehicles_written=self.edge_cache().forget_version)

    def edge_cache(self) -> EdgeCache:
        return EdgeCache(self.subrequests)

    def http(self) -> WorkersHttp:
        return WorkersHttp(self.subrequests, self.invocation)

    def wait_until(self, coroutine) -> None:
        self.ctx.waitUntil(coroutine)


_LOGGED_CONFIG: set[str] = set()


def worker_for(name: str, env, ctx) -> Worker:
    """The Worker of one invocation; the first of an isolate logs every configuration problem once."""
    worker = Worker(name, env, ctx)
    if name not in _LOGGED_CONFIG:
        _LOGGED_CONFIG.add(name)
        print(problems_line(name, check_settings(name, worker.config.raw)))
    return worker


class RoutedEntrypoint(WorkerEntrypoint):
    """A Worker entry class answering `fetch` through its route table. Subclasses set `name` (the
    Worker's name in inventory.config) and `routes`, and add scheduled(), queue() and RPC methods."""

    name = ""
    routes: list = []

    def worker(self) -> Worker:
        return worker_for(self.name, self.env, self.ctx)

    async def fetch(self, request):
        return await serve(self.routes, request, self.worker())


async def serve(routes: list, request, worker: Worker) -> Response:
    """Answer a request through a route table: route, admin check, bounded body, endpoint, answer."""

    async def run(request):
        url = urlsplit(request.url)
        p = url.path.rstrip("/") or "/"
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            route, path = resolve(routes, request.method, p)
        except ApiError as error:
            if request.method == "OPTIONS" and any(
                r.cors and path_parameters(r.path, p) is not None for r in routes
            ):
                return preflight_response(worker, headers.get("origin"))
            if error.status == 404 and worker.has_binding("ASSETS"):
                return await static_asset(request, worker.binding("ASSETS"), url.path)
            raise
        if route.admin:
            check_admin(headers.get("authorization"), worker.config.raw.get("ADMIN_TOKEN"))
        body = parse_json_body(await read_body(request, route.body_limit)) if route.body is not None else {}
        path = {name: unquote(value) for name, value in path.items()}
        call = Call(worker, dict(parse_qsl(url.query)), body, path, headers, request.url)
        cors = cors_headers(headers.get("origin"), worker.setting("ALLOWED_ORIGINS")) if route.cors else {}
        try:
            return to_response(await route.endpoint(call), worker, cors)
        except ApiError as error:
            if not cors:
                raise
            return json_response(error.body(), error.status, cors)  # the dealer's page may read why

    return await answer(run, request)


def preflight_response(worker, origin: str | None) -> Response:
    """OPTIONS on a public read-only path: the CORS preflight (allowed origins only; others get no
    Access-Control-Allow-Origin, which the browser reads as a refusal)."""
    headers = cors_headers(origin, worker.setting("ALLOWED_ORIGINS"), preflight=True)
    return Response(None, status=204, headers={"allow": "GET, OPTIONS", **headers})


async def static_asset(request, assets, path: str) -> Response:
    """A path no route has, on a Worker with static assets (run_worker_first = true): GET and HEAD get
    the asset; any other method on an asset, and a path with no asset, get our JSON 405 and 404
    (the asset server's own answers are not JSON)."""
    if request.method in ("GET", "HEAD"):
        found = await assets.fetch(request.js_object)  # the binding's fetch answers a workers FetchResponse
        if found.status != 404:
            return Response(found.js_object)
    elif (await assets.fetch(request.url)).status != 404:
        allowed = ["GET", "HEAD"]
        raise ApiError(405, f"method {request.method} not allowed here; use GET or HEAD", allow=allowed)
    raise ApiError(404, f"no such endpoint: {path}")


async def answer(route, request) -> Response:
    """Run a route; an ApiError becomes its JSON answer, a setting that does not parse a 503, anything
    else a JSON 500 (the cause is logged, never shown: it may hold configuration). A body the route
    did not read is drained."""
    try:
        response = await route(request)
    except ApiError as error:
        allow = {"allow": ", ".join(error.extra["allow"])} if error.status == 405 else None
        response = json_response(error.body(), error.status, allow)
    except SettingError as error:
        response = json_response({"success": False, "error": f"not configured: {error}"}, 503)
    except Exception as error:
        print(f"💥 Unexpected {type(error).__name__}: {error}")
        response = json_response({"success": False, "error": f"internal error ({type(error).__name__})"}, 500)
    await discard_unread_body(request)
    return response


DISCARD_CAP_BYTES = 16 * 1024 * 1024  # of a body refused for its size (413)
UNREAD_CAP_BYTES = 1024 * 1024  # of a body nobody read (401, 404, 405): it is not even drained far


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
    except Exception as error:  # the client gave up mid-body
        raise ApiError(400, f"request body could not be read ({type(error).__name__})") from None


async def discard_unread_body(request, cap_bytes: int = UNREAD_CAP_BYTES) -> None:
    """Read and drop a body nobody read (a refused request), up to `cap_bytes`; past that the client
    meets a closed connection under wrangler dev (production Cloudflare answers early requests itself)."""
    try:
        if request.body is None or request.body is jsnull or request.js_object.bodyUsed:
            return
        await read_stream(request.body, 0, cap_bytes)
    except Exception:  # over the cap, or the client gave up: it still gets its answer, if it listens
        pass


class WorkersHttp(CountingTransport):
    """inventory.http's transport over the Workers fetch: redirects not followed, bodies bounded.
    Every request names its invocation (INVOCATION_HEADER), so a log or a stand-in can group them."""

    def __init__(self, subrequests: Subrequests | None = None, invocation: str = ""):
        super().__init__(subrequests)
        self.invocation = invocation

    async def request(
        self, method, url, headers=None, body=None, timeout_s=15.0, max_bytes=None
    ) -> HttpResponse:
        self.count_request()
        options = {
            "method": method,
            "headers": {**(headers or {}), INVOCATION_HEADER: self.invocation},
            "redirect": "manual",
            "signal": js.AbortSignal.timeout(max(1, int(timeout_s * 1000))),
        }
        if body is not None:
            options["body"] = to_js(body)
        try:
            answer = await fetch(url, **options)
            headers = {k.lower(): v for k, v in answer.headers.items()}
            declared = declared_length(headers)
            if max_bytes is not None and declared is not None and declared > max_bytes:
                await answer.js_object.body.cancel()
                raise ResponseTooLarge(url, max_bytes, declared)
            data = await (
                answer.bytes()
                if _read_whole(max_bytes, declared, headers)
                else read_stream(answer.js_object.body, max_bytes)
            )
            if max_bytes is not None and len(data) > max_bytes:
                raise ResponseTooLarge(url, max_bytes, len(data))
        except ResponseTooLarge:
            raise
        except BodyTooLarge as error:
            raise ResponseTooLarge(url, max_bytes, error.seen) from None
        except Exception as error:  # the runtime raises OSError, JsException, AbortError...
            raise TransportError(f"{type(error).__name__}: {error}") from None
        return HttpResponse(answer.status, data, headers)


def _read_whole(max_bytes: int | None, declared: int | None, headers: dict) -> bool:
    """Whether a body can be read in one call rather than chunk by chunk through Python (about 15 ms
    less per 300 kB page under Pyodide): no limit, or a declared length within it that is the body's
    own (a compressed body's length says nothing about what it inflates to)."""
    if max_bytes is None:
        return True
    encoding = str(headers.get("content-encoding", "identity")).strip().lower()
    return declared is not None and encoding in ("", "identity")


def _rows(result) -> list[dict]:
    result = to_python(result)
    rows = result.get("results") if isinstance(result, dict) else getattr(result, "results", None)
    return [dict(to_python(r)) for r in (to_python(rows) or [])]


class EdgeCache:
    """Text kept in this data centre's Workers cache under a URL key. On *.workers.dev the Cache API
    does nothing (every lookup misses), so a reader must always be able to do without it."""

    def __init__(self, subrequests: Subrequests | None = None):
        self.subrequests = subrequests or Subrequests()

    async def get(self, key: str) -> str | None:
        self.subrequests.spend()
        found = await js.caches.default.match(key)
        return None if found is None or found is jsnull or not _present(found) else await found.text()

    async def put(self, key: str, text: str, max_age_s: int) -> None:
        self.subrequests.spend()
        headers = {"content-type": "text/plain; charset=utf-8", "cache-control": f"max-age={max_age_s}"}
        init = to_js({"headers": headers}, dict_converter=js.Object.fromEntries)
        await js.caches.default.put(key, js.Response.new(text, init))

    async def delete(self, key: str) -> None:
        self.subrequests.spend()
        await js.caches.default.delete(key)

    async def forget_version(self) -> None:
        """After a write to vehicles: the next reader here asks D1 for the inventory version."""
        try:
            await self.delete(VERSION_KEY)
        except Exception as error:  # never fail a scrape or an upload over a cache
            print(f"⚠️ Could not drop the cached inventory version: {type(error).__name__}")


_WRITES_VEHICLES = re.compile(r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+vehicles\b", re.IGNORECASE)


class D1:
    def __init__(self, binding, subrequests: Subrequests | None = None, on_vehicles_written=None):
        self.binding = binding
        self.round_trips = 0
        self.subrequests = subrequests or Subrequests()
        self.on_vehicles_written = on_vehicles_written  # async () -> None, after a write to vehicles

    async def _after(self, sqls) -> None:
        if self.on_vehicles_written and any(_WRITES_VEHICLES.match(sql) for sql in sqls):
            await self.on_vehicles_written()

    def _statement(self, sql: str, params: list):
        statement = self.binding.prepare(sql)
        return statement.bind(*params) if params else statement

    async def all(self, sql: str, params: list) -> list[dict]:
        self.round_trips += 1
        self.subrequests.spend()
        rows = _rows(await retry_when_busy(lambda: self._statement(sql, params).all()))
        await self._after([sql])
        return rows

    async def batch(self, statements: list[tuple[str, list]]) -> list[list[dict]]:
        self.round_trips += 1
        self.subrequests.spend()
        results = to_python(
            await retry_when_busy(
                lambda: self.binding.batch([self._statement(sql, params) for sql, params in statements])
            )
        )
        await self._after([sql for sql, _ in statements])
        return [_rows(r) for r in results]
