"""What every local stand-in is built on: threaded HTTP servers, knobs with their defaults, and the
endpoints the tests and benchmarks steer a stand-in with:

    POST /__control   a JSON object of knobs to change -> every knob (400 naming an unknown knob)
    POST /__reset     knobs back to their defaults, state and counters cleared -> every knob
    GET  /__stats     the stand-in's counters, with `byInvocation`: requests per Worker invocation
                      (the X-Lambert-Invocation header every Worker fetch carries)

A stand-in subclasses `Standin`: it sets DEFAULT_KNOBS (and `handler` for its own server name or
methods), and writes `handle(request, method)`, `stats()` and `_clear_state()`.
"""

from __future__ import annotations

import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from inventory.subrequests import INVOCATION_HEADER

CONTROL_ROUTES = {("POST", "/__control"), ("POST", "/__reset"), ("GET", "/__stats")}


class StandinServer(ThreadingHTTPServer):
    """One listening socket of a stand-in; `role` tells its servers apart when it has several."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, address, handler, standin: Standin, role: str):
        super().__init__(address, handler)
        self.standin, self.role = standin, role

    def handle_error(self, request, client_address):
        pass  # clients hanging up early (timeouts, aborted downloads) are expected


class StandinHandler(BaseHTTPRequestHandler):
    """Hands every GET and POST to the stand-in's `handle(request, method)`."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self.server.standin.count_invocation(self)
        self.server.standin.handle(self, "GET")

    def do_POST(self):
        self.server.standin.count_invocation(self)
        self.server.standin.handle(self, "POST")

    def do_HEAD(self):
        self.server.standin.count_invocation(self)
        self.server.standin.handle(self, "HEAD")


class Standin:
    """A stand-in's servers, its knobs and the lock that guards them with its other state."""

    DEFAULT_KNOBS: dict = {}
    handler: type[StandinHandler] = StandinHandler

    def __init__(self):
        self._lock = threading.Lock()
        self._servers: dict[str, StandinServer] = {}
        self.reset()

    # ----- servers ---------------------------------------------------------

    def _serve(self, host: str, port: int, role: str = "main") -> str:
        """Start one server in a thread of its own; returns its base URL."""
        server = StandinServer((host, port), self.handler, self, role)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._servers[role] = server
        return f"http://{host}:{server.server_address[1]}"

    def stop(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        self._servers = {}

    # ----- knobs and state -------------------------------------------------

    def reset(self) -> None:
        """Knobs back to their defaults, stored state and counters cleared (as POST /__reset)."""
        with self._lock:
            self._knobs = copy.deepcopy(self.DEFAULT_KNOBS)
            self._by_invocation: dict[str, int] = {}
            self._clear_state()

    def count_invocation(self, request: BaseHTTPRequestHandler) -> None:
        invocation = request.headers.get(INVOCATION_HEADER)
        if invocation:
            with self._lock:
                self._by_invocation[invocation] = self._by_invocation.get(invocation, 0) + 1

    def _clear_state(self) -> None:
        """The stand-in's own state and counters back to empty (called holding the lock)."""

    def knobs(self) -> dict:
        with self._lock:
            return copy.deepcopy(self._knobs)

    def set_knobs(self, changes: dict) -> dict:
        unknown = set(changes) - set(self.DEFAULT_KNOBS)
        if unknown:
            raise ValueError(f"unknown knobs: {sorted(unknown)}")
        with self._lock:
            self._knobs.update(copy.deepcopy(changes))
            self._knobs_changed(changes)
            return copy.deepcopy(self._knobs)

    def _knobs_changed(self, changes: dict) -> None:
        """What follows from changed knobs beyond storing them (called holding the lock)."""

    def stats(self) -> dict:
        raise NotImplementedError

    # ----- the control endpoints -------------------------------------------

    def handle_control(self, request: BaseHTTPRequestHandler, method: str, path: str, body: bytes):
        """Answer a request to a /__ path: CONTROL_ROUTES, and 404 for any other."""
        if (method, path) == ("POST", "/__control"):
            try:
                knobs = self.set_knobs(json_object(body))
            except ValueError as error:
                return send_json(request, 400, {"error": str(error)})
            return send_json(request, 200, knobs)
        if (method, path) == ("POST", "/__reset"):
            self.reset()
            return send_json(request, 200, self.knobs())
        if (method, path) == ("GET", "/__stats"):
            with self._lock:
                by_invocation = dict(self._by_invocation)
            return send_json(request, 200, {**self.stats(), "byInvocation": by_invocation})
        send(request, 404, "text/plain", b"not found\n")


def json_object(body: bytes) -> dict:
    """The JSON object of a request body (an empty body is {}); ValueError for anything else."""
    value = json.loads(body or b"{}")
    if not isinstance(value, dict):
        raise ValueError("expected a JSON object")
    return value


def read_body(request: BaseHTTPRequestHandler) -> bytes:
    """The whole request body, sent with a Content-Length or chunked."""
    if request.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(request.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                request.rfile.readline()  # blank line after the last chunk
                return b"".join(chunks)
            chunks.append(request.rfile.read(size))
            request.rfile.readline()  # CRLF after each chunk
    return request.rfile.read(int(request.headers.get("Content-Length") or 0))


def send(
    request: BaseHTTPRequestHandler,
    status: int,
    content_type: str,
    body: str | bytes,
    headers: dict | None = None,
) -> None:
    """Answer with `body`; a str body is sent as UTF-8, and its content type says so."""
    if isinstance(body, str):
        body = body.encode("utf-8")
        content_type += "; charset=utf-8"
    request.send_response(status)
    request.send_header("Content-Type", content_type)
    request.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        request.send_header(name, value)
    request.end_headers()
    if request.command != "HEAD":  # a HEAD answer has the headers of the GET answer, no body
        request.wfile.write(body)


def send_json(request: BaseHTTPRequestHandler, status: int, data, headers: dict | None = None) -> None:
    send(request, status, "application/json", json.dumps(data).encode(), headers)
