"""A local webhook receiver: records every delivery, and can play dead (knobs) for the tests.

GET /__received (or any GET) -> {"deliveries": [{"headers": {...}, "body": "<raw text>"}], "attempts": n}
(attempts counts refused ones too); POST /__control {"status": 500} answers every delivery with that
status ({"status": null} back to 200); POST /__reset clears both.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

from dev.standin_server import CONTROL_ROUTES, Standin, StandinHandler, read_body, send_json


class _Handler(StandinHandler):
    protocol_version = "HTTP/1.0"


class WebhookReceiver(Standin):
    DEFAULT_KNOBS = {"status": None}
    handler = _Handler

    def __init__(self):
        self.url = None
        super().__init__()

    def start(self, host: str = "127.0.0.1", port: int = 8793) -> WebhookReceiver:
        self.url = self._serve(host, port)
        return self

    def _clear_state(self) -> None:
        self.deliveries, self.attempts = [], 0

    def stats(self) -> dict:
        with self._lock:
            return {"deliveries": list(self.deliveries), "attempts": self.attempts}

    def handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        body = read_body(request)
        if (method, request.path) in CONTROL_ROUTES:
            return self.handle_control(request, method, request.path, body)
        if method == "GET":
            return send_json(request, 200, self.stats())
        status = self._record(request, body)
        send_json(request, status, {"received": status == 200})

    def _record(self, request: BaseHTTPRequestHandler, body: bytes) -> int:
        """Count a delivery, keep it when answered 200; the status to answer."""
        with self._lock:
            self.attempts += 1
            status = self._knobs["status"] or 200
            if status == 200:
                headers = {name.lower(): value for name, value in request.headers.items()}
                self.deliveries.append({"headers": headers, "body": body.decode()})
        return status
