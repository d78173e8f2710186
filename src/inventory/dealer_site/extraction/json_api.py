"""The `json_api` source, pure half: the requests to make and the vehicles in the answers.

A profile's json_api source names the inventory API a listing is rendered from:
  {"kind": "json_api", "url": "/api/inventory?siteId={site_id}&start={offset}", "method": "GET",
   "body": {"siteId": "{site_id}", "start": "{offset}"}, "values": {"site_id": "siteId\\":\\s*\\"(\\w+)"},
   "paging": {"by": "offset", "size": 24, "total": "pageInfo.totalCount"},
   "vehicles": "inventory", "fields": {FIELD: PATH}}
`{name}` placeholders in the URL and in the body's strings take the page's `values` (a regex with one
group, searched in the page, or {"regex", "default"}: the default, which may hold the other values'
placeholders, when the page does not give it), `{offset}`, `{page}` and `{size}`; a body string that
is only one placeholder becomes the value itself (a number stays a number). The fetching is in
api_reading.py.
"""

from __future__ import annotations

import re

from .records import SourceResult
from .script_json import compiled_path, record_from_object, vehicle_objects

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
MAX_API_REQUESTS = 40


def page_values(html: str, source: dict) -> tuple[dict, list[str]]:
    """The values the source takes from the page (a value the page lacks takes its default, filled
    with the values found), and the names neither the page nor a default gives."""
    values, defaults, missing = {}, {}, []
    for name, spec in source.get("values", {}).items():
        spec = spec if isinstance(spec, dict) else {"regex": spec}
        match = re.search(spec["regex"], html)
        if match:
            values[name] = match[1]
        elif "default" in spec:
            defaults[name] = spec["default"]
        else:
            missing.append(name)
    return {**values, **_filled(defaults, values)}, missing


def _filled(template, values: dict):
    if isinstance(template, dict):
        return {key: _filled(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [_filled(value, values) for value in template]
    if not isinstance(template, str):
        return template
    whole = _PLACEHOLDER.fullmatch(template)
    if whole and whole[1] in values:
        return values[whole[1]]
    return _PLACEHOLDER.sub(lambda m: str(values.get(m[1], m[0])), template)


def request_for(source: dict, values: dict, request_number: int) -> tuple[str, dict | None]:
    """The URL and body of the source's request number 0, 1, ... (the page's values filled in)."""
    paging = source.get("paging") or {}
    size = paging.get("size", 0)
    first = paging.get("first", 0 if paging.get("by") == "offset" else 1)
    step = size if paging.get("by") == "offset" else 1
    position = first + request_number * step
    filled = {**values, "size": size, "offset": position, "page": position}
    body = source.get("body")
    return _filled(source["url"], filled), (_filled(body, filled) if body is not None else None)


def pages_needed(source: dict, first_answer) -> int:
    """How many requests the whole inventory takes, from the first answer's total count."""
    paging = source.get("paging")
    if not paging:
        return 1
    try:
        total = int(compiled_path(paging["total"]).search(first_answer) or 0)
    except (TypeError, ValueError):
        return 1
    size = max(1, int(paging["size"]))
    return max(1, min(MAX_API_REQUESTS, -(-total // size)))


def read_api_answers(answers: list, source: dict, label: str, page_url: str) -> SourceResult:
    """The vehicles in the API's answers (parsed JSON documents)."""
    result = SourceResult()
    for answer in answers:
        vehicles = vehicle_objects(answer, source.get("vehicles") or "@")
        result.records += [record_from_object(v, source, label, page_url) for v in vehicles]
    return result
