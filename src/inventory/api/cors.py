"""CORS for the public read-only routes: the dealer's own site origins (ALLOWED_ORIGINS) may read
them from a browser; no origin may by default. Admin routes never answer with CORS headers."""

from __future__ import annotations

from urllib.parse import urlsplit

PREFLIGHT_MAX_AGE_S = 600


def parse_origins(value: str) -> list[str]:
    """ALLOWED_ORIGINS: comma-separated origins (`https://www.dealer.example`, with a port when it
    is not the scheme's default), or `*` for any. A path or a missing scheme is an error."""
    origins = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        if item == "*":
            origins.append("*")
            continue
        parts = urlsplit(item.lower())
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
            raise ValueError(f"expected origins like https://www.dealer.example, got {item[:60]!r}")
        if parts.query or parts.fragment or parts.username:
            raise ValueError(f"an origin has no query, fragment or user, got {item[:60]!r}")
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return origins


def cors_headers(origin: str | None, allowed: list[str], preflight: bool = False) -> dict:
    """The CORS headers of an answer to `origin`: its Access-Control-Allow-Origin when allowed, and
    always `Vary: Origin` once any origin is configured (a cache must not hand one origin's answer
    to another)."""
    if not allowed:
        return {}
    headers = {"vary": "Origin"}
    if origin and ("*" in allowed or origin.lower().rstrip("/") in allowed):
        headers["access-control-allow-origin"] = "*" if "*" in allowed else origin
        headers["access-control-expose-headers"] = "ETag, X-Cache, X-Inventory-Version"
        if preflight:
            headers["access-control-allow-methods"] = "GET, OPTIONS"
            headers["access-control-allow-headers"] = "If-None-Match"
            headers["access-control-max-age"] = str(PREFLIGHT_MAX_AGE_S)
    return headers
