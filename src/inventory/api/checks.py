"""Request checking shared by both Workers, free of the runtime: auth, bodies, parameters.

Handlers raise ApiError; the entry files turn it into a JSON answer with its status.
"""

from __future__ import annotations

import hmac
import json

from .. import safe_json

MAX_BODY_BYTES = 64 * 1024
MAX_BODY_DEPTH = 16  # the API's bodies are flat; deeper is an attack, refused before json.loads


class ApiError(Exception):
    def __init__(self, status: int, message: str, **extra):
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra

    def body(self) -> dict:
        return {"success": False, "error": self.message, **self.extra}


def check_admin(authorization: str | None, admin_token: str | None) -> None:
    """Bearer token, compared in constant time. A missing server-side token refuses everyone."""
    if not admin_token:
        raise ApiError(401, "this Worker has no ADMIN_TOKEN configured; state-changing endpoints are off")
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        raise ApiError(401, "missing admin token: send 'Authorization: Bearer <ADMIN_TOKEN>'")
    if not hmac.compare_digest(given.strip().encode(), admin_token.encode()):
        raise ApiError(401, "wrong admin token")


def parse_json_body(raw: bytes, *, required: bool = False) -> dict:
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, f"request body too large: {len(raw)} bytes (limit {MAX_BODY_BYTES})")
    if not raw.strip():
        if required:
            raise ApiError(400, "request body required: a JSON object")
        return {}
    try:
        body = safe_json.loads(raw, max_depth=MAX_BODY_DEPTH)
    except safe_json.JsonTooDeep as error:
        raise ApiError(400, f"JSON body nested too deeply: {error}") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(400, f"malformed JSON body: {error}") from None
    if not isinstance(body, dict):
        raise ApiError(400, f"JSON body must be an object, not {type(body).__name__}")
    return body


def only_fields(body: dict, allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ApiError(400, f"unknown field(s): {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")


def only_parameters(params: dict, allowed) -> None:
    """A 400 naming the query parameters an endpoint does not take."""
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        named = ", ".join(sorted(allowed)) or "none"
        raise ApiError(400, f"unknown parameter(s): {', '.join(unknown)[:200]}; allowed: {named}")


def int_in_range(value, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, f"{name} must be an integer from {low} to {high}, got {json.dumps(value)[:40]}")
    if not low <= value <= high:
        raise ApiError(400, f"{name} must be from {low} to {high}, got {value}")
    return value


MAX_ID = 2**53 - 2  # larger integers cross into JavaScript as BigInt, which D1 cannot bind


def id_list(value, name: str, limit: int = 200) -> list[int]:
    if not isinstance(value, list) or not value:
        raise ApiError(400, f"{name} must be a non-empty list of vehicle ids")
    if len(value) > limit:
        raise ApiError(400, f"{name} may hold at most {limit} ids, got {len(value)}")
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= MAX_ID:
            raise ApiError(
                400, f"{name} must hold integer ids from 1 to {MAX_ID}, got {json.dumps(item)[:40]}"
            )
    return list(dict.fromkeys(value))


def query_int(params: dict, name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    # int() alone would take "٥", "5_0" and full-width digits: only ASCII digits are a number here.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        raise ApiError(400, f"{name} must be an integer from {low} to {high}, got {raw[:40]!r}")
    return int_in_range(int(raw), name, low, high)


def plain_name(value: str) -> bool:
    """ASCII letters, digits, '-' and '_' only (str.isalnum() alone accepts any script's letters)."""
    return value.isascii() and value.replace("-", "").replace("_", "").isalnum()


def query_variant(params: dict) -> str:
    """The Cloudflare Images variant a query asks for (default `public`), checked as a plain name."""
    variant = params.get("variant", "public")
    if not variant or not plain_name(variant) or len(variant) > 40:
        raise ApiError(400, "variant must be a plain name like public or thumbnail")
    return variant
