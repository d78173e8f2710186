"""Site profiles (format v2): how to read one dealer platform, as data rather than code paths.

A profile lists *sources*, read in order and merged per vehicle (see extract.py):
  {"kind": "jsonld"}                                   every application/ld+json block
  {"kind": "script_json", "selector": "script#__NEXT_DATA__", "vehicles": "props.pageProps.results",
   "fields": {"vin": "vin", "photos": "media.photos[*].url"}}          JSON in a script (JMESPath)
  {"kind": "script_json", "assignment": "window.__INITIAL_STATE__", "vehicles": "inventory.items", ...}
  {"kind": "cards", "selector": "div.srp-card", "fields": {"vin": "@data-vin", "price": ".price"}}
A FIELD_SPEC is "css selector@attr1|attr2" (".price" = its text, "@data-vin" = the card's attribute)
or {"selector", "attr", "regex", "type", "all"}. The other keys: next_page (a FIELD_SPEC on the whole
page), max_pages, gallery (where photos come from: "listing"; "detail", the detail page's gallery,
read in the background after the scrape; "auto", the default: "detail" for a vehicle the listing
shows at most one photo of), detail_pages ("never" | "if_no_photos" | "always": with gallery
"listing" only, detail pages read inside the scrape), detail_sources (default: the sources),
placeholders and stock_art (regexes), full_size ([{"host", "drop_query"}]), hosts, and keep_store:
for a dealer group's site listing its sister stores' stock too, keep only the vehicles whose `store_id`
field (the platform's account, dealer or location id) equals this value; the others are
skipped as "another store's vehicle". A `json_api` source (extraction/json_api.py) reads the JSON
inventory API the listing is rendered from. The platforms' built-in profiles are in platforms.py.

A new dealer means a new entry here or a JSON file (`load_profile`), not new code. `load_profile`
refuses a profile with a mistake (unknown key, source kind or field, bad selector, regex or
JMESPath) with a ValueError naming it, rather than letting it find nothing. A cards source without
a selector (an extension of the shared spec) reads the whole page as one card.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

from .extraction.fields import FIELDS
from .extraction.script_json import assignment_pattern, compiled_path
from .extraction.selectors import compiled, simple_selector
from .extraction.sitemap import DETAIL_GROUPS
from .platforms import PLATFORM_PROFILES

FORMAT_VERSION = 2
SOURCE_KINDS = ("jsonld", "script_json", "cards", "json_api", "sitemap", "discover")
SPEC_TYPES = ("text", "int", "number", "bool", "url", "list")
DETAIL_MODES = ("never", "if_no_photos", "always")
GALLERY_MODES = ("listing", "detail", "auto")
PROFILE_KEYS = (
    "name",
    "description",
    "version",
    "sources",
    "next_page",
    "max_pages",
    "gallery",
    "detail_pages",
    "detail_sources",
    "placeholders",
    "stock_art",
    "full_size",
    "hosts",
    "keep_store",
    "discover",
    "strict_vehicles",
)
_SOURCE_KEYS = {
    "jsonld": ("kind",),
    "script_json": ("kind", "selector", "attribute", "assignment", "flight", "push", "vehicles", "fields"),
    "cards": ("kind", "selector", "fields", "if_page_has"),
    "json_api": ("kind", "url", "method", "body", "values", "paging", "vehicles", "fields"),
    "sitemap": ("kind", "url", "children", "detail_url"),
    "discover": ("kind",),
}
_PAGING_KEYS = ("by", "size", "total", "first")
_FIELD_SPEC_KEYS = ("selector", "attr", "regex", "type", "all", "label", "cell")
_PATH_KEYS = ("path", "regex", "type")
_FIRST_FORMAT_KEYS = ("jsonld", "card", "detail_photos")
_ATTRIBUTE_NAME = r"(?:[A-Za-z_:][-\w:.]*|#text)"  # "#text": the element's text, e.g. after "content"
_ATTRIBUTE_LIST = re.compile(rf"{_ATTRIBUTE_NAME}(?:\|{_ATTRIBUTE_NAME})*")

# schema.org microdata (itemscope / itemtype / itemprop), the other standard way a page describes a
# vehicle: a `meta`/`link` carries its value in `content`/`href`, any other element in its text.
_VALUE = "@content|href|#text"
MICRODATA = {
    "kind": "cards",
    "if_page_has": "itemtype",  # a page without microdata is read without an HTML tree
    "selector": "[itemtype*='schema.org/Car' i], [itemtype*='schema.org/Vehicle' i], "
    "[itemtype*='schema.org/Motorcycle' i], [itemtype$='schema.org/Product' i]",
    "fields": {
        "vin": f"[itemprop=vehicleIdentificationNumber]{_VALUE}",
        "stock_number": f"[itemprop=sku]{_VALUE}",
        "year": {
            "selector": "[itemprop=vehicleModelDate], [itemprop=modelDate]",
            "attr": ["content", "#text"],
            "type": "int",
        },
        "make": f"[itemprop=brand] [itemprop=name], [itemprop=brand], [itemprop=manufacturer]{_VALUE}",
        "model": f"[itemprop=model]{_VALUE}",
        "trim": f"[itemprop=vehicleConfiguration]{_VALUE}",
        "price": f"[itemprop=offers] [itemprop=price]{_VALUE}",
        "mileage": f"[itemprop=mileageFromOdometer] [itemprop=value], [itemprop=mileageFromOdometer]{_VALUE}",
        "exterior_color": f"[itemprop=color]{_VALUE}",
        "title": f"[itemprop=name]{_VALUE}",
        "detail_url": {"selector": "[itemprop=url]", "attr": ["href", "content"], "type": "url"},
        "photos": {
            "selector": "[itemprop=image]",
            "attr": ["content", "href", "data-src", "data-lazy-src", "src"],  # a lazy image's src waits
            "all": True,
        },
    },
}

PROFILES = {
    # The Lambert dealer site (and the demo site in dev/, which publishes the same markup).
    "lambert": {
        "name": "lambert",
        "sources": [
            {"kind": "jsonld"},
            {
                "kind": "cards",
                "selector": "div.vehicle-card",
                # The cards add what the JSON-LD lacks (featured); the keys tie them to its vehicles.
                "fields": {"vin": "@data-vin", "stock_number": "@data-stock", "featured": "@data-featured"},
            },
        ],
        "next_page": "a[rel=next]@href",
        "max_pages": 40,
        # A vehicle the listing shows one photo of gets its detail page's gallery, in the background.
        "gallery": "auto",
        # With "gallery": "listing": fetch a detail page in the scrape when the listing gave no photos.
        "detail_pages": "if_no_photos",
        "detail_sources": [
            {"kind": "jsonld"},
            {"kind": "cards", "selector": "div.gallery", "fields": {"photos": "img@data-src|src"}},
        ],
    },
    # Any site that describes its vehicles the standard way: schema.org JSON-LD or microdata; a page
    # that shows none that way is read by discovery (discovery/), which finds where its vehicles are.
    "generic": {
        "name": "generic",
        "discover": True,
        "sources": [{"kind": "jsonld"}, MICRODATA],
        "next_page": "a[rel~=next], link[rel~=next]@href",
        "max_pages": 40,
        "detail_pages": "never",
    },
    # JSON-LD and nothing else: no HTML tree is ever built.
    "jsonld-only": {
        "name": "jsonld-only",
        "sources": [{"kind": "jsonld"}],
        "next_page": "a[rel~=next], link[rel~=next]@href",
        "max_pages": 40,
        "detail_pages": "never",
    },
    **PLATFORM_PROFILES,
}
ALIASES: dict[str, str] = {}
DEFAULT_PROFILE = "lambert"
AUTO = "auto"  # SITE_PROFILE=auto: the platform is detected from the first page (detection.py)
PROFILE_CHOICES = (*PROFILES, *ALIASES, AUTO)


def _problem(where: str, message: str) -> ValueError:
    return ValueError(f"{where}: {message}" if where else message)


def _check_keys(data: dict, allowed, where: str) -> None:
    unknown = [key for key in data if key not in allowed]
    if unknown:
        raise _problem(where, f"unknown key {unknown[0]!r} (known: {', '.join(allowed)})")


def _check_regex(pattern, where: str, max_groups: int | None = None) -> str:
    if not isinstance(pattern, str):
        raise _problem(where, f"a regex must be a string, not {pattern!r}")
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        raise _problem(where, f"bad regex {pattern!r}: {error}") from None
    if max_groups is not None and compiled.groups > max_groups:
        raise _problem(where, f"regex {pattern!r} has {compiled.groups} groups; give it one")
    return pattern


def _check_selector(selector, where: str) -> str:
    if not isinstance(selector, str) or not selector.strip():
        raise _problem(where, f"a selector must be a non-empty string, not {selector!r}")
    if simple_selector(selector) is None:
        try:
            compiled(selector)
        except Exception as error:  # soupsieve's SelectorSyntaxError
            raise _problem(where, f"bad CSS selector {selector!r}: {str(error).splitlines()[0]}") from None
    return selector.strip()


def _check_path(expression, where: str) -> str:
    if not isinstance(expression, str) or not expression.strip():
        raise _problem(where, f"a JMESPath expression must be a non-empty string, not {expression!r}")
    try:
        compiled_path(expression)
    except ValueError as error:
        raise _problem(where, f"bad JMESPath {expression!r}: {str(error).splitlines()[0]}") from None
    return expression


def _check_type(kind, where: str):
    if kind is not None and kind not in SPEC_TYPES:
        raise _problem(where, f"unknown type {kind!r} (known: {', '.join(SPEC_TYPES)})")
    return kind


def _shorthand(text: str) -> tuple[str | None, list[str]]:
    """ "a.link@href|data-href" -> ("a.link", ["href", "data-href"]); ".price" -> (".price", [])."""
    selector, at, attrs = text.rpartition("@")
    if at and _ATTRIBUTE_LIST.fullmatch(attrs.strip()):
        return selector.strip() or None, attrs.strip().split("|")
    return text.strip() or None, []


def field_spec(spec, where: str, is_photos: bool = False) -> dict:
    """A FIELD_SPEC (shorthand string or object) in its full form."""
    if isinstance(spec, str):
        selector, attrs = _shorthand(spec)
        spec = {"selector": selector, "attr": attrs}
    if not isinstance(spec, dict):
        raise _problem(where, f"a field spec is a string or an object, not {spec!r}")
    _check_keys(spec, _FIELD_SPEC_KEYS, where)
    attrs = spec.get("attr") or []
    attrs = attrs.split("|") if isinstance(attrs, str) else attrs
    if not isinstance(attrs, list) or not all(isinstance(a, str) and a for a in attrs):
        raise _problem(where, f"attr must be a name or a list of names, not {spec.get('attr')!r}")
    selector = spec.get("selector")
    return {
        "selector": _check_selector(selector, where) if selector else None,
        "attr": [a.strip().lower() for a in attrs],
        "regex": _check_regex(spec["regex"], where, max_groups=1) if spec.get("regex") else None,
        "type": _check_type(spec.get("type"), where),
        "all": True if is_photos else bool(spec.get("all", False)),
        **_scope(spec, where),
    }


def _scope(spec: dict, where: str) -> dict:
    """A card spec's `label` (a regex: the value written after it) or `cell` (the card's n-th cell)."""
    scope = {}
    if spec.get("label") is not None:
        scope["label"] = _check_regex(spec["label"], f"{where} label", max_groups=0)
    if spec.get("cell") is not None:
        cell = spec["cell"]
        if isinstance(cell, bool) or not isinstance(cell, int) or not 1 <= cell <= 100:
            raise _problem(where, f"cell must be a column number from 1 to 100, not {cell!r}")
        scope["cell"] = cell
    return scope


def _path_spec(spec, where: str) -> dict:
    if isinstance(spec, str):
        spec = {"path": spec}
    if not isinstance(spec, dict) or "path" not in spec:
        raise _problem(where, f"a field is a JMESPath string or an object with a path, not {spec!r}")
    _check_keys(spec, _PATH_KEYS, where)
    return {
        "path": _check_path(spec["path"], where),
        "regex": _check_regex(spec["regex"], where, max_groups=1) if spec.get("regex") else None,
        "type": _check_type(spec.get("type"), where),
    }


def _fields(fields, where: str, read) -> dict:
    if not isinstance(fields, dict) or not fields:
        raise _problem(where, "fields must be an object naming at least one field")
    unknown = [name for name in fields if name not in FIELDS]
    if unknown:
        raise _problem(where, f"unknown field {unknown[0]!r} (known: {', '.join(FIELDS)})")
    return {name: read(spec, f"{where} field {name!r}", name) for name, spec in fields.items()}


def _script_json_source(source: dict, where: str) -> dict:
    if sum(bool(source.get(key)) for key in ("selector", "assignment", "flight", "push")) != 1:
        raise _problem(where, 'give a selector, an assignment, a push or "flight": true (one of them)')
    attribute = source.get("attribute")
    if attribute is not None and not (source.get("selector") and str(attribute).strip()):
        raise _problem(where, "attribute names the attribute of the elements a selector matches")
    normalised = {
        "kind": "script_json",
        "vehicles": _check_path(source.get("vehicles") or "@", where),
        "fields": _fields(source.get("fields"), where, lambda spec, w, _: _path_spec(spec, w)),
    }
    if source.get("flight"):
        normalised["flight"] = True
    elif source.get("push"):
        if not re.fullmatch(r"[A-Za-z_$][\w$]*", str(source["push"])):
            raise _problem(where, f"push names the array pushed to (dataLayer), not {source['push']!r}")
        normalised["push"] = str(source["push"])
    elif source.get("selector"):
        normalised["selector"] = _check_selector(source["selector"], where)
        if source.get("attribute"):
            normalised["attribute"] = str(source["attribute"])
    else:
        try:
            assignment_pattern(str(source["assignment"]))
        except ValueError as error:
            raise _problem(where, str(error)) from None
        normalised["assignment"] = str(source["assignment"])
    return normalised


def _paging(paging, where: str) -> dict | None:
    if paging is None:
        return None
    if not isinstance(paging, dict):
        raise _problem(where, "paging is an object {by, size, total}")
    _check_keys(paging, _PAGING_KEYS, where)
    if paging.get("by") not in ("offset", "page"):
        raise _problem(where, f"paging.by must be offset or page, not {paging.get('by')!r}")
    size = paging.get("size")
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 1000:
        raise _problem(where, f"paging.size must be a whole number from 1 to 1000, not {size!r}")
    first = paging.get("first", 0 if paging["by"] == "offset" else 1)
    total = _check_path(paging.get("total"), f"{where} paging.total")
    return {"by": paging["by"], "size": size, "total": total, "first": int(first)}


def _values(values, where: str) -> dict:
    """{name: regex} or {name: {"regex", "default"}}, normalised to the second form."""
    if not isinstance(values, dict):
        raise _problem(where, "values is an object {name: regex with one group, or {regex, default}}")
    normalised = {}
    for name, spec in values.items():
        here = f"{where} values.{name}"
        spec = spec if isinstance(spec, dict) else {"regex": spec}
        _check_keys(spec, ("regex", "default"), here)
        _check_regex(spec.get("regex"), here, max_groups=1)
        if not isinstance(spec.get("default", ""), str):
            raise _problem(here, "default must be a string (it may hold other values' {placeholders})")
        normalised[name] = dict(spec)
    return normalised


def _json_api_source(source: dict, where: str) -> dict:
    url, method = source.get("url"), str(source.get("method", "GET")).upper()
    if not isinstance(url, str) or not url.strip():
        raise _problem(where, "url must be the API's address (absolute or relative to the page)")
    if method not in ("GET", "POST"):
        raise _problem(where, f"method must be GET or POST, not {source.get('method')!r}")
    return {
        "kind": "json_api",
        "url": url.strip(),
        "method": method,
        "body": source.get("body"),
        "values": _values(source.get("values", {}), where),
        "paging": _paging(source.get("paging"), where),
        "vehicles": _check_path(source.get("vehicles") or "@", where),
        "fields": _fields(source.get("fields"), where, lambda spec, w, _: _path_spec(spec, w)),
    }


def _sitemap_source(source: dict, where: str) -> dict:
    url = source.get("url")
    if not isinstance(url, str) or not url.strip():
        raise _problem(where, "url must be the sitemap's address (absolute or relative to the page)")
    detail_url = _check_regex(source.get("detail_url"), f"{where} detail_url")
    groups = set(re.compile(detail_url).groupindex)
    if not groups & {"vin", "stock_number"} or groups - set(DETAIL_GROUPS):
        raise _problem(
            f"{where} detail_url",
            f"name the address's parts with groups {', '.join(DETAIL_GROUPS)} (vin or stock_number at least)",
        )
    children = source.get("children")
    return {
        "kind": "sitemap",
        "url": url.strip(),
        "children": _check_regex(children, f"{where} children") if children is not None else None,
        "detail_url": detail_url,
    }


def _source(source, where: str) -> dict:
    if not isinstance(source, dict) or "kind" not in source:
        raise _problem(where, f"a source is an object with a kind, not {source!r}")
    kind = source["kind"]
    if kind not in SOURCE_KINDS:
        raise _problem(where, f"unknown source kind {kind!r} (known: {', '.join(SOURCE_KINDS)})")
    _check_keys(source, _SOURCE_KEYS[kind], f"{where} ({kind})")
    where = f"{where} ({kind})"
    if kind in ("jsonld", "discover"):
        return {"kind": kind}
    if kind == "script_json":
        return _script_json_source(source, where)
    if kind == "json_api":
        return _json_api_source(source, where)
    if kind == "sitemap":
        return _sitemap_source(source, where)
    selector = source.get("selector")
    fields = _fields(source.get("fields"), where, lambda spec, w, name: field_spec(spec, w, name == "photos"))
    guard = source.get("if_page_has")
    if guard is not None and not (isinstance(guard, str) and guard):
        raise _problem(where, f"if_page_has must be a text, not {guard!r}")
    return {
        "kind": "cards",
        "fields": fields,
        "selector": _check_selector(selector, where) if selector else None,
        **({"if_page_has": guard} if guard else {}),
    }


def _sources(sources, where: str) -> list[dict]:
    if not isinstance(sources, list) or not sources:
        raise _problem(where, "must be a non-empty list of sources")
    return [_source(source, f"{where}[{index}]") for index, source in enumerate(sources, 1)]


def _patterns(patterns, where: str) -> list[str]:
    if not isinstance(patterns, list):
        raise _problem(where, "must be a list of regexes")
    return [_check_regex(pattern, f"{where}[{index}]") for index, pattern in enumerate(patterns, 1)]


def _full_size(entries, where: str) -> list[dict]:
    if not isinstance(entries, list):
        raise _problem(where, "must be a list of {host, drop_query}")
    normalised = []
    for index, entry in enumerate(entries, 1):
        here = f"{where}[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("host"), str) or not entry["host"]:
            raise _problem(here, "each rewrite is an object with a host")
        _check_keys(entry, ("host", "drop_query"), here)
        names = entry.get("drop_query", [])
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise _problem(here, "drop_query must be a list of query parameter names")
        normalised.append({"host": entry["host"].lower(), "drop_query": list(names)})
    return normalised


_WILDCARD_HOST = re.compile(r"\*\.[a-z0-9-]+(?:\.[a-z0-9-]+)+")


def _hosts(hosts, where: str) -> list[str]:
    """Host names, and `*.domain.tld` patterns: every subdomain of one domain of at least two labels (for
    an API whose host names the dealer's account, like Algolia's APPID-dsn.algolia.net); never `*`,
    `*.tld` nor a `*` anywhere else."""
    if not isinstance(hosts, list) or not all(isinstance(h, str) and h for h in hosts):
        raise _problem(where, "must be a list of host names")
    for host in hosts:
        if "*" in host and not _WILDCARD_HOST.fullmatch(host.lower()):
            raise _problem(where, f"{host!r}: a pattern is *.domain.tld (every subdomain of one domain)")
    return [host.lower() for host in hosts]


def _max_pages(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
        raise ValueError(f"max_pages must be a whole number from 1 to 1000, not {value!r}")
    return value


def _from_v1(profile: dict) -> dict:
    """A profile in the first format (jsonld / card / detail_photos keys) in the current one."""
    sources = [{"kind": "jsonld"}] if profile.get("jsonld", True) else []
    card = dict(profile.get("card") or {})
    if card:
        sources.append({"kind": "cards", "selector": card.pop("selector", None), "fields": card})
    converted = {key: value for key, value in profile.items() if key not in _FIRST_FORMAT_KEYS}
    converted["sources"] = sources or [{"kind": "jsonld"}]
    if profile.get("detail_photos"):
        converted["detail_sources"] = [
            {"kind": "jsonld"},
            {"kind": "cards", "fields": {"photos": profile["detail_photos"]}},
        ]
    return converted


def normalise_profile(profile: dict, where: str = "") -> dict:
    """The full form of a profile, every part checked; ValueError naming the first mistake."""
    if not isinstance(profile, dict):
        raise _problem(where, "a profile is a JSON object")
    if any(key in profile for key in _FIRST_FORMAT_KEYS):
        profile = _from_v1(profile)
    try:
        return _normalised(profile)
    except ValueError as error:
        raise _problem(where, str(error)) from None


def _normalised(profile: dict) -> dict:
    _check_keys(profile, PROFILE_KEYS, "profile")
    if profile.get("version", FORMAT_VERSION) != FORMAT_VERSION:
        raise ValueError(f"version must be {FORMAT_VERSION}, not {profile['version']!r}")
    sources = _sources(profile.get("sources", [{"kind": "jsonld"}]), "sources")
    detail = profile.get("detail_sources")
    detail_sources = _sources(detail, "detail_sources") if detail is not None else copy.deepcopy(sources)
    mode = profile.get("detail_pages", "never")
    if mode not in DETAIL_MODES:
        raise ValueError(f"detail_pages must be one of {', '.join(DETAIL_MODES)}, not {mode!r}")
    gallery = profile.get("gallery", "auto")
    if gallery not in GALLERY_MODES:
        raise ValueError(f"gallery must be one of {', '.join(GALLERY_MODES)}, not {gallery!r}")
    next_page = profile.get("next_page")
    return {
        "version": FORMAT_VERSION,
        "name": str(profile.get("name") or "custom"),
        "sources": sources,
        "next_page": field_spec(next_page, "next_page") if next_page else None,
        "max_pages": _max_pages(profile.get("max_pages", 40)),
        "gallery": gallery,
        "detail_pages": mode,
        "detail_sources": detail_sources,
        "placeholders": _patterns(profile.get("placeholders", []), "placeholders"),
        "stock_art": _patterns(profile.get("stock_art", []), "stock_art"),
        "full_size": _full_size(profile.get("full_size", []), "full_size"),
        "hosts": _hosts(profile.get("hosts", []), "hosts"),
        **({"description": str(profile["description"])} if profile.get("description") else {}),
        **({"keep_store": str(profile["keep_store"])} if profile.get("keep_store") else {}),
        **{flag: True for flag in ("discover", "strict_vehicles") if _flag(profile, flag)},
    }


def _flag(profile: dict, name: str) -> bool:
    value = profile.get(name, False)
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, not {value!r}")
    return value


def _source_is_normalised(source) -> bool:
    fields = source.get("fields", {}) if isinstance(source, dict) else None
    return isinstance(fields, dict) and all(isinstance(spec, dict) for spec in fields.values())


def is_normalised(profile: dict) -> bool:
    """Whether a profile is already in the full form (as get_profile and load_profile give it)."""
    sources = [*profile.get("sources", ()), *profile.get("detail_sources", ())]
    return (
        profile.get("version") == FORMAT_VERSION
        and "detail_sources" in profile
        and all(_source_is_normalised(s) for s in sources)
        and (profile.get("next_page") is None or isinstance(profile["next_page"], dict))
    )


def load_profile(path_or_dict) -> dict:
    """A profile from a JSON file (or a dict), checked and normalised; ValueError names any mistake."""
    if isinstance(path_or_dict, dict):
        return normalise_profile(path_or_dict)
    path = Path(path_or_dict)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON: {error}") from None
    return normalise_profile(data, str(path))


_normalised_builtins: dict[str, dict] = {}


def get_profile(name: str | None) -> dict:
    """A built-in profile, normalised (a fresh copy each time: callers may change their copy)."""
    key = ALIASES.get(name or DEFAULT_PROFILE, name or DEFAULT_PROFILE)
    if key not in PROFILES:
        known = ", ".join(sorted([*PROFILES, *ALIASES]))
        raise KeyError(f"unknown site profile {name!r}; known: {known}")
    if key not in _normalised_builtins:
        _normalised_builtins[key] = normalise_profile(PROFILES[key], f"built-in profile {key!r}")
    return copy.deepcopy(_normalised_builtins[key])
