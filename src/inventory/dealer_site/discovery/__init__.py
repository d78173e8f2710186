"""Discovery: read a dealer site that no built-in profile knows, with no profile written by hand.

When no platform is detected and the standard markup (JSON-LD, microdata) shows no vehicle,
`discover(html, url)` looks for vehicles two ways, inline state (state.py) and repeated HTML cards
(cards.py), tries the best candidates of each with the ordinary extraction, and returns the v2
profile that found the most vehicles, with a sentence per field saying which rule found it. The
profile is strict: a vehicle needs a VIN with a valid check digit, or a stock number with a price
and a year or make, so a page with no inventory gives none. A scrape remembers the profile (D1)
and reads the next scrapes with it directly; `npm run extract -- PAGE --suggest-profile` prints it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..extraction.html_tree import parse_html
from .cards import PHOTO_ATTRIBUTES, CardGroup, card_groups, gallery_container, next_page_spec, single_vehicle
from .state import Collection, collections, gallery_arrays

NEXT_PAGE = "a[rel~=next], link[rel~=next]@href"
STANDARD_SOURCES = [{"kind": "jsonld"}]  # what a detail page is read with before discovery
CANDIDATES_TRIED = 3
_REL_NEXT = re.compile(r"<(?:a|link)\b[^>]*\brel=[\"']?[^\"'>]*\bnext\b", re.I)


@dataclass
class Discovery:
    profile: dict  # a v2 profile, ready for load_profile
    rules: dict  # field -> which discovery rule found it
    how: str  # "inline state" | "repeated cards" | "single vehicle page"
    where: str  # the document path or the card selector
    vehicles: int = 0
    fields: int = 0  # filled fields over every vehicle found (how the candidates were compared)
    extras: list[str] = field(default_factory=list)
    own_page: bool = False  # the page is this one vehicle's, by the VIN its address names

    def to_json(self) -> dict:
        return {"how": self.how, "where": self.where, "vehicles": self.vehicles, "fieldRules": self.rules}


def _profile(sources: list[dict], placeholders=(), description: str = "", next_page=None) -> dict:
    return {
        "name": "discovered",
        "version": 2,
        "description": description,
        "sources": sources,
        "next_page": next_page or NEXT_PAGE,
        "max_pages": 40,
        "gallery": "auto",
        "detail_pages": "never",
        "detail_sources": [*STANDARD_SOURCES, {"kind": "discover"}],
        "placeholders": list(placeholders),
        "strict_vehicles": True,
    }


def _from_collection(collection: Collection, html: str, next_page=None) -> Discovery:
    sources, rules = [collection.to_source()], dict(collection.rules)
    if collection.vehicles == 1 and "photos" not in collection.fields:
        sources += _gallery_sources(html, rules)
    where = collection.where()
    profile = _profile(sources, description=f"discovered: inline state {where}", next_page=next_page)
    return Discovery(profile, rules, "inline state", where)


def _gallery_sources(html: str, rules: dict) -> list[dict]:
    arrays = gallery_arrays(html)
    if not arrays:
        return []
    source, path, count = arrays[0]
    rules["photos"] = f"a list of {count} photos in {source.get('assignment') or source.get('selector')}"
    return [{**source, "fields": {"photos": path}}]


def _from_cards(group: CardGroup, html: str, next_page=None) -> Discovery:
    sources, rules = [group.to_source()], dict(group.rules)
    if group.selector is None:
        how, where = "single vehicle page", "the whole page"
        if gallery := _gallery_sources(html, rules):  # the script's list is the whole gallery
            group.fields.pop("photos", None)
            sources = [group.to_source(), *gallery]
    else:
        how, where = "repeated cards", group.selector
    placeholders = [re.escape(url) for url in group.placeholders]
    profile = _profile(sources, placeholders, f"discovered: {how} {where}", next_page)
    return Discovery(profile, rules, how, where)


def candidates(html: str, page_url: str) -> list[Discovery]:
    """Every profile worth trying, inline state first."""
    tree = parse_html(html)
    next_page = next_page_spec(tree) if "rel=" not in html or not _REL_NEXT.search(html) else None
    found = [_from_collection(c, html, next_page) for c in collections(html)[:CANDIDATES_TRIED]]
    groups = card_groups(tree, page_url)
    found += [_from_cards(group, html, next_page) for group in groups]
    if page := single_vehicle(tree, page_url):  # a detail page: its "similar vehicles" are cards too
        found.append(_from_cards(page, html))
        found[-1].own_page = page.vin in page_url.upper()
    return found


def discover(html: str, page_url: str) -> Discovery | None:
    """The discovered profile that reads the most vehicles (then the most fields) from this page;
    None when no candidate finds a vehicle."""
    best, tried = None, []
    for candidate in candidates(html, page_url):
        page = _read_with(candidate, html, page_url)
        if page is None:  # a selector or path this engine cannot serve: not a candidate
            continue
        tried.append(candidate)
        if candidate.vehicles and candidate.own_page:
            return candidate  # the page's address names its vehicle: the cards are similar vehicles
        if candidate.vehicles and (
            best is None or (candidate.vehicles, candidate.fields) > (best.vehicles, best.fields)
        ):
            best = candidate
    if best is not None and best.how == "inline state" and "photos" not in best.rules:
        return _with_card_photos(best, tried, html, page_url)
    return best


def _read_with(candidate: Discovery, html: str, page_url: str):
    """The page as the candidate's profile reads it (its counts set), or None when it cannot serve."""
    from ..extract import extract_page  # extraction calls discovery, discovery tries extraction
    from ..profiles import normalise_profile

    try:
        profile = normalise_profile(candidate.profile)
    except ValueError:
        return None
    page = extract_page(html, page_url, profile)
    candidate.vehicles = len(page.vehicles)
    candidate.fields = sum(
        1 for v in page.vehicles for value in v.to_dict().values() if value not in (None, "", [], False)
    )
    return page


