"""A local webhook receiver: records every delivery, and can play dead (knobs) for the tests.

GET /__received -> {"deliveries": [{"headers": {...}, "body": "<raw text>"}], "attempts": n} (attempts
counts refused ones too); POST /__control
{"status": 500} answers every delivery with that status ({"status": null} back to 200);
POST /__reset clears both.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class WebhookReceiver:
    def __init__(self):
        self.deliveries, self.status, self.attempts, self.lock = [], None, 0, threading.Lock()
        self.server = None

    def start(self, host: str = "127.0.0.1", port: int = 8793) -> "WebhookReceiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status: int, data) -> None:
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                with receiver.lock:
                    self._answer(200, {"deliveries": list(receiver.deliveries), "attempts": receiver.attempts})

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                with receiver.lock:
                    if self.path == "/__control":
                        receiver.status = json.loads(raw or b"{}").get("status")
                        return self._answer(200, {"status": receiver.status})
                    if self.path == "/__reset":
                        receiver.deliveries, receiver.status, receiver.attempts = [], None, 0
                        return self._answer(200, {})
                    receiver.attempts += 1
                    status = receiver.status or 200
                    if status == 200:
                        receiver.deliveries.append({"headers": {k.lower(): v for k, v in self.headers.items()},
                                                    "body": raw.decode()})
                self._answer(status, {"received": status == 200})

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
