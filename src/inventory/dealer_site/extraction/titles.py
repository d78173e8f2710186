"""Cut a title such as "2021 Jeep Wrangler Unlimited Sport S" into year, make, model and trim.

Only a fallback: structured values always win, and the cut uses them (a known make or model is
found in the title and the rest follows it). Makes are matched whole from a list, so "Land Rover"
and "Mercedes-Benz" stay one make; models of several words ("Grand Cherokee") stay whole too.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .makes import MAKE_ALIASES, MAKES, MULTI_WORD_MODELS

_YEAR = re.compile(r"(?:19|20)\d\d")
_LETTERS_THEN_NUMBER = (re.compile(r"[A-Z]{1,3}"), re.compile(r"\d{2,4}[a-z]?"))  # "GLE 350", "RX 350h"


def _tokens(name: str) -> tuple[str, ...]:
    return tuple(name.lower().replace("-", " ").split())


@lru_cache(maxsize=1)
def _known_makes() -> tuple[tuple[tuple[str, ...], str], ...]:
    """(tokens, make) for every make and alias, the longest first."""
    pairs = [(_tokens(make), make) for make in MAKES] + [(_tokens(a), m) for a, m in MAKE_ALIASES.items()]
    return tuple(sorted(pairs, key=lambda pair: -len(pair[0])))


def _word_tokens(words: list[str]) -> list[str]:
    return [word.lower().strip(",;:|") for word in words]


def _find_make(tokens: list[str], start: int, extra: tuple[str, ...]):
    """(first, end, make) of the first make named in tokens[start:], or None."""
    candidates = [(_tokens(make), make) for make in extra if make] + list(_known_makes())
    for first in range(start, len(tokens)):
        for make_tokens, make in candidates:
            end = first + _span(tokens, first, make_tokens)
            if end > first:
                return first, end, make
    return None


def _span(tokens: list[str], first: int, wanted: tuple[str, ...]) -> int:
    """How many of tokens[first:] spell `wanted` (hyphenated tokens count as their parts), or 0."""
    spelled, count = [], 0
    for token in tokens[first:]:
        spelled += token.replace("-", " ").split()
        count += 1
        if len(spelled) >= len(wanted):
            return count if tuple(spelled) == wanted else 0
    return 0


def _model_length(words: list[str], make: str | None, model: str | None) -> int:
    """How many of the words (after the make) are the model."""
    tokens = _word_tokens(words)
    for name in ([model] if model else []) + list(MULTI_WORD_MODELS.get(make or "", ())):
        length = _span(tokens, 0, _tokens(name))
        if length:
            return length
    if model:
        return 0  # the page's model is not in this title
    letters, number = _LETTERS_THEN_NUMBER
    if len(words) > 1 and letters.fullmatch(words[0]) and number.fullmatch(words[1]):
        return 2
    return 1 if words else 0


def cut_title(
    title: str, make: str | None = None, model: str | None = None, vin_makes: tuple[str, ...] = ()
) -> dict:
    """The year, make, model and trim a title names (keys present only for what it names)."""
    words = title.split()
    tokens = _word_tokens(words)
    year_at = next((i for i, token in enumerate(tokens) if _YEAR.fullmatch(token)), None)
    start = 0 if year_at is None else year_at + 1
    found = _find_make(tokens, start, (make, *vin_makes)) or _find_make(tokens, 0, (make, *vin_makes))
    parts = {"year": int(words[year_at])} if year_at is not None else {}
    if found:
        _, end, parts["make"] = found
    elif year_at is not None and start < len(words):
        end, parts["make"] = start + 1, words[start]  # an unknown make: the word after the year
    else:
        return parts
    rest = [word for i, word in enumerate(words[end:], start=end) if i != year_at]
    length = _model_length(rest, parts["make"], model)
    if length:
        parts["model"] = " ".join(rest[:length])
        trim = " ".join(rest[length:]).strip(" -|,")
        if trim:
            parts["trim"] = trim
    return parts
