"""Hostile input, the pure parts (issue 10): redirects checked hop by hop, bounded reads, strict query
parameters, the masked busy error, the photo guard, D1-safe integers, robots.txt retries, MAX_VEHICLES."""

import asyncio
import json

import pytest

from inventory import safe_json
from inventory.api.checks import ApiError, parse_json_body, plain_name, query_int
from inventory.db import retry_when_busy
from inventory.dealer_site.extract import Vehicle
from inventory.dealer_site.fetching import ScrapeLimits, SiteError, fetch_inventory
from inventory.dealer_site.profiles import get_profile
from inventory.dealer_site.saving import plan_save
from inventory.net.http import HttpResponse, RedirectRefused, ResponseTooLarge, get_following_redirects
from inventory.net.urllib_transport import UrllibHttp


class Scripted:
    """A transport answering from a table {url: HttpResponse}; records what was asked."""

    def __init__(self, answers: dict):
        self.answers, self.asked = answers, []

    async def request(self, method, url, headers=None, body=None, timeout_s=15.0, max_bytes=None):
        self.asked.append(url)
        answer = self.answers[url]
        if isinstance(answer, list):
            answer = answer.pop(0)
        return answer


def redirect(to: str) -> HttpResponse:
    return HttpResponse(302, b"", {"location": to})


def no_localhost(url):
    return "localhost refused" if "localhost" in url else None


def test_every_redirect_hop_is_checked_before_it_is_fetched():
    http = Scripted(
        {
            "http://cdn.example/a.jpg": redirect("/b.jpg"),
            "http://cdn.example/b.jpg": redirect("http://localhost/secret"),
            "http://localhost/secret": HttpResponse(200, b"secret"),
        }
    )
    with pytest.raises(RedirectRefused, match="localhost refused"):
        asyncio.run(get_following_redirects(http, "http://cdn.example/a.jpg", check_url=no_localhost))
    assert http.asked == ["http://cdn.example/a.jpg", "http://cdn.example/b.jpg"]


def test_redirects_are_followed_at_most_five_times():
    loop = {f"http://cdn.example/{n}": redirect(f"/{n + 1}") for n in range(10)}
    with pytest.raises(RedirectRefused, match="more than 5"):
        asyncio.run(get_following_redirects(Scripted(loop), "http://cdn.example/0", check_url=no_localhost))
    answer, final = asyncio.run(
        get_following_redirects(
            Scripted({**loop, "http://cdn.example/3": HttpResponse(200, b"ok")}),
            "http://cdn.example/0",
            check_url=no_localhost,
        )
    )
    assert (answer.body, final) == (b"ok", "http://cdn.example/3")


def test_the_urllib_transport_reads_no_more_than_max_bytes_and_follows_no_redirect(site):
    site.set_knobs({"pad_page_bytes": 3_000_000})
    with pytest.raises(ResponseTooLarge):
        asyncio.run(UrllibHttp().request("GET", site.site_url + "/inventory", max_bytes=1_000_000))
    site.set_knobs(
        {"pad_page_bytes": 0, "photo_faults": {"/photos/L10001/1.png": "redirect:/photos/L10001/2.png"}}
    )
    answer = asyncio.run(UrllibHttp().request("GET", site.cdn_url + "/photos/L10001/1.png"))
    assert answer.status == 302 and answer.headers["location"] == "/photos/L10001/2.png"
    site.reset()


def test_a_page_over_max_page_bytes_is_a_site_error_naming_the_limit(site):
    site.set_knobs({"pad_page_bytes": 2_000_000})
    with pytest.raises(SiteError, match="MAX_PAGE_BYTES"):
        asyncio.run(
            fetch_inventory(
                UrllibHttp(),
                site.site_url + "/inventory",
                get_profile("lambert"),
                limits=ScrapeLimits(max_page_bytes=1_000_000),
                log=lambda *_: None,
            )
        )
    site.reset()


