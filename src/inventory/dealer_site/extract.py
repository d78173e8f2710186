"""Extract vehicles from a dealer's inventory page, by site profile (see profiles.py).

Everything here is pure: a page's text and URL in, `PageExtract` out. The profile's sources
(JSON-LD, JSON in scripts, HTML cards) are read in order and merged per vehicle; the field rules
and galleries are in inventory/extraction/. Malformed entries are skipped and reported with the
reason, dropped values are reported as warnings; nothing on a page is fatal. The page is parsed
only as far as its sources need: no HTML tree at all for a profile without cards or next_page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from functools import lru_cache
from urllib.parse import urldefrag

from .extraction.cards import (
    card_tag_name,
    read_card_tags,
    read_cards,
    reads_a_start_tag,
    spec_values,
    start_tag_value,
)
from .extraction.fields import VEHICLE_VALUES, absolute_url
from .extraction.finish import finish
from .extraction.gallery import clean_gallery, rules_from_profile
from .extraction.json_api import read_api_answers
from .extraction.jsonld import read_jsonld
from .extraction.merge import Merged, merge_records
from .extraction.numbers import parse_number
from .extraction.records import SourceResult
from .extraction.script_json import read_script_json
from .extraction.selectors import parse_page
from .extraction.sitemap import read_sitemap_answers
from .profiles import is_normalised, normalise_profile
from .vin import is_valid_vin, vin_identity

__all__ = [
    "Vehicle",
    "PageExtract",
    "VehicleReport",
    "DetailExtract",
    "extract_page",
    "extract_detail",
    "photos_from_detail",
    "parse_number",
    "clean_photo_urls",
]


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
        """The identity a vehicle keeps across scrapes: its VIN (look-alike letters read as the
        Latin ones), else its stock number."""
        return f"vin:{vin_identity(self.vin)}" if self.vin else f"stock:{self.stock_number}"

    @property
    def title(self) -> str:
        return " ".join(str(p) for p in (self.year, self.make, self.model, self.trim) if p)

    def to_dict(self) -> dict:
        # dataclasses.asdict deep-copies every value: a fifth of a scrape's CPU, for plain values
        values = {name: getattr(self, name) for name in _VEHICLE_FIELDS}
        values["photos"] = list(self.photos)
        return values


_VEHICLE_FIELDS = tuple(f.name for f in fields(Vehicle))


@dataclass
class VehicleReport:
    """Where a vehicle's fields came from and what its gallery dropped (for `extract --explain`)."""

    sources: dict[str, str] = field(default_factory=dict)  # field -> "1:jsonld", "title (2:cards)", "VIN"
    dropped_photos: list[dict] = field(default_factory=list)  # {"url", "reason"}


@dataclass
class PageExtract:
    vehicles: list[Vehicle]
    skipped: list[dict]  # {"reason": ..., "entry": short description}
    next_url: str | None = None
    warnings: list[dict] = field(default_factory=list)  # {"reason", "entry"}: values dropped or doubted
    reports: list[VehicleReport] = field(default_factory=list)  # reports[i] describes vehicles[i]
    discovery: object = None  # discovery.Discovery: the profile discovery found, when it read the page


@dataclass
class DetailExtract:
    vehicle: Vehicle | None
    report: VehicleReport | None
    skipped: list[dict]
    warnings: list[dict]


def clean_photo_urls(urls, base_url: str) -> list[str]:
    """Absolute http(s) URLs, in order, one per photo (size variants collapsed, placeholders dropped)."""
    return clean_gallery(urls, base_url).photos


@lru_cache(maxsize=32)
def _normalised_from_json(text: str) -> dict:
    return normalise_profile(json.loads(text))


def _ensure_normalised(profile: dict) -> dict:
    """The profile in full form (callers may pass a first-format or hand-written dict)."""
    if is_normalised(profile):
        return profile
    return _normalised_from_json(json.dumps(profile, sort_keys=True))


def page_has(html: str, text: str) -> bool:
    """Whether the page holds `text` as written or upper-cased (`ITEMTYPE` in an old page's markup)."""
    return text in html or text.upper() in html


