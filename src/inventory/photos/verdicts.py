"""What an answer means: the Images API's and the vendor's answers sorted into what to do next."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

MAX_IMAGE_BYTES = 10 * 1024 * 1024  # Cloudflare Images' file limit
IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")


def looks_like_image(data: bytes) -> bool:
    return data.startswith(IMAGE_SIGNATURES) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


OK, EXISTS, TRANSIENT, PERMANENT, FATAL = "ok", "exists", "transient", "permanent", "fatal"


@dataclass
class Verdict:
    kind: str  # one of OK, EXISTS, TRANSIENT, PERMANENT, FATAL
    reason: str = ""
    retry_after_s: float | None = None
    image_id: str | None = None
    validators: dict | None = None  # what the vendor's host said of the photo it downloaded


def validators_of(headers: dict, body: bytes | None = None) -> dict | None:
    """An answer's validators (ETag, Last-Modified, Content-Length; with the body, its SHA-256), or
    None when it gives neither an ETag nor a Last-Modified."""
    etag, modified = headers.get("etag"), headers.get("last-modified")
    if not etag and not modified:
        return None
    length = str(headers.get("content-length") or "").strip()
    found = {
        "etag": etag,
        "last_modified": modified,
        "content_length": int(length) if length.isdigit() else None,
    }
    if body is not None:
        found["content_length"] = len(body)
        found["content_sha256"] = hashlib.sha256(body).hexdigest()
    return found


def _errors(body: bytes) -> list[dict]:
    try:
        envelope = json.loads(body)
    except ValueError:
        return []
    return envelope.get("errors") or [] if isinstance(envelope, dict) else []


def _retry_after(headers: dict) -> float | None:
    try:
        return max(0.0, float(headers.get("retry-after", "")))
    except ValueError:
        return None


def judge_api_answer(status: int, body: bytes, headers: dict) -> Verdict:
    """Sort an Images API answer: success, already there, worth retrying, never worth retrying."""
    errors = _errors(body)
    codes = {e.get("code") for e in errors}
    message = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors) or f"HTTP {status}"
    if 200 <= status < 300:
        try:
            return Verdict(OK, image_id=json.loads(body)["result"]["id"])
        except (ValueError, KeyError, TypeError):
            return Verdict(TRANSIENT, f"HTTP {status} without a readable result")
    if status == 409 or 5409 in codes:
        return Verdict(EXISTS, message)
    if status == 429:
        return Verdict(TRANSIENT, f"rate limited ({message})", _retry_after(headers))
    if status >= 500:
        return Verdict(TRANSIENT, f"Images API error: {message}")
    if status in (401, 403):
        return Verdict(FATAL, f"Images API refused the credentials (HTTP {status})")
    if 5455 in codes:  # Cloudflare could not fetch the source URL: the vendor's status says why
        # The vendor's status: "(404)" as the API writes it, else a bare 3xx-5xx ("[Errno 111]" is not one).
        detail = message.split(":", 1)[-1]
        match = re.search(r"\((\d{3})\)", detail) or re.search(r"(?<!Errno )\b([3-5]\d\d)\b", detail)
        upstream = int(match.group(1)) if match else 0
        if upstream >= 500 or upstream in (0, 408, 429):
            return Verdict(TRANSIENT, f"vendor fetch failed: {message}")
        return Verdict(PERMANENT, f"vendor answered {upstream}: {message}")
    if status == 415 or 5415 in codes:
        return Verdict(PERMANENT, f"not an image: {message}")
    if status == 413 or 5413 in codes:
        return Verdict(PERMANENT, f"too large: {message}")
    return Verdict(PERMANENT, f"refused: {message}")


def judge_vendor_download(status: int, body: bytes, headers: dict) -> Verdict:
    """For `file` mode: is the photo we downloaded from the vendor worth uploading?"""
    if status in (404, 410) or (400 <= status < 500 and status not in (408, 429)):
        return Verdict(PERMANENT, f"vendor answered {status}")
    if status >= 300:
        return Verdict(TRANSIENT, f"vendor answered {status}", _retry_after(headers))
    if len(body) > MAX_IMAGE_BYTES:
        return Verdict(PERMANENT, f"too large: {len(body)} bytes (limit {MAX_IMAGE_BYTES})")
    if not looks_like_image(body):
        return Verdict(PERMANENT, f"not an image ({headers.get('content-type', 'no content type')})")
    return Verdict(OK)
