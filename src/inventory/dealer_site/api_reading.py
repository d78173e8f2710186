"""The `json_api` and `sitemap` sources, fetching half: call the inventory API a listing is rendered
from, every page of it, or read the site's sitemap, politely (the Site's User-Agent, robots.txt,
retries and hosts; at most MAX_IN_FLIGHT at once)."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urljoin

from .. import safe_json
from .extraction.json_api import page_values, pages_needed, request_for
from .extraction.sitemap import child_sitemaps, locations
from .site_errors import SiteError

MAX_IN_FLIGHT = 6  # the Workers limit of simultaneous connections per invocation
API_BYTES_PER_PAGE_BYTES = 2  # one source's answers together: at most twice MAX_PAGE_BYTES


async def _answer(site, source: dict, values: dict, number: int, page_url: str):
    url, body = request_for(source, values, number)
    url = urljoin(page_url, url)
    if site.respect_robots and not await site.robots_allow(url):
        raise SiteError(f"robots.txt disallows the inventory API {url}")
    data = json.dumps(body).encode() if body is not None else None
    response = await site.get(
        url,
        accept=lambda status: 200 <= status < 300,
        method=source["method"],
        body=data,
        accept_type="application/json",
    )
    if not response.ok:
        raise SiteError(f"the inventory API {url} answered HTTP {response.status}")
    try:
        return safe_json.loads(response.text()), len(response.body)
    except ValueError as error:
        raise SiteError(f"the inventory API {url} answered something that is not JSON ({error})") from None


async def _every_answer(site, source: dict, values: dict, page_url: str) -> list:
    first, size = await _answer(site, source, values, 0, page_url)
    pages = pages_needed(source, first)
    # All answers are held at once: their whole, like one page, must fit the isolate's memory.
    if pages * size > API_BYTES_PER_PAGE_BYTES * site.limits.max_page_bytes:
        raise SiteError(
            f"the inventory API would answer about {pages * size // 1_000_000} MB in {pages} "
            f"requests, over {API_BYTES_PER_PAGE_BYTES} x MAX_PAGE_BYTES"
        )
    gate = asyncio.Semaphore(MAX_IN_FLIGHT)

    async def one(number: int):
        async with gate:
            document, _ = await _answer(site, source, values, number, page_url)
            return document

    rest = await asyncio.gather(*(one(n) for n in range(1, pages)))
    return [first, *rest]


async def read_apis(site, html: str, page_url: str, profile: dict) -> tuple[dict, list[dict]]:
    """Every json_api source's answers (source rank -> JSON documents), and warnings for a source
    whose values the page does not give (that API is not called)."""
    answers, warnings = {}, []
    for rank, source in enumerate(profile["sources"], 1):
        if source["kind"] != "json_api":
            continue
        values, missing = page_values(html, source)
        if missing:
            reason = f"json_api: the page gives no {', '.join(missing)}; the API was not called"
            warnings.append({"reason": reason, "entry": source["url"][:200]})
            continue
        answers[rank] = await _every_answer(site, source, values, page_url)
    return answers, warnings


async def _sitemap_text(site, url: str) -> str | None:
    if site.refuse(url) or (site.respect_robots and not await site.robots_allow(url)):
        return None
    return await site.page(url, gone_ok=True)


async def _sitemap_answers(site, source: dict, page_url: str) -> list[str]:
    """The sitemap's text, or, for an index, the texts of its inventory sitemaps (read at once)."""
    first = await _sitemap_text(site, urljoin(page_url, source["url"]))
    if first is None:
        return []
    if not locations(first)[1]:
        return [first]
    gate = asyncio.Semaphore(MAX_IN_FLIGHT)

    async def one(url: str):
        async with gate:
            return await _sitemap_text(site, url)

    children = await asyncio.gather(*(one(url) for url in child_sitemaps(first, source)))
    return [text for text in children if text]


async def read_sitemaps(site, profile: dict, page_url: str) -> dict:
    """Every sitemap source's texts (source rank -> texts); a sitemap the site lacks gives none."""
    return {
        rank: await _sitemap_answers(site, source, page_url)
        for rank, source in enumerate(profile["sources"], 1)
        if source["kind"] == "sitemap"
    }