def _page_selectors(html: str, sources: list[dict], next_page: dict | None) -> list[str]:
    """Every selector that will run on the page's HTML tree (empty: no tree is needed)."""
    selectors = [next_page["selector"]] if next_page and next_page.get("selector") else []
    for source in sources:
        if source["kind"] == "cards" and page_has(html, source.get("if_page_has", "")):
            selectors += [source["selector"]] if source.get("selector") else []
            selectors += [spec["selector"] for spec in source["fields"].values() if spec.get("selector")]
    return selectors


class _Page:
    """One page being read: its HTML tree is built once, on first need."""

    def __init__(
        self,
        html: str,
        page_url: str,
        sources: list[dict],
        next_page: dict | None,
        api_answers: dict | None = None,
    ):
        self.html, self.page_url, self.sources, self.next_page = html, page_url, sources, next_page
        self.api_answers = api_answers or {}  # source rank -> the JSON answers its API gave
        self._tree = None

    @property
    def tree(self):
        if self._tree is None:
            self._tree = parse_page(self.html, _page_selectors(self.html, self.sources, self.next_page))
        return self._tree

    def read(self, rank: int, source: dict) -> SourceResult:
        label = f"{rank}:{source['kind']}"
        if source["kind"] == "jsonld":
            result = read_jsonld(self.html, label)
        elif source["kind"] == "script_json":
            result = read_script_json(self.html, source, label, self.page_url)
        elif source["kind"] == "json_api":
            result = read_api_answers(self.api_answers.get(rank, []), source, label, self.page_url)
        elif source["kind"] == "sitemap":  # read only when fetching.py fetched it (api_reading.py)
            result = SourceResult()
            if rank in self.api_answers:
                result = read_sitemap_answers(self.api_answers[rank], source, label)
        elif source["kind"] == "discover":
            result = self._discovered(rank)
        elif source.get("if_page_has") and not page_has(self.html, source["if_page_has"]):
            result = SourceResult()
        elif self._tree is None and (card_tag := card_tag_name(source)):
            result = read_card_tags(self.html, source, card_tag, label, self.page_url)
        else:
            result = read_cards(self.tree, source, label, self.page_url)
        for record in result.records:
            record.rank = rank
        return result

    def _discovered(self, rank: int) -> SourceResult:
        """A `discover` source (a discovered profile's detail pages): what discovery finds here."""
        from .discovery import detail_sources
        from .profiles import normalise_profile

        result, found = SourceResult(), detail_sources(self.html, self.page_url)
        for source in normalise_profile({"sources": found})["sources"] if found else []:
            part = self.read(rank, source)
            result.records += part.records
            result.skipped += part.skipped
        return result

    def next_url(self) -> str | None:
        """The next listing page's URL: from the start tags alone when no tree was needed so far."""
        if not self.next_page:
            return None
        if self._tree is None and reads_a_start_tag(self.next_page):
            value = start_tag_value(self.html, self.next_page, self.page_url)
        else:
            value = next(iter(spec_values(self.tree, self.next_page, self.page_url)), None)
        return absolute_url(value, self.page_url) if value else None


def _read_sources(page: _Page) -> tuple[list, list[dict], list[dict]]:
    records, skipped, warnings = [], [], []
    for rank, source in enumerate(page.sources, 1):
        result = page.read(rank, source)
        records += result.records
        skipped += result.skipped
        warnings += result.warnings
    return records, skipped, warnings


def _vehicle(merged: Merged, page_url: str, rules) -> tuple[Vehicle, VehicleReport]:
    gallery = finish(merged, page_url, rules)
    values = merged.values
    named = {name: values.get(name) for name in VEHICLE_VALUES}
    vehicle = Vehicle(**named, featured=bool(values.get("featured", False)), photos=gallery.photos)
    vehicle.vin_valid = bool(vehicle.vin) and is_valid_vin(vehicle.vin)
    report = VehicleReport({k: v for k, v in merged.sources.items() if k != "title"}, gallery.dropped)
    if gallery.photos:
        report.sources["photos"] = ", ".join(dict.fromkeys(merged.photo_sources))
    return vehicle, report


def _describe(vehicle: Vehicle) -> str:
    return vehicle.title or vehicle.detail_url or "(no name)"


NOT_EVIDENCED = (
    "not shown to be a vehicle (a discovered profile needs a VIN with a valid check digit, "
    "or a stock number with a price and a year or make)"
)


