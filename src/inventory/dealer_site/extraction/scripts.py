"""A page's `<script>` elements and start tags, found by linear scans (no HTML parser, no backtracking).

Each opening tag is matched by a fixed prefix, its end by the next ">", and its closing tag by a
forward search from there: the scan never goes back, so 8,000 unclosed script tags cost one pass.
Like a browser, everything after an unclosed `<script>` is that script's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from html import unescape

_OPEN_OR_COMMENT = re.compile(r"<script\b|<!--", re.I)
_CLOSE = re.compile(r"</script[\s/>]", re.I)
_ATTRIBUTE = re.compile(r"""([^\s"'=<>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?""")
_MARKUP_START = re.compile(r"<(?:script\b|style\b|!--|[a-zA-Z])", re.I)
_START_TAG = re.compile(r"""<([a-zA-Z][^\s/>]*)((?:[^>"']++|"[^"]*+"|'[^']*+')*+)>""")
_RAW_END = {"script": re.compile(r"</script[\s/>]", re.I), "style": re.compile(r"</style[\s/>]", re.I)}
_OPENER = re.compile(r"\s*(?:(?://|/\*)\s*)?(?:<!--|<!\[CDATA\[)(?:\s*\*/)?")
_CLOSER = re.compile(r"(?:(?://|/\*)\s*)?(?:-->|\]\]>)(?:\s*\*/)?\s*$")


@dataclass
class Script:
    attrs: dict[str, str]
    text: str
    closed: bool

    @property
    def type(self) -> str:
        return self.attrs.get("type", "").split(";")[0].strip().lower()


def decoded_attributes(attrs: dict[str, str]) -> dict[str, str]:
    """The attribute values with their character references (`&amp;`, `&#39;`) decoded."""
    return {key: unescape(value) if "&" in value else value for key, value in attrs.items()}


def parse_attributes(tag_text: str) -> dict[str, str]:
    """The attributes of one start tag's text (after its name), names lower-cased, first one wins."""
    if not tag_text or tag_text.isspace():
        return {}
    found = _ATTRIBUTE.findall(tag_text)
    return {name.lower(): double or single or bare for name, double, single, bare in reversed(found)}


def iter_scripts(html: str):
    """Every `<script>` of the page in order, outside HTML comments."""
    position = 0
    while match := _OPEN_OR_COMMENT.search(html, position):
        if match[0] == "<!--":
            end = html.find("-->", match.end())
            if end < 0:
                return
            position = end + 3
            continue
        tag_end = html.find(">", match.end())
        if tag_end < 0:
            return
        attrs = parse_attributes(html[match.end() : tag_end])
        close = _CLOSE.search(html, tag_end + 1)
        if not close:
            yield Script(attrs, html[tag_end + 1 :], closed=False)
            return
        yield Script(attrs, html[tag_end + 1 : close.start()], closed=True)
        position = close.end()


def unwrap(text: str) -> str:
    """A script's text without the `<!-- -->` or CDATA wrapping old pages put around it."""
    opener = _OPENER.match(text)
    if opener:
        text = text[opener.end() :]
    tail = len(text) - 40
    closer = _CLOSER.search(text, max(tail, 0))
    if closer:
        text = text[: closer.start()]
    return text.strip()


@lru_cache(maxsize=32)
def _markup_start(names: tuple[str, ...], end_tags: bool = False):
    if not names:
        return _MARKUP_START
    wanted = "|".join(re.escape(name) for name in names)
    slash = "/?" if end_tags else ""
    return re.compile(rf"<(?:script\b|style\b|!--|{slash}(?:{wanted})[\s/>])", re.I)


def iter_start_tags(html: str, names: tuple[str, ...] = (), end_tags: bool = False):
    """(name, attributes) of the start tags in order (only those `names` when given), outside
    comments, scripts and styles; the scan ends at a tag that never closes. With `end_tags` (and
    `names`), those names' end tags come too, as ("/name", {})."""
    position, markup_start = 0, _markup_start(names, end_tags and bool(names))
    while match := markup_start.search(html, position):
        if match[0] == "<!--":
            end = html.find("-->", match.end())
            position = len(html) if end < 0 else end + 3
            continue
        if match[0][1] == "/":
            yield "/" + match[0][2:-1].lower(), {}
            position = match.end() - 1
            continue
        tag = _START_TAG.match(html, match.start())
        if not tag:
            return
        name = tag[1].lower()
        yield name, parse_attributes(tag[2])
        position = tag.end()
        if name in _RAW_END:
            close = _RAW_END[name].search(html, position)
            position = len(html) if not close else close.end()
