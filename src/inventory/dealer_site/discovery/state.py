"""Discovery in a page's inline state: JSON that scripts and attributes carry, read as `script_json`.

Every JSON value the page holds is a candidate document: `<script type="application/json">`
blocks, values assigned in inline scripts (`window.__INITIAL_STATE__ = {...}`, `__NUXT__`,
`__APOLLO_STATE__`, `var inventory = [...]`) and JSON in attributes (`data-props="{&quot;...`).
Apollo/Relay `__ref` links are resolved first (script_json does the same when it reads). In each
document the arrays of objects, and the maps of objects keyed by id, are collections; the one whose
objects look most like vehicles wins, and its keys are mapped to our fields by the synonym table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import unquote

from ..extraction.script_json import (
    FLIGHT,
    cut_value,
    field_value,
    flight_rows,
    parse_json_value,
    pushed_values,
    resolve_refs,
    source_place,
    vehicle_objects,
)
from ..extraction.scripts import iter_scripts, iter_start_tags, unwrap
from .synonyms import NOT_OUR_FIELD, PHOTO_KEYS, VALUE_KEYS, field_for_key, fold
from .values import good, image_url

_ASSIGNMENT = re.compile(
    r"(?<![\w$.])((?:window|self|globalThis)\s*\.\s*[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*"
    r"|(?:var|let|const)\s+[A-Za-z_$][\w$]*|[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)"
    r"\s*=(?!=)\s*(?=[\[{\"']|JSON\s*\.\s*parse|\(\s*function\s*\()"  # (function(a){...}(1)): Nuxt 2
)
_JSON_PARSE = re.compile(r"JSON\s*\.\s*parse\s*\(\s*")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_JSON_SCRIPT_TYPES = ("application/json", "text/json", "application/x-json")
MAX_DOCUMENTS = 40
MIN_ATTRIBUTE_JSON = 40  # shorter JSON in an attribute is a tracking tag, not inventory
MAX_DEPTH = 9  # props.pageProps.dehydratedState.queries[].state.data.vehicles is 7 deep
SAMPLED_ITEMS = 5
MAX_VISITS = 5_000  # containers looked into per document, whatever its shape
SAMPLE = 25
FIELD_DEPTH = 3


@dataclass
class Collection:
    """Vehicle-like objects at one place of one kind of document, and how their keys map."""

    source: dict  # the script_json source without fields: where the documents are
    path: str  # JMESPath to the objects
    objects: list[dict]
    fields: dict = field(default_factory=dict)  # field -> JMESPath
    rules: dict = field(default_factory=dict)  # field -> how it was found
    vehicles: int = 0  # objects that are vehicles by the evidence rule

    def to_source(self) -> dict:
        return {**self.source, "vehicles": self.path, "fields": dict(self.fields)}

    def where(self) -> str:
        place = source_place(self.source)
        attribute = f" attribute {self.source['attribute']}" if self.source.get("attribute") else ""
        return f"{place}{attribute} at {self.path}"


def _assigned_documents(html: str):
    for script in iter_scripts(html):
        if script.attrs.get("src") is not None:
            continue
        kind = script.type
        if kind in _JSON_SCRIPT_TYPES and script.attrs.get("id"):
            yield {"kind": "script_json", "selector": f"script#{script.attrs['id']}"}, unwrap(script.text)
            continue
        if kind not in ("", "text/javascript", "application/javascript", "module"):
            continue
        for match in _ASSIGNMENT.finditer(script.text):
            name = re.sub(r"^(?:var|let|const)\s+|\s+", "", match[1])
            call = _JSON_PARSE.match(script.text, match.end())
            raw = cut_value(script.text, call.end() if call else match.end())
            if raw and len(raw) > 20:
                yield {"kind": "script_json", "assignment": name}, raw


def _attribute_documents(html: str):
    """Elements carrying JSON in an attribute, one source per (tag, attribute)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for name, attrs in iter_start_tags(html):
        for attribute, value in attrs.items():
            text = value.strip()
            if text[:3] in ("%7B", "%5B", "%7b", "%5b"):
                text = unquote(text)
            elif "&" in text[:8]:
                text = unescape(text)
            if text[:1] in "{[" and len(text) >= MIN_ATTRIBUTE_JSON:
                groups.setdefault((name, attribute), []).append(text)
    for (name, attribute), raws in groups.items():
        yield {"kind": "script_json", "selector": f"{name}[{attribute}]", "attribute": attribute}, raws


