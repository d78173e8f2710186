"""The read API's query: every parameter checked before D1 is asked anything, and the opaque cursor
that continues a listing where its last page ended (keyset pagination: a page stays right while
vehicles come and go, and costs the same on page 1 and page 50).

A cursor is base64url JSON `[sort key, id, check]`. The check ties it to the filters and sort it was
made for, so a cursor from another listing, or an edited one, is a 400. It is not a secret: anyone
able to forge one can only ask for a position in a listing they may read anyway.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import asdict, dataclass, replace

from ..api.checks import ApiError, only_parameters, query_int, query_variant

SORTS = {"price": "price", "year": "year", "mileage": "mileage", "updated": "updated_at"}
STATUSES = {"active": "active", "sold": "inactive"}
MAX_LIMIT, DEFAULT_LIMIT = 100, 24
MAX_TEXT = 80  # make, model, q
MAX_NUMBER = 10**12
PARAMETERS = frozenset(
    {
        "make",
        "model",
        "yearMin",
        "yearMax",
        "priceMin",
        "priceMax",
        "mileageMax",
        "q",
        "status",
        "sort",
        "order",
        "limit",
        "cursor",
        "variant",
    }
)


@dataclass(frozen=True)
class VehicleQuery:
    make: str | None = None
    model: str | None = None
    year_min: int | None = None
    year_max: int | None = None
    price_min: int | None = None
    price_max: int | None = None
    mileage_max: int | None = None
    words: tuple[str, ...] = ()  # q, split on spaces: every word must appear
    status: str = "active"  # the D1 status: active or inactive (sold)
    sort: str = "updated"
    descending: bool = True
    limit: int = DEFAULT_LIMIT
    after: tuple | None = None  # (sort key, id) of the last vehicle of the previous page
    variant: str = "public"

    def listing_check(self) -> str:
        """What a cursor must carry to continue this listing: the filters and sort, not the position."""
        listing = {k: v for k, v in asdict(self).items() if k not in ("after", "limit", "variant")}
        return hashlib.sha256(json.dumps(listing, sort_keys=True).encode()).hexdigest()[:16]

    def cursor_after(self, key, vehicle_id: int) -> str:
        raw = json.dumps([key, vehicle_id, self.listing_check()], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def parse_query(params: dict) -> VehicleQuery:
    """A VehicleQuery from the request's query parameters; ApiError 400 naming the first problem."""
    only_parameters(params, PARAMETERS)
    year_min = query_int(params, "yearMin", None, 1900, 2100)
    year_max = query_int(params, "yearMax", None, 1900, 2100)
    price_min = query_int(params, "priceMin", None, 0, MAX_NUMBER)
    price_max = query_int(params, "priceMax", None, 0, MAX_NUMBER)
    for low, high, name in ((year_min, year_max, "year"), (price_min, price_max, "price")):
        if low is not None and high is not None and low > high:
            raise ApiError(400, f"{name}Min ({low}) is above {name}Max ({high})")
    query = VehicleQuery(
        make=_text(params, "make"),
        model=_text(params, "model"),
        year_min=year_min,
        year_max=year_max,
        price_min=price_min,
        price_max=price_max,
        mileage_max=query_int(params, "mileageMax", None, 0, MAX_NUMBER),
        words=tuple((_text(params, "q") or "").split()),
        status=_choice(params, "status", STATUSES, "active"),
        sort=_choice(params, "sort", {name: name for name in SORTS}, "updated"),
        descending=_choice(params, "order", {"asc": False, "desc": True}, "desc"),
        limit=query_int(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        variant=query_variant(params),
    )
    cursor = params.get("cursor")
    if cursor is None:
        return query
    return replace(query, after=_position(cursor, query))


def _text(params: dict, name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    value = " ".join(value.split())
    if not value or len(value) > MAX_TEXT or not value.isprintable():
        raise ApiError(400, f"{name} must be 1 to {MAX_TEXT} printable characters")
    return value


def _choice(params: dict, name: str, choices: dict, default: str):
    value = params.get(name, default)
    if value not in choices:
        raise ApiError(400, f"{name} must be one of {', '.join(choices)}, got {value[:20]!r}")
    return choices[value]


def _position(cursor: str, query: VehicleQuery) -> tuple:
    """The (sort key, id) a cursor holds, once it is known to be one this listing gave."""
    refused = ApiError(400, "cursor is not one this listing gave: start again without it")
    if not cursor.isascii() or len(cursor) > 400:
        raise refused
    try:
        key, vehicle_id, check = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        raise refused from None
    key_ok = isinstance(key, str if query.sort == "updated" else (int, float)) and not isinstance(key, bool)
    id_ok = isinstance(vehicle_id, int) and not isinstance(vehicle_id, bool) and 0 < vehicle_id < 2**53
    if not (key_ok and id_ok and check == query.listing_check()):
        raise refused
    return key, vehicle_id