def test_more_vehicles_than_max_vehicles_is_a_site_error(site):
    with pytest.raises(SiteError, match="MAX_VEHICLES"):
        asyncio.run(
            fetch_inventory(
                UrllibHttp(),
                site.site_url + "/inventory",
                get_profile("lambert"),
                limits=ScrapeLimits(max_vehicles=100),
                log=lambda *_: None,
            )
        )


def test_robots_txt_gets_the_same_retries_as_pages(site):
    class RobotsFailsOnce(UrllibHttp):
        failed = False

        async def request(self, method, url, **kwargs):
            if url.endswith("/robots.txt") and not self.failed:
                self.failed = True
                return HttpResponse(500, b"oops")
            return await super().request(method, url, **kwargs)

    site.set_knobs({"vehicle_count": 5})
    inventory = asyncio.run(
        fetch_inventory(
            RobotsFailsOnce(), site.site_url + "/inventory", get_profile("lambert"), log=lambda *_: None
        )
    )
    assert len(inventory.vehicles) == 5
    site.reset()


@pytest.mark.parametrize("raw", ["٥", "5_0", "５", "+5", " 5", "5" * 30])
def test_query_integers_are_ascii_digits_only(raw):
    with pytest.raises(ApiError) as error:
        query_int({"page": raw}, "page", 1, 1, 10**25)
    assert error.value.status == 400
    assert query_int({"page": "7"}, "page", 1, 1, 10) == 7


def test_plain_names_are_ascii():
    assert plain_name("thumbnail_2x-wide") and not plain_name("café") and not plain_name("ｐｕｂｌｉｃ")


def test_a_deep_request_body_is_a_400_before_json_loads():
    with pytest.raises(ApiError, match="nested too deeply") as error:
        parse_json_body(b'{"a":' + b"[" * 5000 + b"]" * 5000 + b"}")
    assert error.value.status == 400
    assert parse_json_body(b'{"batchSize": 5}') == {"batchSize": 5}


def test_json_depth_counts_no_brackets_inside_strings():
    assert safe_json.json_depth('{"a": "[[[[{{{{", "b": [1, [2]]}') == 3
    with pytest.raises(safe_json.JsonTooDeep):
        safe_json.loads("[" * 100_000 + "]" * 100_000)


def test_page_json_forgives_raw_newlines_and_trailing_commas_but_not_a_broken_string():
    text = '{"name": "a, ]", "description": "Lifted,\n one owner.", "image": ["1.jpg", "2.jpg",],}'
    assert safe_json.loads_forgiving(text) == {
        "name": "a, ]",  # a comma inside a string is the dealer's text: kept
        "description": "Lifted,\n one owner.",
        "image": ["1.jpg", "2.jpg"],
    }
    with pytest.raises(ValueError, match="delimiter"):  # an unescaped quote is not guessed at
        safe_json.loads_forgiving('{"bed": "6.5" box"}')
    with pytest.raises(safe_json.JsonTooDeep):
        safe_json.loads_forgiving("[" * 1000 + "]" * 1000 + ",")


def test_the_masked_busy_error_of_wrangler_dev_is_retried():
    calls = []

    async def operation():
        calls.append(1)
        if len(calls) == 1:
            raise Exception("D1_ERROR: internal error; reference = 9f3k2j1h0g")
        return "rows"

    async def no_sleep(_):
        pass

    assert asyncio.run(retry_when_busy(operation, sleep=no_sleep, log=lambda *_: None)) == "rows"
    assert len(calls) == 2


def existing_row(n: int, photos: list[str]) -> dict:
    return {
        "id": n,
        "vehicle_key": f"stock:S{n}",
        "status": "active",
        "images": json.dumps(photos),
        "source_images": json.dumps(photos),
        "photo_count": len(photos),
        "content_hash": "old",
    }


def listed(n: int, photos: list[str]) -> Vehicle:
    return Vehicle(stock_number=f"S{n}", make="Ford", model="Focus", year=2019, photos=photos)


