"""Nuxt 3's page payload (`<script id="__NUXT_DATA__">`), made plain JSON again.

Nuxt 3 serialises its state with devalue: one flat array whose first item is the root, where every
object value and array item is the index of another item (repeated values are written once), and
reactive wrappers are tagged pairs such as `["ShallowReactive", 1]`. `unflatten` rebuilds the
nested value without recursion; a payload that would grow past MAX_NODES (a cycle) gives None.
"""

from __future__ import annotations

MAX_NODES = 200_000
_WRAPPERS = frozenset(("Reactive", "ShallowReactive", "Ref", "ShallowRef", "EmptyRef", "EmptyShallowRef"))
_SPECIAL = {-1: None, -2: None, -3: None, -4: None, -5: None, -6: 0}  # undefined, hole, NaN, ±inf, -0


def is_flattened(value) -> bool:
    """Whether a parsed JSON value is a devalue payload: a list whose root is a wrapper pair or an
    object of indices."""
    if not isinstance(value, list) or len(value) < 2:
        return False
    root = value[0]
    if isinstance(root, list):
        return len(root) == 2 and root[0] in _WRAPPERS and type(root[1]) is int
    return isinstance(root, dict) and bool(root) and all(type(v) is int for v in root.values())


def unflatten(values: list):
    """The nested value a devalue payload stands for (None when it is malformed or cyclic)."""
    pending, count = [], [0]

    def item(index):
        if type(index) is not int:
            return None
        if index < 0:
            return _SPECIAL.get(index)
        if index >= len(values) or count[0] > MAX_NODES:
            return None
        count[0] += 1
        value = values[index]
        for _ in range(8):  # wrappers around wrappers: ["Reactive", i] -> item i
            if isinstance(value, list) and value and isinstance(value[0], str):
                value = _tagged(value)
            else:
                break
        if isinstance(value, dict):
            built = {}
            pending.append((built, value))
            return built
        if isinstance(value, list):
            built = []
            pending.append((built, value))
            return built
        return value

    def _tagged(pair):
        tag = pair[0]
        if tag in _WRAPPERS:
            return (
                values[pair[1]]
                if len(pair) > 1 and type(pair[1]) is int and 0 <= pair[1] < len(values)
                else None
            )
        if tag == "Set":
            return list(pair[1:])
        if tag == "Map":
            return {str(item(k)): v for k, v in zip(pair[1::2], pair[2::2], strict=False)}
        if tag == "Date":
            return pair[1] if len(pair) > 1 else None
        return None  # a type this reader does not know (BigInt, RegExp, a Nuxt error)

    root = item(0)
    while pending:
        built, raw = pending.pop()
        if isinstance(raw, dict):
            for key, index in raw.items():
                built[key] = item(index)
        else:
            built.extend(item(index) for index in raw)
        if count[0] > MAX_NODES:
            return None
    return root
