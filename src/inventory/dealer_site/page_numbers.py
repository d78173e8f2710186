"""Where the listing's later pages are, guessed from its first two: most dealer sites number their
pages in one query parameter (`?page=2`, `?pg=3`, `?start=48`) or one path segment (`/page/2/`).
From page 1's URL and its next link (page 2), `page_after` gives the URL of any later page, so the
scraper can ask for a few of them while it reads the one before (fetching.py). A guess is only a
prefetch: a page is used only when the page before it really links to it.
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit


class PageNumbers:
    """Page k's URL from a numbered parameter or path segment that moves by `step` a page."""

    def __init__(self, second_url: str, where: tuple, second_value: int, step: int):
        self.second_url, self.where, self.second_value, self.step = second_url, where, second_value, step

    def url_of(self, page: int) -> str:
        """The URL of page `page` (2 or more)."""
        value = str(self.second_value + (page - 2) * self.step)
        parts = urlsplit(self.second_url)
        kind, key = self.where
        if kind == "query":
            query = [(name, value if name == key else old) for name, old in parse_qsl(parts.query, True)]
            return urlunsplit(parts._replace(query=urlencode(query)))
        segments = parts.path.split("/")
        segments[key] = value
        return urlunsplit(parts._replace(path="/".join(segments)))

    def page_of(self, url: str) -> int | None:
        """The page number of `url` when it is one of this listing's numbered pages, else None."""
        parts = urlsplit(url)
        kind, key = self.where
        if kind == "query":
            value = dict(parse_qsl(parts.query, True)).get(key, "")
        else:
            segments = parts.path.split("/")
            value = segments[key] if key < len(segments) else ""
        number = _number(value)
        if number is None or (number - self.second_value) % self.step:
            return None
        page = 2 + (number - self.second_value) // self.step
        return page if page >= 1 and _same_url(self.url_of(page), url) else None

    def hint(self) -> str:
        """Text every link to a numbered page holds (a cheap test before parsing a link)."""
        return f"{self.where[1]}=" if self.where[0] == "query" else "/"


# Lower-case `href` only: a case-insensitive scan of a whole page is slow in Pyodide, and a pager
# missed (an old page's HREF) only means its pages are guessed instead.
_HREF = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def linked_pages(html: str, page_url: str, numbers: PageNumbers) -> set[int]:
    """The numbered pages of the listing that this page links to (a pager's "1 2 3 ... 25"): pages
    the site says exist, so asking for them ahead is no guess."""
    found, hint = set(), numbers.hint()
    for match in _HREF.finditer(html):
        href = match.group(1) or match.group(2) or ""
        if hint not in href or href.startswith("#"):
            continue
        page = numbers.page_of(urljoin(page_url, unescape(href.strip()) if "&" in href else href.strip()))
        if page:
            found.add(page)
    return found


def _same_url(a: str, b: str) -> bool:
    one, two = urlsplit(a), urlsplit(b)
    return (one.scheme, one.netloc.lower(), one.path or "/") == (
        two.scheme,
        two.netloc.lower(),
        two.path or "/",
    ) and sorted(parse_qsl(one.query, True)) == sorted(parse_qsl(two.query, True))


def _number(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 7 else None


def page_numbers(first_url: str, second_url: str) -> PageNumbers | None:
    """How the pages after the second are numbered, when the two URLs differ in exactly one number
    (absent on page 1 means page 1 of a 1-based count, or offset 0); else None (no guessing)."""
    one, two = urlsplit(first_url), urlsplit(second_url)
    if (one.scheme, one.netloc) != (two.scheme, two.netloc):  # Site.get still judges every page
        return None
    if one.path == two.path:
        return _from_query(one, two, second_url)
    if one.query == two.query:
        return _from_path(one, two, second_url)
    return None


def _from_query(one, two, second_url: str) -> PageNumbers | None:
    first, second = dict(parse_qsl(one.query, True)), dict(parse_qsl(two.query, True))
    changed = [k for k in set(first) | set(second) if first.get(k) != second.get(k)]
    if len(changed) != 1:
        return None
    key = changed[0]
    later = _number(second.get(key, ""))
    if later is None or later < 1:
        return None
    earlier = _number(first[key]) if key in first else (1 if later == 2 else 0)
    if earlier is None or later <= earlier:
        return None
    return PageNumbers(second_url, ("query", key), later, later - earlier)


def _from_path(one, two, second_url: str) -> PageNumbers | None:
    first, second = one.path.rstrip("/").split("/"), two.path.rstrip("/").split("/")
    if len(second) == len(first) + 2 and second[: len(first)] == first:  # /used/ -> /used/page/2
        found = PageNumbers(second_url, ("path", len(second) - 1), 2, 1)
        return found if _number(second[-1]) == 2 else None
    if len(first) != len(second):
        return None
    changed = [i for i, (a, b) in enumerate(zip(first, second, strict=True)) if a != b]
    if len(changed) != 1:
        return None
    earlier, later = _number(first[changed[0]]), _number(second[changed[0]])
    if earlier is None or later is None or later <= earlier:
        return None
    return PageNumbers(second_url, ("path", changed[0]), later, later - earlier)
