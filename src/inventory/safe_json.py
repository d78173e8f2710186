"""JSON from outside (dealer pages, request bodies) parsed with a nesting limit that holds under Pyodide.

`json.loads` recurses once per level: about 1,000 levels raise RecursionError, and about 100,000
overflow Pyodide's stack and kill the whole isolate. So the depth is measured first, without
recursion, and a document nested deeper than the limit is refused before `json.loads` sees it.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate

MAX_JSON_DEPTH = 200

_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_DELTA = {"[": 1, "{": 1, "]": -1, "}": -1}


class JsonTooDeep(ValueError):
    """The document nests arrays and objects deeper than the limit."""


def json_depth(text: str) -> int:
    """How deep arrays and objects nest, brackets inside strings not counted (linear, no recursion)."""
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    return max(accumulate(map(_DELTA.__getitem__, brackets)), default=0)


def loads(text: str | bytes, max_depth: int = MAX_JSON_DEPTH):
    """`json.loads`, refusing documents nested deeper than `max_depth` with JsonTooDeep."""
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8")
    depth = json_depth(text)
    if depth > max_depth:
        raise JsonTooDeep(f"nested {depth} levels deep (limit {max_depth})")
    return json.loads(text)


_TRAILING_COMMA = re.compile(r",(\s*[\]}])")


def loads_forgiving(text: str, max_depth: int = MAX_JSON_DEPTH):
    """`loads`, forgiving what hand-edited JSON in pages often has: a raw newline or tab inside a
    string, a comma before `]` or `}`. A document still broken after that raises the first error."""
    try:
        return loads(text, max_depth)
    except JsonTooDeep:
        raise
    except ValueError as first:
        try:
            return json.loads(_without_trailing_commas(text), strict=False)
        except ValueError:
            raise first from None


def _without_trailing_commas(text: str) -> str:
    """The text with every comma that closes an array or object removed, strings left untouched."""
    pieces, position = [], 0
    for string in _STRINGS.finditer(text):
        pieces += [_TRAILING_COMMA.sub(r"\1", text[position : string.start()]), string[0]]
        position = string.end()
    pieces.append(_TRAILING_COMMA.sub(r"\1", text[position:]))
    return "".join(pieces)
