"""Phase 1, first half: read the dealer's inventory pages, politely (own User-Agent, robots.txt, at
most 6 requests at once, three tries a page), within limits, and staying on the dealer's hosts."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from ..net.http import (
    MAX_REDIRECTS,
    HttpResponse,
    RedirectRefused,
    ResponseTooLarge,
    TransportError,
    get_following_redirects,
)
from ..net.url_guard import same_site
from ..subrequests import SUBREQUESTS_SPENT
from .api_reading import MAX_IN_FLIGHT, read_apis, read_sitemaps
from .bot_wall import wall_marker
from .detection import detect_platform, named_profile
from .discovery import discover
from .extract import Vehicle, extract_page, photos_from_detail
from .gallery_rules import gallery_mode
from .page_memo import PageMemo
from .page_numbers import PageNumbers, linked_pages, page_numbers
from .profiles import get_profile, normalise_profile
from .site_errors import BotWall, SiteError, SubrequestsSpent

USER_AGENT = "LambertInventorySync/0.1 (+inventory sync bot)"
# Subrequests the listing leaves for what follows in the same invocation: the save (merge, batch,
# vendor URLs, galleries due, run record), then the gallery run's query and its own reserve.
KEPT_AFTER_LISTING = 5 + 1 + 4
TRY_COST = 1 + MAX_REDIRECTS  # the most one try of a page can spend: its redirect chain
PAGE_RETRIES = (0.5, 1.0)  # waits before the second and third try of a failed page
PAGES_AHEAD = 4  # listing pages asked for ahead of their turn (with the page read now: 5 connections)


@dataclass
class ScrapeLimits:
    """What one scrape will read at most (settings MAX_PAGE_BYTES and MAX_VEHICLES)."""

    max_page_bytes: int = 5 * 1024 * 1024
    max_vehicles: int = 5000
    timeout_s: float = 10.0


@dataclass
class Inventory:
    vehicles: list[Vehicle]
    skipped: list[dict]
    pages: int
    requests: int
    truncated: bool = False  # stopped at max_pages: some vehicles were not seen
    warnings: list[dict] = field(default_factory=list)
    profile: dict = field(default_factory=dict)  # which profile read the site, and why (detection.py)
    pages_unchanged: int = 0  # pages whose stored result was used (page_memo.py)
    gallery_keys: set[str] = field(default_factory=set)  # vehicles whose detail page gives the photos
    rules: dict = field(default_factory=dict)  # the profile that read the site
    discovered: dict | None = None  # a discovered profile worth remembering: {"profile", "vehicles"}


class Site:
    """The dealer's site as one scrape reads it: its hosts, politeness and limits."""

    def __init__(
        self,
        http,
        start_url: str,
        profile: dict,
        limits: ScrapeLimits,
        respect_robots: bool = True,
        keep: int | None = None,
    ):
        self.http, self.start_url, self.limits = http, start_url, limits
        self.keep = keep  # requests stop while fewer than this many subrequests would be left; None: no check
        self.hosts = site_hosts(start_url, profile.get("hosts") or [])
        self.respect_robots = respect_robots
        self.requests = 0
        self._robots: dict[str, RobotFileParser | None] = {}  # per host: its rules, None for none

    def refuse(self, url: str) -> str | None:
        """Why the scrape must not follow a link or redirect to `url` (pages stay on the dealer's hosts)."""
        return None if same_site(url, self.start_url, self.hosts) else "not on the dealer's site"

    async def _send(self, url: str, method: str, body: bytes | None, accept_type: str) -> HttpResponse:
        headers = {"User-Agent": USER_AGENT, "Accept": accept_type}
        if method == "GET":
            response, _ = await get_following_redirects(
                self.http,
                url,
                check_url=self.refuse,
                timeout_s=self.limits.timeout_s,
                max_bytes=self.limits.max_page_bytes,
                headers=headers,
            )
            return response
        headers["Content-Type"] = "application/json"
        return await self.http.request(
            method,
            url,
            headers=headers,
            body=body,
            timeout_s=self.limits.timeout_s,
            max_bytes=self.limits.max_page_bytes,
        )

    async def _send_within_budget(self, url: str, method: str, body, accept_type: str) -> HttpResponse:
        """One try. With a budget to keep (`keep`), the most a try can spend (a redirect chain) is set
        aside first, so tries running at once cannot pass the limit together."""
        budget = self.http.subrequests
        if self.keep is not None and not budget.hold(TRY_COST, self.keep):
            spent = f"{SUBREQUESTS_SPENT} ({budget.used} of {budget.limit})"
            raise SubrequestsSpent(f"{url[:200]} not read: {spent}")
        try:
            return await self._send(url, method, body, accept_type)
        finally:
            if self.keep is not None:
                budget.release(TRY_COST)

    async def get(
        self, url: str, accept, method: str = "GET", body: bytes | None = None, accept_type: str = "text/html"
    ) -> HttpResponse:
        """A request with up to three tries for no answer, 5xx and 429; `accept(status)` ends the retries.
        A bot wall ends them too: it is a BotWall error at once."""
        if reason := self.refuse(url):  # every request, the first included: a page may name any URL
            raise SiteError(f"{url[:200]} is refused ({reason})")
        last_problem = ""
        for wait in (0, *PAGE_RETRIES):
            if wait:
                await asyncio.sleep(wait)
            self.requests += 1
            try:
                response = await self._send_within_budget(url, method, body, accept_type)
            except TransportError as error:
                last_problem = f"no answer from {url} ({error})"
                continue
            except ResponseTooLarge as error:
                raise SiteError(f"{url} is larger than MAX_PAGE_BYTES ({error.limit} bytes)") from None
            except RedirectRefused as error:
                raise SiteError(str(error)) from None
            if marker := wall_marker(response.status, response.headers, response.body):
                raise BotWall(url, response.status, marker)  # retrying a wall only looks more like a bot
            if accept(response.status) or (response.status < 500 and response.status != 429):
                return response
            last_problem = f"{url} answered HTTP {response.status}"
        raise SiteError(last_problem)

    async def page(self, url: str, gone_ok: bool = False) -> str | None:
        """The page's text; with `gone_ok`, None when it answers 404 or 410 (a vehicle listed but gone)."""
        gone = (404, 410) if gone_ok else ()
        response = await self.get(url, accept=lambda status: 200 <= status < 300 or status in gone)
        if response.status in gone:
            return None
        if not response.ok:
            raise SiteError(f"{url} answered HTTP {response.status}")
        return response.text()

    async def robots_allow(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.netloc not in self._robots:
            response = await self.get(
                f"{parts.scheme}://{parts.netloc}/robots.txt", accept=lambda status: status < 500
            )
            parser = None
            if response.ok:  # no robots.txt: everything is allowed
                parser = RobotFileParser()
                parser.parse(response.text().splitlines())
            self._robots[parts.netloc] = parser
        parser = self._robots[parts.netloc]
        return parser is None or parser.can_fetch(USER_AGENT, url)


def site_hosts(start_url: str, extra: list[str]) -> list[str]:
    """The start URL's host, its www./bare twin (a common redirect) and the profile's extra hosts."""
    host = (urlsplit(start_url).hostname or "").lower()
    twin = host[4:] if host.startswith("www.") else f"www.{host}"
    return [twin, *(h.lower() for h in extra)]


def _unique(vehicles: list[Vehicle], skipped: list[dict]) -> list[Vehicle]:
    """Listed twice across pages: keep the first."""
    unique, keys = [], set()
    for vehicle in vehicles:
        if vehicle.key in keys:
            skipped.append({"reason": "listed twice", "entry": vehicle.key})
            continue
        keys.add(vehicle.key)
        unique.append(vehicle)
    return unique


async def _page_within_budget(site: Site, url: str, warnings: list, log) -> str | None:
    try:
        return await site.page(url)
    except SubrequestsSpent as error:
        return _cut_off(url, error, warnings, log)


class PagesAhead:
    """Listing pages asked for before their turn, at most PAGES_AHEAD at a time, so that a long
    listing's answer time grows with its slowest pages, not with their number. page_numbers.py
    reads how pages are numbered from page 1's URL and its next link. When the pages link to
    numbered pages (a pager's "1 2 3 ... 6"), those are asked for from page 1 on: the site says
    they exist. Without such links they are guessed, once two pages were full and after every full
    page (a listing of two pages or less costs no extra request). A page is used only when the page
    before it links to it; those never used (guesses past the end) are cancelled when the listing ends."""

    def __init__(self, site: Site, max_pages: int):
        self.site, self.max_pages = site, max_pages
        self.numbers: PageNumbers | None = None
        self.asked: dict[str, asyncio.Task] = {}
        self.pager = False  # has a page linked to numbered pages past its next one?
        self.last_linked = 0  # the highest numbered page any page read so far links to

    def ask_after(self, page: int, next_url: str | None, full: bool, html: str, page_url: str) -> None:
        """After reading page `page` (1-based) at `page_url`, whose next link is `next_url`."""
        if page == 1 and next_url:
            self.numbers = page_numbers(self.site.start_url, next_url)
        if not (self.numbers and next_url):
            return
        linked = linked_pages(html, page_url, self.numbers)
        self.pager = self.pager or any(number > page + 1 for number in linked)  # past the next link
        self.last_linked = max(self.last_linked, *linked, 0)
        if self.pager:
            last = min(self.last_linked, page + 1 + PAGES_AHEAD)
        elif full and page >= 2:
            last = page + 1 + PAGES_AHEAD
        else:
            return
        for later in range(page + 2, min(last, self.max_pages) + 1):
            url = self.numbers.url_of(later)
            if url not in self.asked and not self.site.refuse(url):
                self.asked[url] = asyncio.ensure_future(self.site.page(url))

    async def page(self, url: str, warnings: list, log) -> str | None:
        """The page at `url`: the answer asked for ahead, or a request now."""
        asked = self.asked.pop(url, None)
        if asked is None:
            return await _page_within_budget(self.site, url, warnings, log)
        try:
            return await asked
        except SubrequestsSpent as error:
            return _cut_off(url, error, warnings, log)

    async def cancel_the_rest(self, log) -> None:
        if not self.asked:
            return
        for task in self.asked.values():
            task.cancel()
        await asyncio.gather(*self.asked.values(), return_exceptions=True)
        log(f"  ⏩ {len(self.asked)} listing pages asked for ahead lay past the end: not used")
        self.asked.clear()


def _cut_off(url: str, error: Exception, warnings: list, log) -> None:
    warnings.append({"reason": f"listing cut off: {error}", "entry": url[:200]})
    log(f"  ⚠️ Listing cut off at {url[:120]}: the subrequest budget leaves no room for more pages")


async def _read_listing(
    site: Site, profile: dict, first_page: str, memo: PageMemo | None, log
) -> tuple[list, list, list, int, str | None]:
    api_answers, warnings = await read_apis(site, first_page, site.start_url, profile)
    read_page = memo.extract if memo else extract_page
    vehicles, skipped, first_count = [], [], 0
    seen_pages, url = set(), site.start_url
    ahead = PagesAhead(site, profile.get("max_pages", 40))
    try:
        while url and url not in seen_pages and len(seen_pages) < ahead.max_pages:
            seen_pages.add(url)
            page_url = url
            html = first_page if url == site.start_url else await ahead.page(url, warnings, log)
            if html is None:  # the rest of the listing is unread: the scrape counts as cut off
                seen_pages.discard(url)
                break
            reused = memo.reused if memo else 0
            page = read_page(html, url, profile, api_answers if url == site.start_url else None)
            same = ", unchanged since the last scrape" if memo and memo.reused > reused else ""
            counts = f"{len(page.vehicles)} vehicles ({len(page.skipped)} skipped{same})"
            log(f"  📄 Page {len(seen_pages)}: {counts}")
            first_count = first_count or len(page.vehicles)
            vehicles += page.vehicles
            skipped += page.skipped
            warnings += page.warnings
            if len(vehicles) > site.limits.max_vehicles:
                raise SiteError(
                    f"the site listed more than MAX_VEHICLES ({site.limits.max_vehicles}) vehicles "
                    f"by page {len(seen_pages)}; nothing saved"
                )
            url = page.next_url
            if url and (reason := site.refuse(url)):
                warnings.append({"reason": f"next page link not followed: {reason}", "entry": url[:200]})
                log(f"  ⚠️ Next page {url[:120]} is not on the dealer's site: not followed")
                url = None
            ahead.ask_after(len(seen_pages), url, 0 < first_count <= len(page.vehicles), html, page_url)
    finally:
        await ahead.cancel_the_rest(log)
    return vehicles, skipped, warnings, len(seen_pages), url if url not in seen_pages else None


async def _from_sitemaps(site: Site, profile: dict, first_page: str, memo, warnings: list, log) -> list:
    """A listing that showed no vehicle: the vehicles its sitemap's detail addresses name, when the
    profile reads a sitemap (a sitemap can lag behind the stock, so it is never read beside a listing)."""
    if not any(source["kind"] == "sitemap" for source in profile["sources"]):
        return []
    answers = await read_sitemaps(site, profile, site.start_url)
    if not any(answers.values()):
        log("  🗺️ The listing showed no vehicle and the site has no sitemap to read instead")
        return []
    page = (memo.extract if memo else extract_page)(first_page, site.start_url, profile, answers)
    warnings += page.warnings
    log(f"  🗺️ The listing showed no vehicle: {len(page.vehicles)} read from the sitemap's detail addresses")
    return page.vehicles


def gallery_keys(site: Site, vehicles: list[Vehicle], profile: dict) -> set[str]:
    """The vehicles whose photos are their detail page's gallery, read after the scrape (galleries.py):
    every one with a detail page on the dealer's site ("detail"), or those with at most one photo
    in the listing ("auto")."""
    mode = gallery_mode(profile)
    if mode == "listing":
        return set()
    return {
        v.key
        for v in vehicles
        if v.detail_url and not site.refuse(v.detail_url) and (mode == "detail" or len(v.photos) <= 1)
    }


async def _read_detail_pages(site: Site, vehicles: list[Vehicle], profile: dict, skipped: list, log) -> None:
    """With gallery "listing": the profile's detail_pages, read inside the scrape."""
    if gallery_mode(profile) != "listing":
        return
    mode = profile.get("detail_pages", "never")
    need_detail = [
        v
        for v in vehicles
        if v.detail_url
        and not site.refuse(v.detail_url)
        and (mode == "always" or (mode == "if_no_photos" and not v.photos))
    ]
    if not need_detail:
        return
    gate = asyncio.Semaphore(MAX_IN_FLIGHT)

    async def fill(vehicle: Vehicle):
        async with gate:
            try:
                html = await site.page(vehicle.detail_url)
            except BotWall:  # the site started refusing us: never read as a vehicle without photos
                raise
            except SiteError as error:  # one bad detail page costs its photos, not the scrape
                skipped.append({"reason": f"detail page unavailable: {error}", "entry": vehicle.key})
                return
        vehicle.photos = photos_from_detail(html, vehicle.detail_url, profile) or vehicle.photos

    await asyncio.gather(*(fill(v) for v in need_detail))
    log(f"  🔎 Read {len(need_detail)} detail pages for photos")


NOTHING_DISCOVERED = "  🧭 Discovery found no vehicle on the first page either"
REDISCOVER_BELOW = 0.5  # a remembered mapping reading under half the last good count is discovered again


def discovered_profile(first_page: str, start_url: str, log=print, found=None):
    """(profile, what the answer says) that discovery finds (or `found`, found already) on the
    first page, or None."""
    found = found or discover(first_page, start_url)
    if found is None:
        log(NOTHING_DISCOVERED)
        return None
    log(
        f"  🧭 Discovered where the site lists its vehicles: {found.how} ({found.where}), "
        f"{found.vehicles} on page 1"
    )
    about = {"name": "discovered", "discovered": True, "remembered": False, **found.to_json()}
    return normalise_profile(found.profile), about


def apply_discovery(profile: dict, chosen: dict, first_page: str, start_url: str, remembered, log=print):
    """For a profile that falls back to discovery (generic, and the platforms read from the page
    alone): the remembered mapping when there is one, else the one discovered now when the
    profile's own sources find no vehicle on the first page (or a few beside many cards)."""
    if not profile.get("discover"):
        return profile, chosen
    if remembered:
        log(
            f"  🧭 Reading the site with the mapping discovered on {remembered['discovered_at'][:10]} "
            "(remembered)"
        )
        about = {"name": "discovered", "discovered": True, "remembered": True, "evidence": chosen["evidence"]}
        return remembered["profile"], {**chosen, **about}
    page = extract_page(first_page, start_url, profile)  # discovers when the profile's sources fall short
    if page.discovery is None:
        if not page.vehicles:
            log(NOTHING_DISCOVERED)
        return profile, chosen
    profile, about = discovered_profile(first_page, start_url, log, page.discovery)
    return profile, {**chosen, **about}


def choose_profile(profile: dict | None, first_page: str, log=print) -> tuple[dict, dict]:
    """The profile to read the site with, and what the answer says about it: `profile` itself, or
    (None: SITE_PROFILE=auto) the built-in one the first page's platform markers point to."""
    if profile is not None:
        return profile, named_profile(profile.get("name", "custom"))
    detection = detect_platform(first_page)
    if detection.fell_back:
        log(f"  ⚠️ No dealer platform recognised: falling back to 'generic' ({detection.evidence[0]})")
    else:
        log(f"  🔍 Site profile {detection.profile!r} detected: {'; '.join(detection.evidence)}")
    return get_profile(detection.profile), detection.to_json()


async def fetch_inventory(
    http,
    start_url: str,
    profile: dict | None,
    *,
    respect_robots: bool = True,
    limits: ScrapeLimits | None = None,
    memo: PageMemo | None = None,
    remembered: dict | None = None,
    log=print,
) -> Inventory:
    """Read the whole inventory; `profile` None detects the platform from the first page (auto);
    `memo` gives the stored result of pages unchanged since the last scrape; `remembered` is the
    mapping discovery found on an earlier scrape ({"profile", "vehicles", "discovered_at"})."""
    site = Site(http, start_url, profile or {}, limits or ScrapeLimits(), respect_robots, KEPT_AFTER_LISTING)
    if respect_robots and not await site.robots_allow(start_url):
        raise SiteError(f"robots.txt of {urlsplit(start_url).netloc} disallows {start_url}")
    first_page = await site.page(start_url)
    profile, chosen = choose_profile(profile, first_page, log)
    profile, chosen = apply_discovery(profile, chosen, first_page, start_url, remembered, log)
    site.hosts = site_hosts(start_url, profile.get("hosts") or [])
    vehicles, skipped, warnings, pages, unread = await _read_listing(site, profile, first_page, memo, log)
    if chosen.get("remembered") and len(vehicles) < REDISCOVER_BELOW * remembered["vehicles"]:
        log(
            f"  🧭 The remembered mapping read {len(vehicles)} vehicles, far fewer than the last good "
            f"scrape's {remembered['vehicles']}: discovering again"
        )
        if found := discovered_profile(first_page, start_url, log):
            profile, chosen = found[0], {**chosen, **found[1], "rediscovered": True}
            vehicles, skipped, warnings, pages, unread = await _read_listing(
                site, profile, first_page, memo, log
            )
    if not vehicles and not unread:
        vehicles = await _from_sitemaps(site, profile, first_page, memo, warnings, log)
    unique = _unique(vehicles, skipped)
    await _read_detail_pages(site, unique, profile, skipped, log)
    if unread and pages >= profile.get("max_pages", 40):
        log(
            f"  ⚠️ Stopped at the profile's max_pages ({profile.get('max_pages', 40)}); more pages were listed"
        )
    inventory = Inventory(unique, skipped, pages, site.requests, bool(unread), warnings, chosen)
    inventory.pages_unchanged = memo.reused if memo else 0
    inventory.gallery_keys = gallery_keys(site, unique, profile)
    inventory.rules = profile
    if chosen.get("discovered") and unique and not unread:
        inventory.discovered = {"site": start_url, "profile": profile, "vehicles": len(unique)}
    return inventory