def test_the_photo_guard_keeps_lists_when_most_vehicles_lost_their_photos():
    existing = [existing_row(n, [f"http://v/{n}/1.jpg"]) for n in range(10)]
    plan = plan_save([listed(n, []) for n in range(10)], existing)
    assert plan.photo_lists_kept and "10 of the 10" in plan.photo_lists_kept
    assert all(json.loads(row["images"]) == [f"http://v/{row['vehicle_key'][7:]}/1.jpg"] for row in plan.rows)


def test_the_photo_guard_lets_a_few_vehicles_lose_their_photos():
    existing = [existing_row(n, [f"http://v/{n}/1.jpg"]) for n in range(10)]
    found = [listed(n, [] if n < 3 else [f"http://v/{n}/1.jpg"]) for n in range(10)]
    plan = plan_save(found, existing)
    assert plan.photo_lists_kept is None
    emptied = {row["vehicle_key"] for row in plan.rows if not json.loads(row["images"])}
    assert emptied == {"stock:S0", "stock:S1", "stock:S2"}


def test_integers_beyond_2_53_never_reach_d1():
    huge = Vehicle(stock_number="H1", make="Ford", model="Focus", year=2019, mileage=10**300)
    [row] = plan_save([huge], []).rows
    assert row["mileage"] is None and row["year"] == 2019


def test_a_scrape_sends_no_request_to_a_host_that_is_not_the_dealers():
    """A page may name any URL (an API address in a script, say): none is fetched off the dealer's hosts,
    the first request included, whatever the method."""
    from inventory.dealer_site.fetching import Site

    http = Scripted({})
    site = Site(http, "https://dealer.example/inventory", get_profile("generic"), ScrapeLimits())
    for method in ("GET", "POST"):
        with pytest.raises(SiteError, match="not on the dealer's site"):
            asyncio.run(
                site.get("https://evil.example/steal", accept=lambda s: True, method=method, body=b"{}")
            )
    with pytest.raises(SiteError):
        asyncio.run(site.robots_allow("https://evil.example/api"))
    assert http.asked == []


@pytest.mark.parametrize(
    "snippet",
    [
        '<script src="/cdn-cgi/challenge-platform/h/b/scripts/jsd/1/main.js">',
        '<script src="/_Incapsula_Resource?SWJIYLWA=719d34d31c8e">',
    ],
)
def test_protection_scripts_on_an_ordinary_page_are_not_a_wall_but_are_on_a_refusal(snippet):
    from inventory.dealer_site.bot_wall import wall_marker

    page = f"<html><body><h1>Used cars</h1>{snippet}</body></html>".encode()
    assert wall_marker(200, {}, page) is None
    assert wall_marker(403, {}, page)


def test_a_walled_detail_page_stops_the_scrape_instead_of_emptying_a_photo_list(site):
    from inventory.dealer_site.site_errors import BotWall

    class DetailPagesWalled(UrllibHttp):
        async def request(self, method, url, **kwargs):
            if "/vehicle/" in url:
                return HttpResponse(403, b"<script>window._cf_chl_opt={}</script>", {})
            return await super().request(method, url, **kwargs)

    site.set_knobs({"photos_per_vehicle": 0, "vehicle_count": 4})
    with pytest.raises(BotWall):
        asyncio.run(
            fetch_inventory(
                DetailPagesWalled(),
                site.site_url + "/inventory",
                dict(get_profile("lambert"), gallery="listing"),
                log=lambda *_: None,
            )
        )
    site.reset()


@pytest.mark.parametrize("guard_ratio", [0.0, 1.0])
def test_the_photo_guard_is_more_than_half_whatever_the_deactivation_ratio(guard_ratio):
    existing = [existing_row(n, [f"http://v/{n}/1.jpg"]) for n in range(10)]
    emptied_one = [listed(n, [] if n == 0 else [f"http://v/{n}/1.jpg"]) for n in range(10)]
    assert plan_save(emptied_one, existing, guard_ratio).photo_lists_kept is None
    assert plan_save([listed(n, []) for n in range(10)], existing, guard_ratio).photo_lists_kept
