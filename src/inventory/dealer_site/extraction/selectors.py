"""CSS selectors for profiles: a fast matcher for the simple forms, soupsieve for everything else.

Profiles mostly say `div.srp-card`, `.price`, `a.link`, `[data-vin]`, `.photos img`, `ul > li`:
compounds of a tag, `#id`, `.class`, `[attr]` / `[attr=value]` (also `~=`, `^=`, `$=`, `*=`, and the
`i` flag) and soupsieve's `:-soup-contains("text")`, joined by descendant or child combinators.
Those are matched here directly on the parsed tree, which is several times faster than the general
engine under Pyodide; any other selector goes to soupsieve (on BeautifulSoup's tree). The fast
matcher works on both trees (html_tree.Node, bs4.Tag).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .html_tree import Node, parse_html

MAX_ANCESTOR_STEPS = 256  # a descendant combinator looks this many levels up, no more

_IDENT = r"-?[_a-zA-Z][-_a-zA-Z0-9]*"
_PART = re.compile(
    rf"(?P<tag>{_IDENT}|\*)|#(?P<id>{_IDENT})|\.(?P<cls>{_IDENT})"
    rf"|\[\s*(?P<attr>{_IDENT})\s*(?:(?P<op>[~^$*]?=)\s*"
    rf"(?:\"(?P<dq>[^\"\\]*)\"|'(?P<sq>[^'\\]*)'|(?P<bare>[-_a-zA-Z0-9]+))(?:\s+(?P<flag>[iI]))?\s*)?\]"
    r"|:-soup-contains\(\s*(?:\"(?P<text_dq>[^\"\\]*)\"|'(?P<text_sq>[^'\\]*)')\s*\)"
)
# Attributes whose values HTML matches in any case (WHATWG, "case-sensitivity of selectors"): `REL=Next`
# is a next link. Any other value needs the `i` flag (`[itemtype*='schema.org/car' i]`).
ANY_CASE_VALUES = frozenset(
    "accept accept-charset align alink axis bgcolor charset checked clear codetype color compact declare "
    "defer dir direction disabled enctype face frame hreflang http-equiv lang language link media method "
    "multiple nohref noresize noshade nowrap readonly rel rev rules scope scrolling selected shape target "
    "text type valign valuetype vlink".split()
)
_COMBINATOR = re.compile(r"\s*>\s*|\s+(?![^\[(]*[\])])")  # no space inside [...] or (...)


@dataclass(frozen=True)
class Compound:
    tag: str | None
    id: str | None
    classes: tuple[str, ...]
    attrs: tuple[tuple[str, str | None, str | None, bool], ...]  # (name, operator, value, `i` flag)
    texts: tuple[str, ...] = ()  # `:-soup-contains("Next")` (soupsieve's): text the element holds

    def holds_texts(self, element) -> bool:
        text = element.get_text()
        return all(wanted in text for wanted in self.texts)

    def matches(self, name: str, attrs: dict) -> bool:
        if self.tag is not None and name != self.tag:
            return False
        if self.id is not None and attrs.get("id") != self.id:
            return False
        if self.classes:
            value = attrs.get("class")
            if not value:
                return False
            present = value if isinstance(value, list) else value.split()
            for cls in self.classes:
                if cls not in present:
                    return False
        return not self.attrs or all(_attribute_matches(attrs.get(a), *test) for a, *test in self.attrs)


def _attribute_matches(value, operator: str | None, expected: str | None, any_case: bool = False) -> bool:
    if value is None:
        return False
    if isinstance(value, list):
        value = " ".join(value)
    if operator is None:
        return True
    if any_case:
        value, expected = value.lower(), expected.lower()
    if operator == "=":
        return value == expected
    if operator == "~=":
        return expected in value.split()
    if operator == "^=":
        return bool(expected) and value.startswith(expected)
    if operator == "$=":
        return bool(expected) and value.endswith(expected)
    return bool(expected) and expected in value  # *=


def _parse_compound(text: str) -> Compound | None:
    tag, ident, classes, attrs, texts, position = None, None, [], [], [], 0
    while position < len(text):
        match = _PART.match(text, position)
        if not match or (match["tag"] and position):
            return None
        position = match.end()
        if match["tag"]:
            tag = None if match["tag"] == "*" else match["tag"].lower()
        elif match["id"]:
            ident = match["id"]
        elif match["cls"]:
            classes.append(match["cls"])
        elif match["text_dq"] is not None or match["text_sq"] is not None:
            texts.append(match["text_dq"] if match["text_dq"] is not None else match["text_sq"])
        else:
            value = next((v for v in (match["dq"], match["sq"], match["bare"]) if v is not None), None)
            name = match["attr"].lower()
            attrs.append((name, match["op"], value, bool(match["flag"]) or name in ANY_CASE_VALUES))
    return Compound(tag, ident, tuple(classes), tuple(attrs), tuple(texts)) if text else None


def _chain(text: str):
    """`div.a > p b` as ((None, div.a), (">", p), (" ", b)); None when it is not this simple."""
    text, chain, combinator, position = text.strip(), [], None, 0
    if not text:
        return None
    for match in _COMBINATOR.finditer(text):
        compound = _parse_compound(text[position : match.start()])
        if compound is None:
            return None
        chain.append((combinator, compound))
        combinator, position = (">" if ">" in match[0] else " "), match.end()
    compound = _parse_compound(text[position:])
    if compound is None:
        return None
    chain.append((combinator, compound))
    return tuple(chain)


@lru_cache(maxsize=512)
def simple_selector(selector: str):
    """The chains of a selector list (`a[rel=next], link[rel=next]`), or None when any part is
    beyond the fast matcher."""
    chains = tuple(_chain(part) for part in selector.split(","))
    return None if any(chain is None for chain in chains) else chains


@lru_cache(maxsize=512)
def compiled(selector: str):
    """soupsieve's compiled form (raises soupsieve's SelectorSyntaxError for a bad selector)."""
    import soupsieve  # only profiles with selectors the fast matcher cannot serve need it

    return soupsieve.compile(selector)


def _tag_matches(tag, compound: Compound) -> bool:
    if compound.tag is not None and tag.name != compound.tag:
        return False  # before asking for the attributes, which html_tree parses only then
    return compound.matches(tag.name, tag.attrs) and (not compound.texts or compound.holds_texts(tag))


def _chain_matches(element, chain, scope) -> bool:
    """Whether `element` (matching the last compound) has the ancestors the chain asks for."""
    pending = [(element, len(chain) - 1)]
    while pending:
        node, index = pending.pop()
        if index == 0:
            return True
        combinator, target = chain[index][0], chain[index - 1][1]
        ancestor, steps = node, 0
        while ancestor is not scope and steps < MAX_ANCESTOR_STEPS:
            ancestor, steps = ancestor.parent, steps + 1
            if ancestor is None or ancestor.parent is None:  # the document itself
                break
            if _tag_matches(ancestor, target):
                pending.append((ancestor, index - 1))
            if combinator == ">":
                break
    return False


def select(scope, selector: str, first_only: bool = False, elements: list | None = None) -> list:
    """The elements inside `scope` (its descendants, or `elements` when the caller listed them
    already) matching the selector, in document order."""
    chains = simple_selector(selector)
    if chains is None:
        return compiled(selector).select(scope, limit=1 if first_only else 0)
    found = []
    for element in _elements(scope) if elements is None else elements:
        if _element_matches(element, chains, scope):
            found.append(element)
            if first_only:
                break
    return found


def _element_matches(element, chains, scope) -> bool:
    for chain in chains:
        if _tag_matches(element, chain[-1][1]) and _chain_matches(element, chain, scope):
            return True
    return False


def select_each(scope, wanted: dict, elements: list) -> dict:
    """Several selections inside one scope in a single pass over its elements:
    {key: (selector, first_only)} -> {key: [matching elements]}."""
    found = {key: [] for key in wanted}
    pending = []
    for key, (selector, first_only) in wanted.items():
        chains = simple_selector(selector)
        if chains is None:
            found[key] = select(scope, selector, first_only)
        else:
            pending.append((key, chains, first_only))
    for element in elements:
        if not pending:
            break
        done = False
        for key, chains, first_only in pending:
            if _element_matches(element, chains, scope):
                found[key].append(element)
                done = done or first_only
        if done:
            pending = [entry for entry in pending if not (entry[2] and found[entry[0]])]
    return found


def descendant_elements(scope) -> list:
    """Every element below `scope` in document order (text left out), to run several selectors on."""
    return list(_elements(scope))


def _elements(scope):
    if isinstance(scope, Node):
        return scope.descendants
    from bs4 import Tag

    return (element for element in scope.descendants if isinstance(element, Tag))


def parse_page(html: str, selectors: list[str]):
    """The page's tree: the fast one when every selector is simple, else BeautifulSoup's."""
    if all(simple_selector(selector) for selector in selectors):
        return parse_html(html)
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "html.parser")
