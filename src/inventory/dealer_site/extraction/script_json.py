"""The `script_json` source: vehicles inside JSON that a page's scripts carry.

Two ways to find the JSON: a `<script>` matched by CSS selector (`script#__NEXT_DATA__`), or the
value assigned to a name in any inline script (`window.__INITIAL_STATE__ = {...};`,
`DDC.dataLayer['vehicles'] = [...]`), cut out brace-balanced and string-aware, so the script may
go on with more statements. The value may also be a JSON-encoded string holding the JSON, or
`JSON.parse("...")` of one. JavaScript-only escapes (`\\-`, `\\x41`, `\\'`) are tolerated. Then
the profile's JMESPath expressions pick the vehicle objects and each field's value.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from urllib.parse import unquote

import jmespath
import jmespath.exceptions

from ... import safe_json
from .astro_props import astro_props, is_astro_props
from .cards import apply_spec
from .devalue import is_flattened, unflatten
from .records import Record, SourceResult
from .scripts import iter_scripts, unwrap
from .selectors import parse_page, select, simple_selector

_STRING_BODY = r'(?:[^"\\]++|\\.)*+'
_DOUBLE_QUOTED = re.compile(rf'"{_STRING_BODY}"', re.S)
_SINGLE_QUOTED = re.compile(r"'(?:[^'\\]++|\\.)*+'", re.S)
_BRACKETS_OR_STRING = re.compile(r'[\[\]{}"]')
_JSON_PARSE_CALL = re.compile(r"JSON\s*\.\s*parse\s*\(\s*")
_ESCAPE = re.compile(r"\\(.)", re.S)
_NAME_PART = re.compile(r"""\.?\s*([A-Za-z_$][\w$]*)|\[\s*["']([^"']+)["']\s*\]""")
MAX_VEHICLES_PER_SOURCE = 10_000
MAX_ASSIGNMENTS = 20  # values of one name read per page (each cut is a scan to its end)


@lru_cache(maxsize=256)
def compiled_path(expression: str):
    """A JMESPath expression compiled once (raises jmespath's JMESPathError, a ValueError)."""
    return jmespath.compile(expression)


def _name_parts(name: str) -> list[str]:
    """`DDC.dataLayer['vehicles']` -> ["DDC", "dataLayer", "vehicles"]; ValueError if it is no such name."""
    text, parts, position = name.strip(), [], 0
    while position < len(text):
        match = _NAME_PART.match(text, position)
        if not match:
            raise ValueError(f"cannot read the assignment name {name!r}")
        parts.append(match[1] or match[2])
        position = match.end()
    if not parts:
        raise ValueError("the assignment name is empty")
    return parts


def _accessor(part: str) -> str:
    quoted = re.escape(part)
    return rf"""(?:\s*\.\s*{quoted}|\s*\[\s*["']{quoted}["']\s*\])"""


@lru_cache(maxsize=64)
def assignment_pattern(name: str):
    """A pattern for `name =`, matching the other spellings of the name too (`a.b['c']`, `a["b"].c`)
    and, for `window.x`, a plain `x =` as well."""
    parts = _name_parts(name)
    if parts[0] == "window" and len(parts) > 1:
        head, rest = rf"(?:window{_accessor(parts[1])}|{re.escape(parts[1])})", parts[2:]
    else:
        head, rest = re.escape(parts[0]), parts[1:]
    return re.compile(rf"(?<![\w$.]){head}{''.join(map(_accessor, rest))}\s*=(?!=)\s*")


def cut_value(text: str, start: int) -> str | None:
    """The JSON value (object, array or string) starting at text[start], brace-balanced and
    string-aware; None when it never closes. Nuxt 2's `(function(a,b){return {...}}("x",1))` gives
    the object it returns, its parameters replaced by the arguments (see returned_value)."""
    if text.startswith(("(", "function"), start):
        return returned_value(text, start)
    if text.startswith('"', start):
        match = _DOUBLE_QUOTED.match(text, start)
        return match[0] if match else None
    if text.startswith("'", start):
        match = _SINGLE_QUOTED.match(text, start)
        return _as_double_quoted(match[0]) if match else None
    if not text.startswith(("{", "["), start):
        return None
    depth, position = 0, start
    while bracket := _BRACKETS_OR_STRING.search(text, position):
        char = bracket[0]
        if char == '"':
            string = _DOUBLE_QUOTED.match(text, bracket.start())
            if not string:
                return None
            position = string.end()
            continue
        depth += 1 if char in "[{" else -1
        position = bracket.end()
        if depth == 0:
            return text[start:position]
    return None


_FUNCTION_HEAD = re.compile(r"\(?\s*function\s*\(([\w$\s,]*)\)\s*\{")
_CALL_OPEN = re.compile(r"\s*\)?\s*\(")
_RETURN_OBJECT = re.compile(r"(?<![\w$])return\s*(?=[{\[])")
_PARENS_OR_STRING = re.compile(r"""[()\[\]{}"']""")
# A value position's bare name (a parameter), never a key (`name:`) nor a member (`a.b`)
_STRING_OR_NAME = re.compile(rf'"{_STRING_BODY}"|(?<=[:,\[(])\s*([A-Za-z_$][\w$]*)\s*(?=[,}}\])])', re.S)


def returned_value(text: str, start: int) -> str | None:
    """The object an immediately invoked function at text[start] returns, with each parameter that
    stands as a value replaced by its argument as JSON (Nuxt 2 writes `window.__NUXT__=(function(a,b)
    {return {make:a,year:b}}("Honda",2021))` to share repeated values); None for any other code."""
    head = _FUNCTION_HEAD.match(text, start)
    body = cut_value(text, head.end() - 1) if head else None
    call = _CALL_OPEN.match(text, head.end() - 1 + len(body)) if body else None
    arguments = _call_arguments(text, call.end()) if call else None
    returned = _RETURN_OBJECT.search(body) if arguments is not None else None
    value = cut_value(body, returned.end()) if returned else None
    if value is None:
        return None
    try:
        values = parse_json_value(f"[{arguments}]")
    except ValueError:
        return None
    names = [name.strip() for name in head[1].split(",") if name.strip()]
    by_name = {name: json.dumps(values[i] if i < len(values) else None) for i, name in enumerate(names)}

    def substitute(match):
        return by_name.get(match[1], match[0]) if match[1] else match[0]

    return _STRING_OR_NAME.sub(substitute, value)


def _call_arguments(text: str, start: int) -> str | None:
    """The text of a call's arguments from after its `(` to before the `)` that closes it."""
    depth, position = 0, start
    while mark := _PARENS_OR_STRING.search(text, position):
        char = mark[0]
        if char in "\"'":
            string = (_DOUBLE_QUOTED if char == '"' else _SINGLE_QUOTED).match(text, mark.start())
            if not string:
                return None
            position = string.end()
            continue
        if char == ")" and depth == 0:
            return text[start : mark.start()]
        depth += 1 if char in "([{" else -1
        position = mark.end()
    return None


def _as_double_quoted(single_quoted: str) -> str:
    body = single_quoted[1:-1].replace("\\'", "'")
    return '"' + re.sub(r'(?<!\\)((?:\\\\)*)"', r'\1\\"', body) + '"'


def _tolerant_escapes(text: str) -> str:
    """JavaScript escapes JSON does not know, made JSON: `\\-` -> `-`, `\\x41` -> `\\u0041`, `\\'` -> `'`."""

    def fix(match):
        char = match[1]
        if char in '"\\/bfnrtu':
            return match[0]
        return "\\u00" if char == "x" else char

    return _ESCAPE.sub(fix, text)


_STRING_OR_KEY = re.compile(
    r'"(?:[^"\\]|\\.)*"|(?<=[{,])\s*([A-Za-z_$][\w$]*)\s*(?=:)|\b(undefined|void 0)\b', re.S
)


def _quoted_keys(text: str) -> str:
    """A JavaScript object literal made JSON: `{layout:"x",data:[...]}` -> `{"layout":"x",...}`, `undefined`
    as null (strings left untouched)."""

    def fix(match):
        if match[1]:
            return f'"{match[1]}"'
        return "null" if match[2] else match[0]

    return _STRING_OR_KEY.sub(fix, text)


# Angular's TransferState (`<script id="serverApp-state">`) escapes the JSON it carries
_ANGULAR_ESCAPES = (("&q;", '"'), ("&s;", "'"), ("&l;", "<"), ("&g;", ">"), ("&a;", "&"))


def _angular_unescaped(raw: str) -> str:
    for escaped, char in _ANGULAR_ESCAPES:
        raw = raw.replace(escaped, char)
    return raw


def parse_json_value(raw: str):
    """Parse a cut-out value; a JSON string holding JSON is parsed again (depth-limited throughout).
    Angular's escaped TransferState, Nuxt 3's flattened payload and Astro's island props come out as
    plain JSON."""
    if raw.startswith("{&q;"):
        raw = _angular_unescaped(raw)
    value = _parsed(raw)
    if is_flattened(value):
        return unflatten(value)
    return astro_props(value) if is_astro_props(value) else value


def _parsed(raw: str):
    try:
        value = safe_json.loads(raw)
    except safe_json.JsonTooDeep:
        raise
    except ValueError:
        try:
            value = safe_json.loads(_tolerant_escapes(raw))
        except safe_json.JsonTooDeep:
            raise
        except ValueError:
            value = safe_json.loads_forgiving(_quoted_keys(_tolerant_escapes(raw)))
    if isinstance(value, str):
        inner = value.strip()
        if inner.startswith(("{", "[")):
            return safe_json.loads(inner)
    return value


def _values_by_assignment(html: str, name: str) -> list[str]:
    pattern, values = assignment_pattern(name), []
    for script in iter_scripts(html):
        if script.attrs.get("src") is not None:
            continue
        for match in pattern.finditer(script.text):
            start = match.end()
            call = _JSON_PARSE_CALL.match(script.text, start)
            value = cut_value(script.text, call.end() if call else start)
            if value is not None:
                values.append(value)
            if len(values) >= MAX_ASSIGNMENTS:
                return values
    return values


def _values_by_attribute(html: str, selector: str, attribute: str) -> list[str]:
    """The JSON each matching element holds in an attribute (`data-vehicle='{...}'`), also when the
    attribute is percent-encoded (`%7B%22vin%22...`)."""
    values = []
    for node in select(parse_page(html, [selector]), selector):
        value = (node.get(attribute) or "").strip()
        if value.startswith("%7B") or value.startswith("%5B"):
            value = unquote(value)
        if value:
            values.append(value)
    return values


def _values_by_selector(html: str, selector: str) -> list[str]:
    chains = simple_selector(selector)
    if chains and all(len(chain) == 1 and chain[0][1].tag == "script" for chain in chains):
        compounds = [chain[0][1] for chain in chains]
        scripts = iter_scripts(html)
        return [unwrap(s.text) for s in scripts if any(c.matches("script", s.attrs) for c in compounds)]
    return [unwrap(node.get_text()) for node in select(parse_page(html, [selector]), selector)]


def vehicle_objects(data, expression: str) -> list:
    try:
        found = compiled_path(expression).search(data) if expression not in ("", "@") else data
    except jmespath.exceptions.JMESPathError:  # e.g. a function given the wrong type
        return []
    if isinstance(found, dict):
        return [found]
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []


MAX_REF_DEPTH = 8  # links followed inside one another (a cache's links may go round in circles)


def resolve_refs(data):
    """A normalised cache (Apollo `{"__ref": "Vehicle:1"}`, Relay `__ref`/`__refs`) with each link
    replaced by the entry it names, so paths read through it as through plain JSON."""
    if not isinstance(data, dict):
        return data

    def follow(value, depth):
        if isinstance(value, list):
            return [follow(item, depth) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1 and isinstance(value.get("__ref"), str):
            target = data.get(value["__ref"])
            return follow(target, depth + 1) if isinstance(target, dict) and depth < MAX_REF_DEPTH else value
        if len(value) == 1 and isinstance(value.get("__refs"), list):
            return [follow({"__ref": ref}, depth) for ref in value["__refs"] if isinstance(ref, str)]
        return {key: follow(item, depth) for key, item in value.items()}

    return {key: follow(value, 0) for key, value in data.items()}


def field_value(vehicle: dict, spec: dict, name: str):
    """One field's value in a vehicle object: a photo list as it is, an object by its name or value."""
    try:
        value = compiled_path(spec["path"]).search(vehicle)
    except jmespath.exceptions.JMESPathError:  # e.g. a function given the wrong type
        return None
    if name == "photos":
        return value
    if isinstance(value, dict):
        value = value.get("name", value.get("value", value.get("label", value.get("amount"))))
    if isinstance(value, list):
        value = next((item for item in value if isinstance(item, (str, int, float))), None)
    return None if isinstance(value, (dict, list)) else value


def _photo_values(value) -> list:
    items = value if isinstance(value, list) else [value]
    urls = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("url") or item.get("src") or item.get("href")
        if isinstance(item, str):
            urls.append(item)
    return urls


def record_from_object(vehicle: dict, source: dict, label: str, page_url: str) -> Record:
    record = Record(label)
    for name, spec in source["fields"].items():
        value = field_value(vehicle, spec, name)
        if name == "photos":
            found = (apply_spec(url, spec, page_url) for url in _photo_values(value))
            record.photos = [url for url in found if url]
        else:
            record.set(name, apply_spec(value, spec, page_url))
    return record


_FLIGHT_PUSH = re.compile(r"self\.__next_f\.push\(\[\s*1\s*,\s*")
_FLIGHT_ROW = re.compile(r"[0-9a-f]{1,8}:(?=[\[{])")
FLIGHT = "self.__next_f"  # where a source with "flight": true reads


def flight_rows(html: str) -> list[str]:
    """The JSON rows of a Next.js App Router page's streamed payload: the strings its scripts push
    (`self.__next_f.push([1, "..."])`) joined, then each `id:JSON` line whose JSON is an array or
    an object (the page's server components and the props they were given)."""
    if FLIGHT not in html:
        return []
    chunks = []
    for script in iter_scripts(html):
        if script.attrs.get("src") is not None or FLIGHT not in script.text:
            continue
        for match in _FLIGHT_PUSH.finditer(script.text):
            raw = cut_value(script.text, match.end())
            if raw and raw.startswith('"'):
                try:
                    chunks.append(safe_json.loads(raw))
                except ValueError:
                    continue
    rows = []
    for line in "".join(chunk for chunk in chunks if isinstance(chunk, str)).split("\n"):
        if row := _FLIGHT_ROW.match(line):
            rows.append(line[row.end() :])
    return rows[:MAX_ASSIGNMENTS]


@lru_cache(maxsize=16)
def _push_pattern(name: str):
    return re.compile(rf"(?<![\w$.])(?:window\s*\.\s*)?{re.escape(name)}\s*\.\s*push\(\s*")


def pushed_values(html: str, name: str) -> list[str]:
    """The objects a page's scripts push onto an array (`dataLayer.push({...})`): analytics layers
    often carry the listing's vehicles."""
    if f"{name}.push" not in html and f"{name} .push" not in html:
        return []
    values, pattern = [], _push_pattern(name)
    for script in iter_scripts(html):
        if script.attrs.get("src") is not None:
            continue
        for match in pattern.finditer(script.text):
            value = cut_value(script.text, match.end())
            if value is not None and value.startswith(("{", "[")):
                values.append(value)
            if len(values) >= MAX_ASSIGNMENTS:
                return values
    return values


def _json_values(html: str, source: dict) -> list[str]:
    if source.get("flight"):
        return flight_rows(html)
    if source.get("push"):
        return pushed_values(html, source["push"])
    if source.get("assignment"):
        return _values_by_assignment(html, source["assignment"])
    if source.get("attribute"):
        return _values_by_attribute(html, source["selector"], source["attribute"])
    return _values_by_selector(html, source["selector"])


def source_place(source: dict) -> str:
    """Where a script_json source reads, as the log and the answer name it."""
    if source.get("push"):
        return f"{source['push']}.push(...)"
    return source.get("assignment") or source.get("selector") or FLIGHT


def read_script_json(html: str, source: dict, label: str, page_url: str) -> SourceResult:
    """Vehicles from the JSON of the source's script(s)."""
    result = SourceResult()
    where = f"{label} {source_place(source)}"
    raws = _json_values(html, source)
    if not raws:
        result.warnings.append({"reason": "script_json: no script holds this JSON", "entry": where})
    for raw in raws:
        try:
            data = parse_json_value(raw)
            data = resolve_refs(data) if '"__ref"' in raw else data
        except ValueError as error:
            reason = f"script JSON does not parse: {str(error)[:120]}"
            result.skipped.append({"reason": reason, "entry": where})
            continue
        vehicles = vehicle_objects(data, source.get("vehicles") or "@")[:MAX_VEHICLES_PER_SOURCE]
        result.records += [record_from_object(v, source, label, page_url) for v in vehicles]
    return result
