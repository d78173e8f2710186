"""Local stand-in for the Cloudflare Images v1 API and its delivery URLs.

Keeps the real contract: the {"success", "errors", "messages", "result"}
envelope, bearer-token auth, multipart uploads by file or by URL (the server
fetches the URL itself), custom ids, the batch host, the account rate limit
with its long block, and delivery at /{account_hash}/{id}/{variant}.

Tests steer it with POST /__control (knobs), POST /__reset and GET /__stats, and plant an image no
upload made with POST /__plant (the photo lifecycle's orphans).
"""

import collections
import copy
import json
import math
import random
import re
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, unquote, urlsplit

from dev.pngs import make_png
from dev.standin_server import Standin, StandinHandler, json_object, read_body, send, send_json

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_METADATA_BYTES = 1024
MAX_CUSTOM_ID_LENGTH = 1024
URL_FETCH_TIMEOUT_S = 10
BATCH_TOKEN_LIFETIME = timedelta(hours=1)
BATCH_PREFIX = "/batch/"  # the batch host's paths, served by the same stand-in
VARIANTS = ("public", "thumbnail")

DEFAULT_KNOBS = {
    "latency_ms": 0,
    "transient_rate": 0.0,
    "lose_response_rate": 0.0,
    "fail_urls": {},
    "seed": 0,
    "rate_limit": 1200,
    "rate_window_s": 300,
    "rate_limit_block_s": 300,
}

# Error envelope used when fail_urls asks for a given HTTP status.
ERRORS_BY_STATUS = {
    400: (5400, "Bad request"),
    401: (10000, "Authentication error"),
    404: (5404, "Image not found"),
    409: (5409, "Resource already exists"),
    413: (5413, "Image too large"),
    415: (5415, "Bad request: Images must be uploaded as a file, unsupported image format"),
    429: (971, "Please wait and consider throttling your request speed"),
    500: (5500, "Internal error"),
    503: (5503, "Service temporarily unavailable"),
}