def evidenced(vehicle: Vehicle) -> bool:
    """Whether a vehicle found by guessing is one: discovery must never invent vehicles."""
    if vehicle.vin_valid:
        return True
    return bool(vehicle.stock_number and vehicle.price and (vehicle.year or vehicle.make))


def _why_skipped(vehicle: Vehicle, seen: set, strict: bool = False) -> dict | None:
    if strict and not evidenced(vehicle):
        return {"reason": NOT_EVIDENCED, "entry": _describe(vehicle)}
    if not vehicle.vin and not vehicle.stock_number:
        return {"reason": "no VIN or stock number", "entry": _describe(vehicle)}
    if not (vehicle.make or vehicle.model or vehicle.year):
        return {"reason": "no year, make or model", "entry": vehicle.key}
    if vehicle.key in seen:
        return {"reason": "listed twice on the page", "entry": vehicle.key}
    return None


def _other_store(merged: Merged, profile: dict) -> dict | None:
    """A dealer group's sister store's vehicle, when the profile keeps only one store's."""
    store, kept = merged.values.get("store_id"), profile.get("keep_store")
    if not kept or str(store) == kept:
        return None
    return {
        "reason": f"another store's vehicle (store id {store}, keeping {kept})",
        "entry": str(merged.values.get("vin") or merged.values.get("stock_number") or "?")[:60],
    }


def _built(profile: dict, html: str, page_url: str, sources: list[dict], next_page, api_answers=None):
    page = _Page(html, page_url, sources, next_page, api_answers)
    records, skipped, warnings = _read_sources(page)
    rules = rules_from_profile(profile)
    built = []
    for merged in merge_records(records, page_url):
        if other := _other_store(merged, profile):
            skipped.append(other)
            continue
        vehicle, report = _vehicle(merged, page_url, rules)
        built.append((vehicle, report, merged.warnings))
    return page, built, skipped, warnings


def extract_page(html: str, page_url: str, profile: dict, api_answers: dict | None = None) -> PageExtract:
    """The vehicles of one listing page; `api_answers` (source rank -> JSON documents) feeds the
    profile's json_api sources, which fetching.py has already called."""
    profile = _ensure_normalised(profile)
    page, built, skipped, warnings = _built(
        profile, html, page_url, profile["sources"], profile["next_page"], api_answers
    )
    result = PageExtract([], skipped, page.next_url(), warnings)
    seen, strict = set(), profile.get("strict_vehicles", False)
    for vehicle, report, notes in built:
        why = _why_skipped(vehicle, seen, strict)
        if why:
            result.skipped.append(why)
            continue
        seen.add(vehicle.key)
        result.vehicles.append(vehicle)
        result.reports.append(report)
        result.warnings += [{"reason": note, "entry": vehicle.key} for note in notes]
    addresses = _addresses(html, page_url) if result.vehicles else ()
    if len(result.vehicles) > 1:
        _only_the_page_s_own(result, addresses)
    if profile.get("discover") and (not result.vehicles or _may_list_more(result, page_url)):
        return _discovered_page(html, page_url, result) or result
    if profile.get("discover") and len(result.vehicles) == 1 and _is_its_page(result.vehicles[0], addresses):
        _add_the_gallery(result, html, page_url, rules_from_profile(profile))
    return result


_CANONICAL_LINK = {"selector": "link[rel=canonical]", "attr": ["href"], "type": "url"}


def _addresses(html: str, page_url: str) -> tuple[str, ...]:
    """The page's own addresses: where it was read from, and its canonical link (one scan, if any)."""
    canonical = start_tag_value(html, _CANONICAL_LINK, page_url) if "canonical" in html else None
    return (page_url, canonical) if canonical else (page_url,)


def _is_its_page(vehicle: Vehicle, addresses: tuple[str, ...]) -> bool:
    """Whether the page is the vehicle's own detail page (one of the page's addresses is its URL)."""
    return bool(vehicle.detail_url) and any(_same_page(vehicle.detail_url, a) for a in addresses)