def documents(html: str) -> list[tuple[dict, list]]:
    """(source without fields, [parsed documents]) for every JSON the page holds (at most 40)."""
    found: dict[str, tuple[dict, list]] = {}
    for source, raw in _assigned_documents(html):
        key = source.get("assignment") or source["selector"]
        entry = found.setdefault(key, (source, []))
        entry[1].append(raw)
    for source, raws in _attribute_documents(html):
        found[f"{source['selector']}@{source['attribute']}"] = (source, raws)
    if rows := flight_rows(html):
        found[FLIGHT] = ({"kind": "script_json", "flight": True}, rows)
    if pushed := pushed_values(html, "dataLayer"):
        found["dataLayer.push"] = ({"kind": "script_json", "push": "dataLayer"}, pushed)
    parsed = []
    for source, raws in list(found.values())[:MAX_DOCUMENTS]:
        docs = []
        for raw in raws[:200]:
            try:
                value = parse_json_value(raw)
                docs.append(resolve_refs(value) if '"__ref"' in raw else value)
            except ValueError:
                continue
        if docs and any(isinstance(doc, (dict, list)) for doc in docs):
            parsed.append((source, docs))
    return parsed


def _quoted(key: str) -> str:
    return key if _IDENTIFIER.fullmatch(key) else '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _join(path: str, key: str) -> str:
    return _quoted(key) if path in ("", "@") else f"{path}.{_quoted(key)}"


# A cache entry named by the request that filled it: Angular's `G.https://api/...?page=1`, Apollo's
# `vehicles({"page":1})`. The listing's next page names its entry differently.
_REQUEST_KEY = re.compile(r"://|\?[\w-]+=|^\w+\(")


def _is_id_map(value: dict) -> bool:
    objects = [v for v in value.values() if isinstance(v, dict)]
    return len(objects) >= 2 and len(objects) >= 0.6 * len(value)


def collection_paths(document, path: str = "@", depth: int = 0, budget: list | None = None):
    """The JMESPath of every array of objects and every id-keyed map of objects in the document
    (a path may come more than once). A few objects of each array are looked into, not only the
    first: the inventory can be the second query's data (`queries[].state.data.vehicles`)."""
    budget = [MAX_VISITS] if budget is None else budget
    budget[0] -= 1
    if depth > MAX_DEPTH or budget[0] < 0:
        return
    if isinstance(document, list):
        objects = [item for item in document if isinstance(item, dict)]
        if objects:
            yield path
            for item in objects[:SAMPLED_ITEMS]:
                for key, value in item.items():
                    if value and isinstance(value, (dict, list)):
                        child = f"{path}[].{_quoted(key)}" if path != "@" else f"[].{_quoted(key)}"
                        suffix = "[]" if isinstance(value, list) else ""
                        yield from collection_paths(value, child + suffix, depth + 1, budget)
    elif isinstance(document, dict):
        if _is_id_map(document):
            yield "*" if path == "@" else f"{path}.*"
        for key, value in document.items():
            if isinstance(value, (dict, list)):
                request = _REQUEST_KEY.search(key)  # the next page's key differs: any key will do
                child = ("*" if path == "@" else f"{path}.*") if request else _join(path, key)
                if isinstance(value, list) and ("[]" in path or "*" in path or request):
                    child += "[]"  # under a projection: the arrays flattened into one
                yield from collection_paths(value, child, depth + 1, budget)


def _leaves(obj: dict, parts: tuple = (), depth: int = 1):
    for key, value in obj.items():
        if not isinstance(key, str):
            continue
        here = (*parts, key)
        yield here, value
        if isinstance(value, dict) and depth < FIELD_DEPTH and fold(key) not in ("dealer", "seo", "meta"):
            yield from _leaves(value, here, depth + 1)


def _candidates(parts: tuple, value):
    """(field, rank, path) the key at `parts` could stand for, with the value to judge."""
    if any(NOT_OUR_FIELD.fullmatch(fold(part)) for part in parts[:-1]):
        return
    key, parent = parts[-1], parts[-2] if len(parts) > 1 else None
    path = ".".join(_quoted(p) for p in parts)
    own = field_for_key(key)
    if own and not NOT_OUR_FIELD.fullmatch(fold(key)):
        name, rank = own
        if name == "photos":
            yield from _photo_candidates(path, rank, value)
        elif name != "title" or len(parts) == 1:
            yield name, rank + len(parts) - 1, path, value
    if parent is not None and fold(key) in VALUE_KEYS:
        above = field_for_key(parent)
        if above and above[0] not in ("photos", "title"):
            yield above[0], above[1] + 0.5 + VALUE_KEYS.index(fold(key)) / 100, path, value


# A photo object's sizes keyed by width: `w2048`, `1024`, `640w`, `size_1600`, `x800`
_SIZE_KEY = re.compile(r"^(?:w|width|size|s|x)?[-_]?(\d{2,4})(?:w|px)?$", re.I)


def _widest_size_key(photo: dict) -> str | None:
    """The key of the largest size when a photo object lists its sizes by width, else None."""
    sizes = [(int(m[1]), key) for key in photo if (m := _SIZE_KEY.match(key)) and image_url(photo[key])]
    return max(sizes)[1] if len(sizes) >= 2 else None


