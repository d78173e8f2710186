"""The `sitemap` source, pure half: vehicles named by the detail-page addresses of a site's sitemap.

A platform whose listing renders in the browser still publishes every vehicle's detail page in its
XML sitemap, and its detail addresses spell the vehicle out:
`/inventory/used-2019-honda-civic-lx-fwd-4d-sedan-2hgfc2f5xkh123456/`. The profile's `detail_url`
regex names what an address gives (groups `vin`, `stock_number`, `year`, `name`); the name becomes a
title, which the field rules cut into make, model and trim. Photos come from the detail pages later
(galleries.py). A sitemap can lag behind the stock, so fetching.py reads it only when the listing
itself showed no vehicle. The fetching is in api_reading.py.
"""

from __future__ import annotations

import re
from html import unescape

from .records import Record, SourceResult

_LOC = re.compile(r"<loc>\s*([^<\s]+)\s*</loc>", re.I)
_INDEX = re.compile(r"<sitemapindex[\s>]", re.I)
MAX_CHILD_SITEMAPS = 10
DETAIL_GROUPS = ("vin", "stock_number", "year", "name")


def locations(xml: str) -> tuple[list[str], bool]:
    """The addresses a sitemap lists, and whether it is an index of other sitemaps."""
    return [unescape(url) for url in _LOC.findall(xml)], bool(_INDEX.search(xml))


def child_sitemaps(xml: str, source: dict) -> list[str]:
    """The sitemaps of an index worth reading: those whose address matches the source's `children`."""
    pattern = re.compile(source.get("children") or "inventory|vehicle", re.I)
    urls, _ = locations(xml)
    return [url for url in urls if pattern.search(url)][:MAX_CHILD_SITEMAPS]


def _title(name: str) -> str:
    words = re.split(r"[-_+]+", name)
    return " ".join(w.upper() if len(w) <= 2 or not w.isalpha() else w.capitalize() for w in words)


def _record(match: re.Match, url: str, label: str) -> Record:
    record = Record(label)
    groups = match.groupdict()
    record.set("vin", groups.get("vin"))
    record.set("stock_number", groups.get("stock_number"))
    record.set("year", groups.get("year"))
    if groups.get("name"):
        record.set("title", " ".join(filter(None, (groups.get("year"), _title(groups["name"])))))
    record.set("detail_url", url)
    return record


def read_sitemap_answers(answers: list[str], source: dict, label: str) -> SourceResult:
    """A vehicle for every address of the sitemaps read that is a detail page (the source's regex)."""
    result, seen = SourceResult(), set()
    pattern = re.compile(source["detail_url"], re.I)
    for xml in answers:
        for url in locations(xml)[0]:
            match = pattern.search(url)
            if match and url not in seen:
                seen.add(url)
                result.records.append(_record(match, url, label))
    if not result.records:
        result.warnings.append({"reason": "sitemap: no address is a detail page", "entry": source["url"]})
    return result