def _only_the_page_s_own(result: PageExtract, addresses: tuple[str, ...]) -> None:
    """On a vehicle's own detail page, the other vehicles it shows ("similar vehicles", also in
    its JSON-LD) are not listed by the dealer here: they are left out, with the reason."""
    own = [i for i, vehicle in enumerate(result.vehicles) if _is_its_page(vehicle, addresses)]
    if len(own) != 1:
        return
    (index,) = own
    result.skipped += [
        {"reason": "another vehicle shown on this vehicle's detail page", "entry": vehicle.key}
        for i, vehicle in enumerate(result.vehicles)
        if i != index
    ]
    result.vehicles, result.reports = [result.vehicles[index]], [result.reports[index]]


def _add_the_gallery(result: PageExtract, html: str, page_url: str, rules) -> None:
    """A detail page whose JSON-LD shows the hero photo only: its gallery's photos too, as the
    background gallery reads them (discovery's detail sources), collapsed with the hero."""
    vehicle = result.vehicles[0]
    photos = photos_from_detail(html, page_url, _GALLERY_PROFILE)
    if photos:
        gallery = clean_gallery([*vehicle.photos, *photos], page_url, rules)
        vehicle.photos = gallery.photos
        result.reports[0].dropped_photos += gallery.dropped
        result.reports[0].sources["photos"] = "JSON-LD and the page's gallery (discovery)"


FEW_STANDARD = 2  # vehicles a listing's JSON-LD may describe beside the cards of all (a "special")


def _may_list_more(result: PageExtract, page_url: str) -> bool:
    """Whether a page whose standard markup describes a vehicle or two may list more in cards: a
    listing's "special of the week" has its own detail page; a detail page's vehicle is the page."""
    return len(result.vehicles) <= FEW_STANDARD and all(
        vehicle.detail_url and not _same_page(vehicle.detail_url, page_url) for vehicle in result.vehicles
    )


def _discovered_page(html: str, page_url: str, plain: PageExtract) -> PageExtract | None:
    """The page read with the profile discovery finds, when its standard markup showed no vehicle,
    or a few where discovery finds at least twice as many (and 3): those few are kept too."""
    from .discovery import discover
    from .profiles import normalise_profile

    found = discover(html, page_url)
    if found is None:
        return None
    page = extract_page(html, page_url, normalise_profile(found.profile))
    if plain.vehicles and len(page.vehicles) < max(3, 2 * len(plain.vehicles)):
        return None
    listed = {vehicle.key for vehicle in page.vehicles}
    for vehicle, report in zip(plain.vehicles, plain.reports, strict=True):
        if vehicle.key not in listed:
            page.vehicles.append(vehicle)
            page.reports.append(report)
    page.next_url = page.next_url or plain.next_url
    page.skipped = plain.skipped + page.skipped  # a JSON-LD block that did not parse, say
    page.discovery = found
    if found.how == "single vehicle page" and len(page.vehicles) == 1 and not page.vehicles[0].detail_url:
        page.vehicles[0].detail_url = urldefrag(page_url)[0]  # the page is this vehicle's own
    return page


def _same_page(url: str | None, page_url: str) -> bool:
    return bool(url) and urldefrag(url)[0].rstrip("/") == urldefrag(page_url)[0].rstrip("/")


def extract_detail(html: str, page_url: str, profile: dict) -> DetailExtract:
    """The vehicle a detail page describes (read with the profile's detail_sources): the one whose
    URL is the page's, else the first with photos, else the first."""
    profile = _ensure_normalised(profile)
    _, built, skipped, warnings = _built(profile, html, page_url, profile["detail_sources"], None)
    if not built:
        return DetailExtract(None, None, skipped, warnings)
    chosen = next((b for b in built if _same_page(b[0].detail_url, page_url)), None) or next(
        (b for b in built if b[0].photos), built[0]
    )
    vehicle, report, notes = chosen
    warnings += [
        {"reason": note, "entry": vehicle.key if (vehicle.vin or vehicle.stock_number) else page_url}
        for note in notes
    ]
    return DetailExtract(vehicle, report, skipped, warnings)


_GALLERY_PROFILE = {"sources": [{"kind": "discover"}], "detail_sources": [{"kind": "discover"}]}


def photos_from_detail(html: str, page_url: str, profile: dict) -> list[str]:
    """The photo list a vehicle's detail page gives (every detail source's photos, merged)."""
    vehicle = extract_detail(html, page_url, profile).vehicle
    return vehicle.photos if vehicle else []
