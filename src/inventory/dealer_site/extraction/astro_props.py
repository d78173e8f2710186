"""An Astro island's `props` attribute, made plain JSON again.

Astro writes each prop as a pair `[type, value]`: type 0 is a plain value (an object's own props
written as pairs again), 1 an array of pairs, 4 a Map and 5 a Set (arrays of pairs too); the other
types (a Date, a URL, a BigInt, a RegExp, typed arrays, Infinity) carry their value as written.
`[0]` alone is undefined. Parsed JSON is depth-limited already (safe_json), so recursion is bounded.
"""

from __future__ import annotations

_PLAIN, _ARRAY, _MAP, _SET = 0, 1, 4, 5
_LAST_TYPE = 11


def _is_pair(value) -> bool:
    return (
        isinstance(value, list)
        and 1 <= len(value) <= 2
        and type(value[0]) is int
        and 0 <= value[0] <= _LAST_TYPE
    )


def is_astro_props(value) -> bool:
    """Whether a parsed JSON value is an island's props: an object whose every value is a pair."""
    return isinstance(value, dict) and bool(value) and all(map(_is_pair, value.values()))


def _plain(pair):
    if not _is_pair(pair) or len(pair) == 1:
        return None
    kind, value = pair
    if kind == _PLAIN and isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if kind in (_ARRAY, _SET) and isinstance(value, list):
        return [_plain(item) for item in value]
    if kind == _MAP and isinstance(value, list):
        entries = (_plain(entry) for entry in value)
        return {str(e[0]): e[1] for e in entries if isinstance(e, list) and len(e) == 2}
    return value


def astro_props(props: dict) -> dict:
    """The props as the component received them."""
    return {key: _plain(pair) for key, pair in props.items()}