def _photo_candidates(path: str, rank: int, value):
    if isinstance(value, str):
        yield "photos", rank + 40, path, value
    elif isinstance(value, list):
        strings = [item for item in value if isinstance(item, str)]
        objects = [item for item in value if isinstance(item, dict)]
        if strings:
            yield "photos", rank, path, strings
        elif objects and (widest := _widest_size_key(objects[0])):
            yield "photos", rank, f"{path}[*].{_quoted(widest)}", [o.get(widest) for o in objects]
        elif objects:
            for inner in PHOTO_KEYS:
                urls = [o.get(k) for o in objects for k in o if fold(k) == inner]
                if any(image_url(url) for url in urls):
                    key = (
                        next(k for k in objects[0] if fold(k) == inner)
                        if any(fold(k) == inner for k in objects[0])
                        else inner
                    )
                    yield "photos", rank, f"{path}[*].{_quoted(key)}", urls
                    return
    elif isinstance(value, dict) and (widest := _widest_size_key(value)):
        yield "photos", rank + 40, f"{path}.{_quoted(widest)}", value[widest]
    elif isinstance(value, dict):
        for key, inner_value in value.items():
            if fold(key) in PHOTO_KEYS and image_url(inner_value):
                yield "photos", rank + 40, f"{path}.{_quoted(key)}", inner_value
                return


def map_fields(objects: list[dict]) -> tuple[dict, dict]:
    """The best path for each field over a sample of the objects, and a sentence per field."""
    scores: dict[str, dict[str, list]] = {}
    for obj in objects[:SAMPLE]:
        counted = set()
        for parts, value in _leaves(obj):
            for name, rank, path, judged in _candidates(parts, value):
                if (name, path) not in counted and good(name, judged):
                    counted.add((name, path))
                    entry = scores.setdefault(name, {}).setdefault(path, [0, rank, 0])
                    entry[0] += 1
                    entry[2] += len(judged) if isinstance(judged, list) else 1
    fields, rules = {}, {}
    for name, paths in scores.items():
        best = max(paths, key=lambda p: (paths[p][0], -paths[p][1], paths[p][2]))
        fields[name] = best
        rules[name] = f"key {best} (a name for {name}), in {paths[best][0]} of {min(len(objects), SAMPLE)}"
    if "detail_url" in fields:
        fields["detail_url"] = {"path": fields["detail_url"], "type": "url"}
    return fields, rules


def _evidenced(obj: dict, fields: dict) -> bool:
    def value(name):
        spec = fields.get(name)
        if spec is None:
            return None
        return field_value(obj, spec if isinstance(spec, dict) else {"path": spec}, name)

    if good("vin", value("vin")):
        return True
    has_make = good("make", value("make")) or good("title", value("title"))
    return (
        good("stock_number", value("stock_number"))
        and good("price", value("price"))
        and (good("year", value("year")) or has_make)
    )


def collections(html: str) -> list[Collection]:
    """Every collection of vehicle-like objects in the page's JSON, the most vehicles first."""
    found = []
    for source, docs in documents(html):
        paths = dict.fromkeys(path for doc in docs[:3] for path in collection_paths(doc))
        if source.get("attribute") and all(isinstance(doc, dict) for doc in docs):
            paths = {"@": None, **paths}
        for path in list(paths)[:200]:
            objects = [obj for doc in docs for obj in vehicle_objects(doc, path)]
            if not objects:
                continue
            fields, rules = map_fields(objects)
            if "vin" not in fields and "stock_number" not in fields:
                continue
            collection = Collection(source, path, objects, fields, rules)
            collection.vehicles = sum(1 for obj in objects if _evidenced(obj, fields))
            if collection.vehicles:
                found.append(collection)
    found.sort(key=lambda c: (-c.vehicles, -c.vehicles / len(c.objects), -len(c.fields)))
    return found


def gallery_arrays(html: str) -> list[tuple[dict, str, int]]:
    """Values that are a list of photos (a detail page's gallery): a script's list, a list one of its
    object's keys holds (`var gallery = {slides: [{thumb, full}, ...]}`), or the list in the one
    element's attribute (`data-gallery='[...]'`); as (source, photos path inside `{photos: @}`, how
    many), the longest first."""
    found = []
    for source, docs in documents(html):
        if source.get("attribute") and len(docs) > 1:
            continue  # one list per card: the cards' photos, not the page's gallery
        doc = docs[0]
        lists = [("@", doc)] if isinstance(doc, list) else []
        if isinstance(doc, dict):
            lists = [(_quoted(key), value) for key, value in doc.items() if isinstance(value, list)]
        for where, value in lists:
            if len(value) < 2:
                continue
            for _, _, path, urls in _photo_candidates("photos", 0, value):
                count = sum(1 for url in urls if image_url(url))
                if count >= 2:
                    vehicles = "{photos: @}" if where == "@" else f"{{photos: {where}}}"
                    found.append(({**source, "vehicles": vehicles}, path, count))
    return sorted(found, key=lambda entry: -entry[2])