class ApiError(Exception):
    """An error answered with the Cloudflare envelope."""

    def __init__(self, status: int, code: int, message: str, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


class DropConnection(Exception):
    """Close the socket without sending any answer."""


PLANTED_PNG = make_png(8, 8, (128, 128, 128), 1)


@dataclass
class StoredImage:
    result: dict
    data: bytes
    content_type: str


def image_content_type(data: bytes):
    """Content type from the file signature, or None if not a supported image."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def parse_multipart(body: bytes, content_type: str) -> dict:
    """Parse multipart/form-data into {name: (filename or None, bytes)}."""
    match = re.search(r'boundary="?([^";]+)"?', content_type or "")
    if not content_type.lower().startswith("multipart/form-data") or not match:
        raise ApiError(400, 5400, "Bad request: expected multipart/form-data with a boundary")
    delimiter = b"\r\n--" + match.group(1).encode()

    fields = {}
    # Prefix CRLF so the first delimiter looks like the others.
    for part in (b"\r\n" + body).split(delimiter)[1:]:
        if part.startswith(b"--"):
            break  # closing delimiter
        _, _, part = part.partition(b"\r\n")  # rest of the delimiter line
        head, _, content = part.partition(b"\r\n\r\n")
        disposition = ""
        for line in head.decode("utf-8", "replace").split("\r\n"):
            if line.lower().startswith("content-disposition:"):
                disposition = line
        name = re.search(r'\bname="([^"]*)"', disposition)
        filename = re.search(r'\bfilename="([^"]*)"', disposition)
        if name:
            fields[name.group(1)] = (filename.group(1) if filename else None, content)
    return fields


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class _Handler(StandinHandler):
    server_version = "ImagesStandIn/1.0"

    def do_DELETE(self):
        self.server.standin.handle(self, "DELETE")


class ImagesApi(Standin):
    DEFAULT_KNOBS = DEFAULT_KNOBS
    handler = _Handler

    def __init__(self):
        self.url = None
        self.token = self.account_id = self.account_hash = None
        super().__init__()

    # ----- lifecycle -------------------------------------------------------

    def start(
        self,
        host="127.0.0.1",
        port=8791,
        token="dev-images-token",
        account_id="local-account",
        account_hash="local-hash",
    ):
        self.token = token
        self.account_id = account_id
        self.account_hash = account_hash
        self.url = self._serve(host, port)
        return self

    # ----- shared state ----------------------------------------------------

    def _clear_state(self):
        self._random = random.Random(self._knobs["seed"])
        self._images = {}
        self._batch_tokens = {}
        self._recent_requests = collections.deque()  # timestamps, account rate limit
        self._blocked_until = 0.0
        self._in_flight = getattr(self, "_in_flight", 0)  # a live gauge: requests still inside stay counted
        self._counters = {
            "requests": 0,
            "uploads_received": 0,
            "duplicate_uploads": 0,
            "max_in_flight": 0,
            "rate_limited": 0,
            "batch_uploads": 0,
            "batch_requests": 0,  # every request to the batch host (uploads, lists, deletes)
            "dropped_connections": 0,
        }
        self._uploads_by_id = collections.Counter()
        self._deleted_ids = []  # every image deleted, in order (the photo lifecycle's record)
        self._by_status = collections.Counter()

    def _knobs_changed(self, changes: dict):
        if "seed" in changes:
            self._random = random.Random(changes["seed"])

    def stats(self) -> dict:
        with self._lock:
            return {
                **self._counters,
                "in_flight": self._in_flight,
                "stored": len(self._images),
                "stored_ids": list(self._images),
                "deleted_ids": list(self._deleted_ids),
                # The photo each stored image came from (the processor names it in the metadata).
                "stored_sources": [image.result["metadata"].get("source") for image in self._images.values()],
                "uploads_by_id": dict(self._uploads_by_id),
                "by_status": {str(k): v for k, v in sorted(self._by_status.items(), key=str)},
            }

    def forget(self, image_id: str) -> None:
        """Drop a stored image as a deletion outside the processor would (by hand, in the dashboard):
        not in the deletion record."""
        with self._lock:
            self._images.pop(image_id, None)

    def handle_control(self, request, method: str, path: str, body: bytes):
        """Besides the shared controls: POST /__plant {"id", "uploaded"} stores an image no upload made
        (an orphan for the photo lifecycle's sweep), uploaded at that ISO time (default: a year ago)."""
        if (method, path) != ("POST", "/__plant"):
            return super().handle_control(request, method, path, body)
        try:
            spec = json_object(body)
            image_id = str(spec["id"])
        except (ValueError, KeyError):
            return send_json(request, 400, {"error": 'expected {"id": ..., "uploaded": ISO time}'})
        uploaded = spec.get("uploaded") or utc_iso(datetime.now(UTC) - timedelta(days=365))
        result = {
            "id": image_id,
            "filename": "planted.png",
            "uploaded": uploaded,
            "metadata": {},
            "variants": [],
        }
        with self._lock:
            self._images[image_id] = StoredImage(result, PLANTED_PNG, "image/png")
        return send_json(request, 200, result)

    def _roll(self, rate: float) -> bool:
        with self._lock:
            return rate > 0 and self._random.random() < rate

    def _new_id(self) -> str:
        with self._lock:
            return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    # ----- request handling ------------------------------------------------

    def handle(self, request: BaseHTTPRequestHandler, method: str):
        path = urlsplit(request.path).path
        body = read_body(request)

        if path.startswith("/__"):
            return self.handle_control(request, method, path, body)
        account_prefix = "/client/v4/accounts/"
        is_batch = path.startswith(BATCH_PREFIX)
        if not path.startswith(account_prefix) and not is_batch:
            return self._deliver(request, method, path)

        with self._lock:
            self._counters["requests"] += 1
            if is_batch:
                self._counters["batch_requests"] += 1
                self._counters["batch_uploads"] += method == "POST"
            self._in_flight += 1
            self._counters["max_in_flight"] = max(self._counters["max_in_flight"], self._in_flight)
        try:
            if not is_batch:
                self._check_rate_limit()
            latency = self.knobs()["latency_ms"]
            if latency:
                time.sleep(latency / 1000)
            query = parse_qs(urlsplit(request.path).query)
            if is_batch:
                result = self._handle_batch(request, method, path[len(BATCH_PREFIX) :], body, query)
            else:
                result = self._handle_account(request, method, path[len(account_prefix) :], body, query)
            answer = (200, result, [], None)
        except ApiError as error:
            if error.status == 409:
                with self._lock:
                    self._counters["duplicate_uploads"] += 1
            answer = (error.status, None, [{"code": error.code, "message": error.message}], error.headers)
        except DropConnection:
            with self._lock:
                self._counters["dropped_connections"] += 1
            answer = None
        finally:
            # Before answering: once the answer is out the client may send its next request at once,
            # and that one must not be counted as a 7th in flight.
            with self._lock:
                self._in_flight -= 1
        if answer is None:
            request.close_connection = True  # the handler ends without answering
        else:
            self._send_envelope(request, *answer)

    def _check_rate_limit(self):
        """Sliding-window account limit; once tripped, block everything for a while."""
        knobs = self.knobs()
        now = time.monotonic()
        with self._lock:
            if now < self._blocked_until:
                retry_after = self._blocked_until - now
            else:
                window = self._recent_requests
                window.append(now)
                while window and window[0] <= now - knobs["rate_window_s"]:
                    window.popleft()
                if len(window) <= knobs["rate_limit"]:
                    return
                self._blocked_until = now + knobs["rate_limit_block_s"]
                window.clear()
                retry_after = knobs["rate_limit_block_s"]
            self._counters["rate_limited"] += 1
        code, message = ERRORS_BY_STATUS[429]
        raise ApiError(429, code, message, {"Retry-After": str(max(1, math.ceil(retry_after)))})

    def _handle_account(self, request, method, rest: str, body: bytes, query: dict):
        """`rest` is the path after /client/v4/accounts/."""
        self._check_bearer(request, lambda token: token == self.token)
        account, _, route = rest.partition("/")
        if account != self.account_id:
            raise ApiError(
                404,
                7003,
                f"Could not route to /client/v4/accounts/{rest}, perhaps your object identifier is invalid?",
            )
        if route == "images/v1/":
            route = "images/v1"
        if route == "images/v1" and method == "POST":
            return self._upload(request, body)
        if route == "images/v1" and method == "GET":
            with self._lock:
                return {"images": [image.result for image in self._images.values()]}
        if route == "images/v1/batch_token" and method == "GET":
            return self._new_batch_token()
        return self._image_routes(method, route, query)

    def _image_routes(self, method: str, route: str, query: dict):
        """The routes the account API and the batch host share: list v2, details, delete."""
        if route.rstrip("/") == "images/v2" and method == "GET":
            return self._list_v2(query)
        if route.startswith("images/v1/") and method in ("GET", "DELETE"):
            image_id = unquote(route[len("images/v1/") :])
            with self._lock:
                if image_id not in self._images:
                    raise ApiError(404, 5404, "Image not found")
                if method == "DELETE":
                    del self._images[image_id]
                    self._deleted_ids.append(image_id)
                    return {}
                return copy.deepcopy(self._images[image_id].result)
        raise ApiError(404, 7000, "No route for that URI")

    def _list_v2(self, query: dict) -> dict:
        """List v2: up to `per_page` (10 to 10,000; default 1,000) images in upload order, and a
        `continuation_token` for the rest (null on the last page)."""
        try:
            per_page = int(query.get("per_page", ["1000"])[0])
            start = int(query.get("continuation_token", ["0"])[0] or 0)
        except ValueError:
            raise ApiError(400, 5400, "Bad request: per_page and continuation_token are numbers") from None
        if not 10 <= per_page <= 10_000 or start < 0:
            raise ApiError(400, 5400, "Bad request: per_page must be from 10 to 10000")
        with self._lock:
            results = [copy.deepcopy(image.result) for image in self._images.values()]
        page = results[start : start + per_page]
        more = start + per_page < len(results)
        return {"images": page, "continuation_token": str(start + per_page) if more else None}

    def _handle_batch(self, request, method, route: str, body: bytes, query: dict):
        """`route` is the path after /batch/ (images/v1 uploads; list v2, details and delete too)."""

        def token_is_valid(token):
            with self._lock:
                expires = self._batch_tokens.get(token)
            return expires is not None and expires > datetime.now(UTC)

        self._check_bearer(request, token_is_valid)
        if route.rstrip("/") == "images/v1" and method == "POST":
            return self._upload(request, body)
        return self._image_routes(method, route, query)

    @staticmethod
    def _check_bearer(request, is_valid):
        header = request.headers.get("Authorization", "")
        token = header[len("Bearer ") :] if header.startswith("Bearer ") else None
        if token is None or not is_valid(token):
            raise ApiError(401, 10000, "Authentication error")

    def _new_batch_token(self) -> dict:
        expires = datetime.now(UTC) + BATCH_TOKEN_LIFETIME
        with self._lock:
            token = f"{self._random.getrandbits(128):032x}"
            self._batch_tokens[token] = expires
        return {"token": token, "expiresAt": utc_iso(expires)}

    def _upload(self, request, body: bytes) -> dict:
        knobs = self.knobs()
        fields = parse_multipart(body, request.headers.get("Content-Type", ""))
        custom_id = fields["id"][1].decode() if "id" in fields else None
        with self._lock:
            self._counters["uploads_received"] += 1
            if custom_id is not None:
                self._uploads_by_id[custom_id] += 1

        if self._roll(knobs["transient_rate"]):
            if self._roll(0.5):
                raise DropConnection()
            status = 500 if self._roll(0.5) else 503
            raise ApiError(status, *ERRORS_BY_STATUS[status])

        if ("file" in fields) == ("url" in fields):
            raise ApiError(400, 5400, "Bad request: exactly one of 'file' or 'url' must be provided")
        if custom_id is not None and len(custom_id) > MAX_CUSTOM_ID_LENGTH:
            raise ApiError(400, 5400, f"Bad request: custom ID longer than {MAX_CUSTOM_ID_LENGTH} characters")
        metadata = {}
        if "metadata" in fields:
            raw = fields["metadata"][1]
            if len(raw) > MAX_METADATA_BYTES:
                raise ApiError(400, 5411, "Metadata too large")
            try:
                metadata = json.loads(raw)
            except ValueError:
                raise ApiError(400, 5400, "Bad request: metadata must be valid JSON") from None
        signed = "requireSignedURLs" in fields and fields["requireSignedURLs"][1].strip().lower() == b"true"
        if signed and custom_id is not None:
            raise ApiError(400, 5412, "Custom ID cannot be used with signed URLs")
        if custom_id is not None:
            with self._lock:
                if custom_id in self._images:
                    raise ApiError(409, *ERRORS_BY_STATUS[409])

        if "url" in fields:
            source_url = fields["url"][1].decode().strip()
            data = self._fetch_source(source_url, knobs)
            filename = urlsplit(source_url).path.rsplit("/", 1)[-1]
        else:
            filename, data = fields["file"]
            filename = filename or "file"

        if len(data) > MAX_IMAGE_BYTES:
            raise ApiError(413, *ERRORS_BY_STATUS[413])
        content_type = image_content_type(data)
        if content_type is None:
            raise ApiError(415, *ERRORS_BY_STATUS[415])

        image_id = custom_id or self._new_id()
        result = {
            "id": image_id,
            "filename": filename,
            "uploaded": utc_iso(datetime.now(UTC)),
            "requireSignedURLs": signed,
            "metadata": metadata,
            "variants": [f"{self.url}/{self.account_hash}/{image_id}/{v}" for v in VARIANTS],
        }
        with self._lock:
            # Checked again here: a concurrent upload may have taken the id meanwhile.
            if image_id in self._images:
                raise ApiError(409, *ERRORS_BY_STATUS[409])
            self._images[image_id] = StoredImage(result, data, content_type)

        if self._roll(knobs["lose_response_rate"]):
            raise DropConnection()
        return copy.deepcopy(result)

    @staticmethod
    def _fetch_source(source_url: str, knobs: dict) -> bytes:
        if source_url in knobs["fail_urls"]:
            status = int(knobs["fail_urls"][source_url])
            code, message = ERRORS_BY_STATUS.get(status, (5500, "Internal error"))
            raise ApiError(status, code, message)
        try:
            request = urllib.request.Request(source_url, headers={"User-Agent": "Cloudflare-Images-StandIn"})
            with urllib.request.urlopen(request, timeout=URL_FETCH_TIMEOUT_S) as response:
                return response.read(MAX_IMAGE_BYTES + 1)
        except urllib.error.HTTPError as error:
            raise ApiError(400, 5455, f"Failed to fetch image from URL: ({error.code})") from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            raise ApiError(400, 5455, f"Failed to fetch image from URL: ({reason})") from None

    def _deliver(self, request, method, path):
        """GET /{account_hash}/{id...}/{variant} serves the stored bytes."""
        segments = [unquote(s) for s in path.strip("/").split("/")]
        if method != "GET" or len(segments) < 3 or segments[0] != self.account_hash:
            return send(request, 404, "text/plain", b"not found\n")
        image_id, variant = "/".join(segments[1:-1]), segments[-1]
        with self._lock:
            image = self._images.get(image_id)
        if image is None or variant not in VARIANTS:
            return send(request, 404, "text/plain", b"not found\n")
        send(request, 200, image.content_type, image.data)

    def _send_envelope(self, request, status, result, errors, headers=None):
        with self._lock:
            self._by_status[status] += 1
        envelope = {"success": not errors, "errors": errors, "messages": [], "result": result}
        send_json(request, status, envelope, headers)
