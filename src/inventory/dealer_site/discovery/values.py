"""What a value must look like to be taken for one of our fields (discovery's judge of candidates)."""

from __future__ import annotations

import re

from ..extraction.fields import IMAGE_FILE, clean_text, read_price
from ..extraction.makes import KNOWN_MAKES
from ..extraction.numbers import checked_mileage, checked_year, parse_number
from ..vin import is_valid_vin, normalize_vin

_IMAGE_PATH = re.compile(r"photo|image|img|pic|media|cdn|gallery|upload|thumb", re.I)
_NOT_A_PAGE = re.compile(r"^(?:#|javascript:|tel:|mailto:|data:|sms:)", re.I)
_STOCK = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,24}")
_WORDS = re.compile(r"[^\W\d_][\w .\-/&+']{0,40}")


def image_url(value) -> bool:
    if not isinstance(value, str) or not value or " " in value.strip() or value.startswith("data:"):
        return False
    value = value.strip()
    if value.lower().endswith(".svg") or _NOT_A_PAGE.match(value):
        return False
    return bool(IMAGE_FILE.search(value)) or (
        value.startswith(("http", "//", "/")) and bool(_IMAGE_PATH.search(value))
    )


def page_url(value) -> bool:
    """A link to a page (a detail page), not an image, an anchor or a phone number."""
    if not isinstance(value, str) or not value.strip() or " " in value.strip():
        return False
    value = value.strip()
    return not _NOT_A_PAGE.match(value) and not IMAGE_FILE.search(value) and len(value) > 1


def valid_vin(value) -> bool:
    if not isinstance(value, str):
        return False
    vin = normalize_vin(value).strip()
    return len(vin) == 17 and is_valid_vin(vin)


def good(field: str, value) -> bool:
    """Whether `value` is a plausible value of `field`."""
    if value is None or isinstance(value, (dict, list)) and field != "photos":
        return False
    if field == "vin":
        return valid_vin(value)
    if field == "year":
        number = parse_number(value)
        return number is not None and checked_year(number)[0] is not None and number > 1950
    if field == "price":
        price = read_price(value)[0]
        return price is not None and price >= 100
    if field == "mileage":
        return checked_mileage(parse_number(value))[0] is not None
    if field == "stock_number":
        text = clean_text(value) or ""
        return bool(_STOCK.fullmatch(text)) and any(ch.isdigit() for ch in text) and not valid_vin(text)
    if field == "make":
        text = clean_text(value) or ""
        return text.lower() in KNOWN_MAKES
    if field in ("model", "trim", "exterior_color"):
        text = clean_text(value) or ""
        return 0 < len(text) <= 40 and ":" not in text and not valid_vin(text) and bool(_WORDS.match(text))
    if field == "title":
        text = clean_text(value) or ""
        return 4 <= len(text) <= 160 and any(make in text.lower() for make in KNOWN_MAKES)
    if field == "detail_url":  # a path or an address, not a bare word (a slug resolved would be wrong)
        return page_url(value) and ("/" in value or "?" in value)
    if field == "featured":
        return isinstance(value, bool)
    if field == "photos":
        items = value if isinstance(value, list) else [value]
        return any(image_url(item) for item in items)
    return False
