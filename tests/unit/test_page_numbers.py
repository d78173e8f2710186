"""Guessing later listing pages from the first two URLs (dealer_site/page_numbers.py)."""

import pytest

from inventory.dealer_site.page_numbers import linked_pages, page_numbers

CASES = [
    (
        "https://d.example/inventory",
        "https://d.example/inventory?page=2",
        "https://d.example/inventory?page=5",
    ),
    (
        "https://d.example/used?page=1&sort=price",
        "https://d.example/used?page=2&sort=price",
        "https://d.example/used?page=5&sort=price",
    ),
    ("https://d.example/used?start=0", "https://d.example/used?start=24", "https://d.example/used?start=96"),
    (
        "https://d.example/used?type=u",
        "https://d.example/used?type=u&start=24",
        "https://d.example/used?type=u&start=96",
    ),
    ("https://d.example/used/", "https://d.example/used/page/2/", "https://d.example/used/page/5/"),
    ("https://d.example/used/page/1", "https://d.example/used/page/2", "https://d.example/used/page/5"),
]


@pytest.mark.parametrize(("first", "second", "fifth"), CASES)
def test_later_pages_follow_the_one_number_that_moved(first, second, fifth):
    numbers = page_numbers(first, second)
    assert numbers is not None and numbers.url_of(5) == fifth and numbers.url_of(2) == second
    assert (numbers.page_of(fifth), numbers.page_of(second), numbers.page_of(first + "x")) == (5, 2, None)


def test_a_pager_s_links_are_read_as_page_numbers_and_other_links_are_not():
    numbers = page_numbers("https://d.example/used?type=u", "https://d.example/used?type=u&page=2")
    html = (
        "<a href='/used?type=u&amp;page=7'>7</a> <a href=\"/used?page=9\">other search</a> "
        '<a href="https://d.example/used?page=4&type=u">4</a> <a href="/vehicle/L1?page=5">car</a> '
        '<a href="https://other.example/used?type=u&page=8">elsewhere</a> <a href="#page=6">top</a>'
    )
    assert linked_pages(html, "https://d.example/used?type=u", numbers) == {4, 7}


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("https://d.example/inventory", "https://d.example/inventory?cursor=abc"),
        ("https://d.example/inventory?page=3", "https://d.example/inventory?page=2"),
        ("https://d.example/inventory?a=1&b=1", "https://d.example/inventory?a=2&b=2"),
        ("https://d.example/inventory", "https://other.example/inventory?page=2"),
        ("https://d.example/inventory", "http://d.example/inventory?page=2"),
        ("https://d.example/a/1", "https://d.example/b/2"),
        ("https://d.example/used", "https://d.example/new?page=2"),
    ],
)
def test_no_guess_when_the_two_urls_do_not_differ_in_one_rising_number(first, second):
    assert page_numbers(first, second) is None


# --- pages asked for ahead (dealer_site/fetching.py) under an async site with latency ---------------

import asyncio  # noqa: E402
import json  # noqa: E402

from inventory.dealer_site.fetching import PAGES_AHEAD, fetch_inventory  # noqa: E402
from inventory.dealer_site.profiles import PROFILES, load_profile  # noqa: E402
from inventory.net.http import CountingTransport, HttpResponse  # noqa: E402

SITE = "https://d.example"