_JOIN_KEYS = ("vin", "stock_number", "detail_url")  # what merges a card's record with the state's


def _with_card_photos(best: Discovery, tried: list[Discovery], html: str, page_url: str) -> Discovery:
    """Inline state without photos (an analytics layer's vehicles), joined with the photos of the
    page's cards for the same vehicles (by VIN, stock number or detail link): kept only when as many
    vehicles are read and more of them have photos."""
    state_fields = best.profile["sources"][0]["fields"]
    for cards in (c for c in tried if c.how == "repeated cards" and "photos" in c.rules):
        card_fields = cards.profile["sources"][0]["fields"]
        keys = [key for key in _JOIN_KEYS if key in card_fields and key in state_fields]
        if not keys:
            continue
        photos_source = {
            **cards.profile["sources"][0],
            "fields": {k: card_fields[k] for k in [*keys, "photos"]},
        }
        joined = Discovery(
            {**best.profile, "sources": [*best.profile["sources"], photos_source]},
            {**best.rules, "photos": f"{cards.rules['photos']} (the cards, joined by {', '.join(keys)})"},
            best.how,
            best.where,
            own_page=best.own_page,
        )
        before = best.fields
        page = _read_with(joined, html, page_url)
        if page is not None and joined.vehicles >= best.vehicles and joined.fields > before:
            return joined
    return best


def detail_sources(html: str, page_url: str) -> list[dict]:
    """What a `discover` source reads on a vehicle's detail page: the page as one vehicle when it is
    one, and its gallery (a script's list of photos, else the images of its gallery container)."""
    tree = parse_html(html)
    page = single_vehicle(tree, page_url)
    sources = [_from_cards(page, html).profile["sources"][0]] if page else []
    gallery = _gallery_sources(html, {})
    if gallery:
        return [*sources, *gallery]
    if page and "photos" in page.fields:
        return sources
    if selector := gallery_container(tree):
        photos = {"selector": selector, "attr": PHOTO_ATTRIBUTES, "all": True}
        sources.append({"kind": "cards", "selector": None, "fields": {"photos": photos}})
    return sources
