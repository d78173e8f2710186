"""Extract vehicles from a dealer's inventory page: schema.org JSON-LD first, HTML markup by profile.

Everything here is pure: a page's text and URL in, `PageExtract` out. Malformed entries are
skipped and reported with the reason, never fatal.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup

from .vin import is_valid_vin, normalize_vin

VEHICLE_TYPES = {"car", "vehicle", "motorcycle", "busorcoach", "motorizedbicycle"}
_JSONLD_RE = re.compile(
    r"<script\b[^>]*type\s*=\s*[\"']application/ld\+json[\"'][^>]*>(.*?)</script>", re.I | re.S)
_YEAR_RE = re.compile(r"\b(19[5-9]\d|20\d\d)\b")


@dataclass
class Vehicle:
    vin: str | None = None
    vin_valid: bool = False
    stock_number: str | None = None
    year: int | None = None
    make: str | None = None
    model: str | None = None
    trim: str | None = None
    price: float | None = None
    mileage: int | None = None
    exterior_color: str | None = None
    detail_url: str | None = None
    featured: bool = False
    photos: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The identity a vehicle keeps across scrapes: its VIN, else its stock number."""
        return f"vin:{self.vin}" if self.vin else f"stock:{self.stock_number}"

    @property
    def title(self) -> str:
        return " ".join(str(p) for p in (self.year, self.make, self.model, self.trim) if p)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class PageExtract:
    vehicles: list[Vehicle]
    skipped: list[dict]            # {"reason": ..., "entry": short description}
    next_url: str | None = None


# --- small parsers ---------------------------------------------------------------------------

def parse_number(value) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    digits = re.sub(r"[^\d.]", "", str(value))
    if not digits or digits.count(".") > 1 or digits == ".":
        return None
    number = float(digits)
    return number if math.isfinite(number) else None


def parse_int(value) -> int | None:
    number = parse_number(value)
    return int(number) if number is not None else None


def _text(value) -> str | None:
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def clean_photo_urls(urls, base_url: str) -> list[str]:
    """Absolute http(s) URLs, in order, without duplicates."""
    seen, result = set(), []
    for url in urls:
        if not isinstance(url, str) or not url.strip():
            continue
        absolute = urljoin(base_url, url.strip())
        parts = urlsplit(absolute)
        absolute = parts._replace(scheme=parts.scheme.lower()).geturl()   # "Http://" would read as an id
        if parts.scheme.lower() not in ("http", "https") or absolute in seen:
            continue
        seen.add(absolute)
        result.append(absolute)
    return result


# --- JSON-LD ---------------------------------------------------------------------------------

def _types(node: dict) -> set[str]:
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).lower() for k in kinds if k}


def _walk_jsonld(node, found: list[dict]) -> None:
    """Collect vehicle-like nodes, looking inside @graph, ItemList and ListItem."""
    if isinstance(node, list):
        for child in node:
            _walk_jsonld(child, found)
        return
    if not isinstance(node, dict):
        return
    if "@graph" in node:
        _walk_jsonld(node["@graph"], found)
    kinds = _types(node)
    if "itemlist" in kinds:
        _walk_jsonld(node.get("itemListElement", []), found)
    elif "listitem" in kinds:
        _walk_jsonld(node.get("item"), found)
    elif kinds & VEHICLE_TYPES:
        found.append(node)
    elif "product" in kinds and "offers" in node and (
            node.get("vehicleIdentificationNumber") or node.get("model") or node.get("vehicleModelDate")):
        found.append(node)


def _photo_values(image) -> list:
    items = image if isinstance(image, list) else [image]
    urls = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("contentUrl") or item.get("url")
        if isinstance(item, str):
            urls.append(item)
    return urls


def _offer_price(offers):
    if isinstance(offers, list):
        offers = offers[0] if offers else None
    if not isinstance(offers, dict):
        return None
    return parse_number(offers.get("price") or offers.get("lowPrice"))


def vehicle_from_jsonld(node: dict, page_url: str) -> Vehicle:
    name = _text(node.get("name"))
    year = parse_int(_text(node.get("vehicleModelDate") or node.get("modelDate")))
    if year is None and name and (match := _YEAR_RE.search(name)):
        year = int(match.group(1))
    mileage = node.get("mileageFromOdometer")
    url = _text(node.get("url"))
    return Vehicle(
        vin=normalize_vin(node.get("vehicleIdentificationNumber")) or None,
        stock_number=_text(node.get("sku") or node.get("stockNumber")),
        year=year,
        make=_text(node.get("brand") or node.get("manufacturer")),
        model=_text(node.get("model")),
        trim=_text(node.get("vehicleConfiguration")),
        price=_offer_price(node.get("offers")),
        mileage=parse_int(mileage.get("value") if isinstance(mileage, dict) else mileage),
        exterior_color=_text(node.get("color")),
        detail_url=urljoin(page_url, url) if url else None,
        photos=clean_photo_urls(_photo_values(node.get("image")), page_url),
    )


