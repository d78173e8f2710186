"""A small, forgiving HTML tree builder: the cards and pagination of a page, fast under Pyodide.

html.parser (under BeautifulSoup) spends about 20 µs per tag in pure Python; a dealer listing has
hundreds of tags per vehicle, which made parsing most of a scrape's CPU time. This builder finds
tags with a few compiled patterns and forward searches, and mirrors what BeautifulSoup's
html.parser tree holds for the same page: elements nest as written, an end tag closes the
nearest open element of its name (and those opened inside it), an end tag nothing opened is
ignored, void elements (`img`, `br`, ...) take no children, `script` and `style` hold raw text.
Entities in text and attribute values are decoded. No recursion: nesting depth costs nothing.
A tag's attributes are parsed when first asked for: most of a page's tags (its photos' `img`s under
a `div.card` selector) are only ever asked their name.

Selectors it cannot serve (see selectors.py) make the caller use BeautifulSoup instead.
"""

from __future__ import annotations

import re
from html import unescape

from .scripts import decoded_attributes, parse_attributes

VOID_ELEMENTS = frozenset(
    "area base br col embed hr img input keygen link meta param source track wbr".split()
)
RAW_TEXT_ELEMENTS = frozenset(("script", "style"))

_TAG = re.compile(r"""<(/?)([a-zA-Z][^\s/>]*)((?:[^>"']++|"[^"]*+"|'[^']*+')*+)>""")
_STARTS_TAG = re.compile(r"</?[a-zA-Z]")
_RAW_TEXT_END = {name: re.compile(rf"</{name}[\s/>]", re.I) for name in RAW_TEXT_ELEMENTS}


class Node:
    """An element: name, attributes (values as written, entities decoded), parent, children."""

    __slots__ = ("name", "_attrs", "_attribute_text", "parent", "children")

    def __init__(self, name: str, attrs: dict | None, parent: Node | None, attribute_text: str = ""):
        self.name, self._attrs, self.parent, self.children = name, attrs, parent, []
        self._attribute_text = attribute_text  # parsed into _attrs on first use when attrs is None

    @property
    def attrs(self) -> dict:
        if self._attrs is None:
            self._attrs = _parsed_attributes(self._attribute_text)
        return self._attrs

    def get(self, attribute: str, default=None):
        return self.attrs.get(attribute, default)

    @property
    def descendants(self):
        """Every element below this one, in document order (text left out)."""
        pending = [child for child in reversed(self.children) if type(child) is Node]
        while pending:
            node = pending.pop()
            yield node
            pending.extend(child for child in reversed(node.children) if type(child) is Node)

    def get_text(self, separator: str = "") -> str:
        pieces, pending = [], list(reversed(self.children))
        while pending:
            item = pending.pop()
            if type(item) is str:
                pieces.append(item)
            elif item.name not in RAW_TEXT_ELEMENTS:
                pending.extend(reversed(item.children))
        return separator.join(pieces)

    def short_text(self, separator: str, max_chars: int, max_nodes: int = 32) -> str | None:
        """get_text, or None once the text holds more than `max_chars` non-space characters or the
        element more than `max_nodes` elements: what reads every element's text stays linear on a
        page of 50,000 nested tags."""
        pieces, pending, chars, nodes = [], list(reversed(self.children)), 0, 0
        while pending:
            item = pending.pop()
            if type(item) is str:
                chars += sum(map(len, item.split()))
                if chars > max_chars:
                    return None
                pieces.append(item)
            elif item.name not in RAW_TEXT_ELEMENTS:
                nodes += 1
                if nodes > max_nodes:
                    return None
                pending.extend(reversed(item.children))
        return separator.join(pieces)


class Document(Node):
    """The root: it lists its elements once, for every selector run on the whole page."""

    __slots__ = ("_elements",)

    def __init__(self):
        super().__init__("#document", {}, None)
        self._elements = None

    @property
    def descendants(self):
        if self._elements is None:
            self._elements = list(Node.descendants.fget(self))
        return self._elements


def _add_text(parent: Node, text: str) -> None:
    if text and not text.isspace():
        parent.children.append(unescape(text) if "&" in text else text)


class _OpenElements(list):
    """The stack of open elements, counting them by name: an end tag that nothing open matches is
    ignored at once (no scan of a deep stack for each of many stray end tags)."""

    def __init__(self, root: Node):
        super().__init__([root])
        self.count: dict[str, int] = {}

    def push(self, node: Node) -> None:
        self.append(node)
        self.count[node.name] = self.count.get(node.name, 0) + 1

    def pop_node(self) -> None:
        node = self.pop()
        self.count[node.name] -= 1

    def close(self, name: str) -> None:
        """Close the nearest open element called `name`, with everything opened inside it."""
        if not self.count.get(name):
            return
        while self[-1].name != name:
            self.pop_node()
        self.pop_node()


def _parsed_attributes(attribute_text: str) -> dict:
    attrs = parse_attributes(attribute_text)
    return decoded_attributes(attrs) if "&" in attribute_text else attrs


def _open(stack: _OpenElements, name: str, attribute_text: str) -> Node:
    node = Node(name, None if attribute_text else {}, stack[-1], attribute_text)
    stack[-1].children.append(node)
    if name not in VOID_ELEMENTS and not attribute_text.rstrip().endswith("/"):
        stack.push(node)
    return node


def parse_html(html: str) -> Document:
    """The page as a tree of Nodes under a document node (named "#document")."""
    root = Document()
    stack, position, length = _OpenElements(root), 0, len(html)
    while (start := html.find("<", position)) >= 0:
        if start > position:
            _add_text(stack[-1], html[position:start])
        tag = _TAG.match(html, start)
        if tag:
            position = _end_tag(stack, tag) if tag[1] else _start_tag(html, stack, tag)
        elif _STARTS_TAG.match(html, start):
            return root  # a tag that never ends: the rest of the page is inside it
        elif html.startswith(("<!", "<?"), start):
            closer = "-->" if html.startswith("<!--", start) else ">"
            end = html.find(closer, start + 2)
            position = length if end < 0 else end + len(closer)
        else:
            _add_text(stack[-1], "<")
            position = start + 1
    _add_text(stack[-1], html[position:])
    return root


def _end_tag(stack: _OpenElements, tag) -> int:
    stack.close(tag[2].lower())
    return tag.end()


def _start_tag(html: str, stack: _OpenElements, tag) -> int:
    """Open one element; a script or style takes the text up to its end tag. Returns where to go on."""
    name = tag[2].lower()
    node = _open(stack, name, tag[3])
    if name not in RAW_TEXT_ELEMENTS or stack[-1] is not node:
        return tag.end()
    close = _RAW_TEXT_END[name].search(html, tag.end())
    end = close.start() if close else len(html)
    if end > tag.end():
        node.children.append(html[tag.end() : end])
    stack.pop_node()
    after = html.find(">", close.start()) if close else -1
    return len(html) if after < 0 else after + 1
