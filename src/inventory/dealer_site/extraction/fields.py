"""Field rules: turn what a source read (text, numbers, JSON values) into a vehicle's typed fields.

Each reader returns (value, warning): the value is None when the page gave nothing usable, and
the warning says why a value the page did give was dropped (None when there is nothing to say).
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from ..vin import has_foreign_characters, normalize_vin
from .numbers import NUMBER_PATTERN, checked_mileage, checked_price, checked_year, parse_number

TEXT_FIELDS = ("stock_number", "make", "model", "trim", "exterior_color", "title", "store_id")
# A vehicle's own values, in the order reports list them; FIELDS: every field a profile may name.
VEHICLE_VALUES = (
    "vin",
    "stock_number",
    "year",
    "make",
    "model",
    "trim",
    "price",
    "mileage",
    "exterior_color",
    "detail_url",
)
FIELDS = (*VEHICLE_VALUES, "featured", "photos", "title", "store_id")

_TRUE_WORDS = frozenset(("1", "true", "yes", "y", "on", "featured", "spotlight", "special"))
_FALSE_WORDS = frozenset(("0", "false", "no", "n", "off", "none", "null", ""))
_PAYMENT_AFTER = re.compile(
    r"\s*(?:/\s*mo(?:nth)?\b|/\s*mth|per\s+mo(?:nth)?\b|a\s+month|monthly|mo\b\.?"
    r"|/\s*wk|per\s+week|bi-?weekly|down\b)",
    re.I,
)
_PAYMENT_BEFORE = re.compile(
    r"\blease\b|\bpayments?\b|per\s+month|\bmonthly\b|\bfinanc(?:e|ing)\b|\bdown\b", re.I
)
_TOTAL = (
    r"total\b|with\s+(?:all\s+)?fees|fees\s+included|incl(?:\.|uding|udes)?\s+(?:all\s+)?fees"
    r"|out[\s-]the[\s-]door|otd\b|drive[\s-]?off"
)
_TOTAL_BEFORE = re.compile(rf"\b(?:{_TOTAL})", re.I)
_TOTAL_AFTER = re.compile(rf"[\s*]*(?:{_TOTAL})", re.I)
# What a card writes before an amount that is not what the dealer asks: a list price (the asking
# price when it is the only one, a new car's MSRP) or a reduction (never a price).
_LIST_BEFORE = re.compile(
    r"\b(?:msrp|m\.s\.r\.p\.?|was|retail|list(?:\s+price)?|original(?:ly)?|reg(?:ular)?\.?|compare(?:\s+at)?"
    r"|starting\s+at|market\s+value|kbb|nada)\b[^\d$€£]*$",
    re.I,
)
_REDUCTION_BEFORE = re.compile(
    r"\b(?:discount|rebates?|savings?|save|you\s+save|incentives?|bonus|conditional|cash\s+back|trade"
    r"|dealer\s+(?:discount|savings))\b[^\d$€£]*$|[-−–]\s*$",
    re.I,
)
_OFF_AFTER = re.compile(r"\s*(?:off\b|savings?\b|discount\b|rebate\b)", re.I)
_LIST_PRICE = "is a list price (MSRP, was, retail)"
_REDUCTION = "is a discount or rebate"
_ASK = "says to ask for the price"  # once a text says so, none of its numbers is the price
_CALL_FOR_PRICE = re.compile(
    r"\bcall\b|contact\s+us|\binquire\b|ask\s+for\s+(?:the\s+)?price|request\s+(?:a\s+)?(?:price|quote)"
    r"|price\s+on\s+request|\bunpriced\b",
    re.I,
)

# An address that names an image file by its extension (the query and fragment aside)
IMAGE_FILE = re.compile(r"\.(?:jpe?g|png|webp|gif|avif|jfif)(?:$|[?#])", re.I)


def clean_text(value) -> str | None:
    """A text value with whitespace collapsed; numbers as written (12345.0 as "12345")."""
    if value is None or isinstance(value, (bool, dict, list)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = " ".join(str(value).split())
    return text or None


def read_bool(value) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    text = clean_text(value)
    if text is None:
        return None
    word = text.lower()
    return False if word in _FALSE_WORDS else True if word in _TRUE_WORDS else bool(word)


def absolute_url(value, page_url: str) -> str | None:
    """An http(s) URL resolved against the page (protocol-relative takes the page's scheme)."""
    text = clean_text(value)
    if not text:
        return None
    url = urljoin(page_url, text)
    scheme = urlsplit(url).scheme.lower()
    return url if scheme in ("http", "https") else None


def read_price(value) -> tuple[float | None, str | None]:
    """The vehicle's price, never a monthly payment, a total with fees or a call-for-price text."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return checked_price(parse_number(value))
    text = clean_text(value)
    if text is None:
        return None, None
    previous_end, excluded, listed = 0, None, None
    for match in NUMBER_PATTERN.finditer(text):
        why = _not_a_price(text, previous_end, match)
        if why is None and excluded != _ASK:
            return checked_price(parse_number(match[0]))
        if why == _LIST_PRICE and listed is None:
            listed = match[0]  # "MSRP $52,695 e-Price $47,888": the e-price; "MSRP $52,695" alone: it
        previous_end, excluded = match.end(), excluded or why
    if listed is not None and excluded != _ASK:
        return checked_price(parse_number(listed))
    if excluded is None and _CALL_FOR_PRICE.search(text):
        excluded = _ASK
    return None, f"price text {text[:60]!r} {excluded}: no price" if excluded else None


def _not_a_price(text: str, previous_end: int, match) -> str | None:
    before = text[previous_end : match.start()]
    if _PAYMENT_AFTER.match(text, match.end()) or _PAYMENT_BEFORE.search(before):
        return "is a payment"
    if _TOTAL_BEFORE.search(before) or _TOTAL_AFTER.match(text, match.end()):
        return "is a total with fees"
    if _CALL_FOR_PRICE.search(before):
        return _ASK
    if _REDUCTION_BEFORE.search(before) or _OFF_AFTER.match(text, match.end()):
        return _REDUCTION
    if _LIST_BEFORE.search(before):
        return _LIST_PRICE
    return None


def read_vin(value) -> tuple[str | None, str | None]:
    """The normalised VIN, and a warning when it needed more than case and spaces, or is not ASCII."""
    text = clean_text(value)
    vin = normalize_vin(text) or None
    if vin is None:
        return None, None
    if has_foreign_characters(vin):
        return vin, f"VIN {vin!r} has characters that are not ASCII (look-alike letters?): invalid"
    if vin != "".join(text.split()).upper():
        return vin, f"VIN {text!r} had full-width or invisible characters: read as {vin}"
    return vin, None


# "32.1K mi", "Mileage: 47k": a k standing alone or before "mi"/"miles" (not the k of "km")
_K_MILES = re.compile(r"^\D{0,24}?(\d{1,3}(?:\.\d)?)\s*[kK](?![a-jl-z])", re.I)


def _thousands_written_k(value) -> float | None:
    """A mileage as a number: "32.1K mi" and "47k miles" are thousands."""
    if isinstance(value, str) and (short := _K_MILES.match(value)):
        return float(short[1]) * 1000
    return parse_number(value)


def read_field(name: str, value, page_url: str) -> tuple[object, str | None]:
    """The typed value of one field as a source gave it, and why it was dropped if it was."""
    if name in TEXT_FIELDS:
        return clean_text(value), None
    if name == "vin":
        return read_vin(value)
    if name == "year":
        return checked_year(parse_number(value))
    if name == "mileage":
        return checked_mileage(_thousands_written_k(value))
    if name == "price":
        return read_price(value)
    if name == "detail_url":
        return absolute_url(value, page_url), None
    if name == "featured":
        return read_bool(value), None
    raise KeyError(name)