class PagedSite(CountingTransport):
    """A listing of `pages` pages of `per_page` cards (the Lambert profile's markup) that answers
    each request after `latency_s`; it records what was asked and the most requests at once."""

    def __init__(
        self,
        pages: int,
        per_page: int = 3,
        last_page: int | None = None,
        latency_s: float = 0.05,
        pager: int = 0,  # numbered links to the pages up to this far either side (0: a Next link only)
    ):
        super().__init__()
        self.pages, self.per_page, self.latency_s, self.pager = pages, per_page, latency_s, pager
        self.last_page = per_page if last_page is None else last_page
        self.asked, self.in_flight, self.most_at_once = [], 0, 0

    async def request(self, method, url, headers=None, body=None, timeout_s=15.0, max_bytes=None):
        self.asked.append(url)
        self.in_flight += 1
        self.most_at_once = max(self.most_at_once, self.in_flight)
        try:
            await asyncio.sleep(self.latency_s)
        finally:
            self.in_flight -= 1
        number = int(url.split("page=")[1]) if "page=" in url else 1
        if number > self.pages:
            return HttpResponse(404, b"gone", {"content-type": "text/html"})
        count = self.last_page if number == self.pages else self.per_page
        cards = "".join(self.card(number, n) for n in range(count))
        nav = f'<a rel="next" href="/inventory?page={number + 1}">Next</a>' if number < self.pages else ""
        window = range(max(1, number - self.pager), min(self.pages, number + self.pager) + 1)
        nav += "".join(
            f"<a class='pager-link' href='/inventory?page={n}'>{n}</a>" for n in window if self.pager
        )
        html = f"<html><body><div class='vehicles'>{cards}</div>{nav}</body></html>"
        return HttpResponse(200, html.encode(), {"content-type": "text/html"})

    @staticmethod
    def card(page: int, n: int) -> str:
        stock = f"P{page:02d}N{n:02d}"
        car = {
            "@context": "https://schema.org",
            "@type": "Car",
            "name": "2020 Honda Civic",
            "brand": {"@type": "Brand", "name": "Honda"},
            "model": "Civic",
            "vehicleModelDate": "2020",
            "sku": stock,
            "url": f"{SITE}/vehicle/{stock}",
        }
        return (
            f'<script type="application/ld+json">{json.dumps(car)}</script>'
            f'<div class="vehicle-card" data-stock="{stock}"><h2>2020 Honda Civic</h2></div>'
        )


def read(site: PagedSite):
    profile = load_profile(PROFILES["lambert"])
    return asyncio.run(
        fetch_inventory(site, f"{SITE}/inventory", profile, respect_robots=False, log=lambda _: None)
    )


def test_a_long_listing_is_read_with_later_pages_asked_for_at_once_and_none_lost():
    site = PagedSite(pages=9, last_page=1)
    inventory = read(site)
    assert len(inventory.vehicles) == 8 * 3 + 1 and inventory.pages == 9
    assert site.most_at_once > 2, "later pages should have been asked for while one was read"
    past_the_end = [u for u in site.asked if int(u.split("page=")[1] if "page=" in u else 1) > 9]
    assert len(past_the_end) <= PAGES_AHEAD
    assert len(site.asked) == len(set(site.asked)), "no page is asked for twice"


def test_a_listing_of_two_pages_costs_no_extra_request():
    site = PagedSite(pages=2)
    assert len(read(site).vehicles) == 6
    assert site.asked == [f"{SITE}/inventory", f"{SITE}/inventory?page=2"]


def _page(url: str) -> int:
    return int(url.split("page=")[1]) if "page=" in url else 1


def test_pages_a_pager_links_to_are_asked_for_from_page_one_and_none_past_the_end():
    """A pager that links every page: page 2 and the next PAGES_AHEAD are in flight together, so a
    listing of six pages waits for two pages in a row, as one of two pages does."""
    site = PagedSite(pages=6, pager=10)
    inventory = read(site)
    assert len(inventory.vehicles) == 18 and inventory.pages == 6
    assert site.most_at_once == 5
    assert all(_page(u) <= 6 for u in site.asked) and len(site.asked) == len(set(site.asked))


def test_a_pager_window_is_followed_as_it_moves_and_never_guessed_past():
    site = PagedSite(pages=9, pager=2)
    inventory = read(site)
    assert len(inventory.vehicles) == 27 and inventory.pages == 9
    assert all(_page(u) <= 9 for u in site.asked) and len(site.asked) == len(set(site.asked))
    assert site.most_at_once > 1


def test_a_pager_on_a_listing_of_two_pages_costs_no_extra_request():
    site = PagedSite(pages=2, pager=10)
    assert len(read(site).vehicles) == 6
    assert site.asked == [f"{SITE}/inventory", f"{SITE}/inventory?page=2"]