def jsonld_blocks(html: str) -> tuple[list, list[dict]]:
    """Parsed JSON-LD blocks of a page, and the blocks that did not parse."""
    blocks, skipped = [], []
    for raw in _JSONLD_RE.findall(html):
        try:
            blocks.append(json.loads(raw))
        except (ValueError, RecursionError) as exc:
            skipped.append({"reason": f"JSON-LD block does not parse: {exc}", "entry": raw.strip()[:80]})
    return blocks, skipped


# --- HTML by profile -------------------------------------------------------------------------

def _select(element, spec: str, many: bool = False):
    """Apply one field spec of the profile notation (see profiles.py) to an element."""
    selector, _, attrs = spec.partition("@")
    targets = element.select(selector) if selector else [element]
    if not many:
        targets = targets[:1]
    values = []
    for target in targets:
        if attrs:
            value = next((target.get(a) for a in attrs.split("|") if target.get(a)), None)
        else:
            value = target.get_text(" ", strip=True)
        if value:
            values.append(value)
    return values if many else (values[0] if values else None)


def vehicle_from_card(card, rules: dict, page_url: str) -> Vehicle:
    def one(name):
        return _select(card, rules[name]) if rules.get(name) else None

    title = one("title") or ""
    words = title.split()
    year = int(words[0]) if words and _YEAR_RE.fullmatch(words[0]) else None
    detail = one("detail_url")
    return Vehicle(
        vin=normalize_vin(one("vin")) or None,
        stock_number=one("stock_number"),
        year=year,
        make=words[1] if year and len(words) > 1 else None,
        model=words[2] if year and len(words) > 2 else None,
        trim=" ".join(words[3:]) or None if year else None,
        price=parse_number(one("price")),
        mileage=parse_int(one("mileage")),
        exterior_color=one("exterior_color"),
        detail_url=urljoin(page_url, detail) if detail else None,
        featured=str(one("featured") or "").lower() in ("1", "true", "yes"),
        photos=clean_photo_urls(_select(card, rules["photos"], many=True) if rules.get("photos") else [],
                                page_url),
    )


def _merge(primary: Vehicle, extra: Vehicle) -> Vehicle:
    """Fill what JSON-LD left empty from the HTML card of the same vehicle."""
    for name, value in extra.to_dict().items():
        current = getattr(primary, name)
        if current in (None, [], False) and value not in (None, [], False):
            setattr(primary, name, value)
    return primary


def _describe(vehicle: Vehicle) -> str:
    return vehicle.title or vehicle.detail_url or "(no name)"


def extract_page(html: str, page_url: str, profile: dict) -> PageExtract:
    vehicles: list[Vehicle] = []
    skipped: list[dict] = []

    if profile.get("jsonld", True):
        blocks, skipped = jsonld_blocks(html)
        nodes: list[dict] = []
        _walk_jsonld(blocks, nodes)
        vehicles = [vehicle_from_jsonld(node, page_url) for node in nodes]

    rules = profile.get("card")
    next_url = None
    if rules or profile.get("next_page"):
        soup = BeautifulSoup(html, "html.parser")
        if rules:
            by_key = {v.key: v for v in vehicles}
            by_stock = {v.stock_number: v for v in vehicles if v.stock_number}
            for card in soup.select(rules["selector"]):
                from_card = vehicle_from_card(card, rules, page_url)
                match = by_key.get(from_card.key) or by_stock.get(from_card.stock_number)
                if match:
                    _merge(match, from_card)
                else:
                    vehicles.append(from_card)
        if profile.get("next_page"):
            link = _select(soup, profile["next_page"])
            next_url = urljoin(page_url, link) if link else None

    kept, seen = [], set()
    for vehicle in vehicles:
        if not vehicle.vin and not vehicle.stock_number:
            skipped.append({"reason": "no VIN or stock number", "entry": _describe(vehicle)})
            continue
        if not (vehicle.make or vehicle.model or vehicle.year):
            skipped.append({"reason": "no year, make or model", "entry": vehicle.key})
            continue
        if vehicle.key in seen:
            skipped.append({"reason": "listed twice on the page", "entry": vehicle.key})
            continue
        seen.add(vehicle.key)
        vehicle.vin_valid = bool(vehicle.vin) and is_valid_vin(vehicle.vin)
        kept.append(vehicle)
    return PageExtract(kept, skipped, next_url)


def photos_from_detail(html: str, page_url: str, profile: dict) -> list[str]:
    """The photo list a vehicle's detail page gives, from JSON-LD or the profile's gallery rule."""
    blocks, _ = jsonld_blocks(html)
    nodes: list[dict] = []
    _walk_jsonld(blocks, nodes)
    for node in nodes:
        photos = vehicle_from_jsonld(node, page_url).photos
        if photos:
            return photos
    if profile.get("detail_photos"):
        soup = BeautifulSoup(html, "html.parser")
        return clean_photo_urls(_select(soup, profile["detail_photos"], many=True), page_url)
    return []
