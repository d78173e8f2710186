"""Unchanged listing pages are not parsed again (dealer_site/page_memo.py), and nothing else changes."""

import asyncio
import json

import pytest

from dev.dealer_site import DEFAULT_KNOBS
from inventory.dealer_site import page_memo
from inventory.dealer_site.page_memo import PageMemo
from inventory.dealer_site.profiles import get_profile
from inventory.dealer_site.saving import run_scrape
from inventory.net.urllib_transport import UrllibHttp
from tests.sqlite_d1 import SqliteD1

PAGES = 7  # the 150-vehicle demo, 25 a page


@pytest.fixture
def demo(site):
    site.set_knobs(json.loads(json.dumps(DEFAULT_KNOBS)))
    return site


@pytest.fixture
def parsed_pages(monkeypatch):
    """The URL of every page the extraction really parsed."""
    urls = []
    real = page_memo.extract_page

    def counting(html, page_url, profile, api_answers=None):
        urls.append(page_url)
        return real(html, page_url, profile, api_answers)

    monkeypatch.setattr(page_memo, "extract_page", counting)
    return urls


def scrape(site, d1, profile="lambert"):
    result = asyncio.run(
        run_scrape(
            UrllibHttp(),
            d1,
            site.site_url + "/inventory",
            get_profile(profile),
            trigger="test",
            log=lambda *_: None,
        )
    )
    return result["summary"]


def vehicles(d1):
    return d1.rows("SELECT * FROM vehicles ORDER BY vehicle_key")


def test_an_unchanged_site_is_not_parsed_again_and_saves_the_same(demo, parsed_pages):
    d1 = SqliteD1()
    first = scrape(demo, d1)
    before = vehicles(d1)
    assert (len(parsed_pages), first["pagesUnchanged"], first["new"]) == (PAGES, 0, 150)
    again = scrape(demo, d1)
    assert len(parsed_pages) == PAGES  # nothing parsed the second time
    assert (again["pagesUnchanged"], again["found"], again["unchanged"]) == (PAGES, 150, 150)
    assert (again["skipped"], again["warnings"]) == (first["skipped"], first["warnings"])
    assert vehicles(d1) == before


def test_a_changed_page_is_parsed_again_and_its_old_row_goes(demo, parsed_pages):
    d1 = SqliteD1()
    scrape(demo, d1)
    demo.set_knobs({"photos_per_vehicle": 3})
    changed = scrape(demo, d1)
    assert len(parsed_pages) == 2 * PAGES and changed["updated"] == 150
    rows = d1.rows("SELECT page_url FROM listing_page_memo")
    assert len(rows) == PAGES  # one per page: the rows of the old bytes were deleted


def test_another_profile_reads_every_page_again(demo, parsed_pages):
    d1 = SqliteD1()
    scrape(demo, d1, "lambert")
    scrape(demo, d1, "generic")
    assert len(parsed_pages) == 2 * PAGES


def test_a_stored_result_that_cannot_be_read_means_the_page_is_parsed(demo, parsed_pages):
    d1 = SqliteD1()
    scrape(demo, d1)
    d1.con.execute('UPDATE listing_page_memo SET extract = \'{"vehicles": [{"wheels": 4}]}\'')
    again = scrape(demo, d1)
    assert len(parsed_pages) == 2 * PAGES and again["unchanged"] == 150


def test_the_digest_covers_bytes_url_profile_and_api_answers():
    profile = get_profile("lambert")
    base = page_memo.page_digest("<p>a</p>", "https://d.example/inv", profile, None)
    assert base == page_memo.page_digest("<p>a</p>", "https://d.example/inv", profile, None)
    others = [
        page_memo.page_digest("<p>b</p>", "https://d.example/inv", profile, None),
        page_memo.page_digest("<p>a</p>", "https://d.example/inv?page=2", profile, None),
        page_memo.page_digest("<p>a</p>", "https://d.example/inv", {**profile, "max_pages": 2}, None),
        page_memo.page_digest("<p>a</p>", "https://d.example/inv", profile, {1: [{"v": 1}]}),
    ]
    assert base not in others and len(set(others)) == len(others)


def test_keep_lists_every_page_seen_whether_stored_or_fresh():
    memo = PageMemo({"old": "{}"})
    memo.used.add("old")
    memo.fresh["new"] = ("https://d.example/inv", "{}")
    assert memo.keep() == ["new", "old"]
