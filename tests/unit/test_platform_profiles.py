"""SITE_PROFILE=auto, bot walls, the json_api source and dealer groups, against the demo site served
in-process (its platform layouts and challenge knob) and hand-written pages."""

import asyncio
import json
from pathlib import Path
from urllib.request import urlopen

import pytest

from dev.dealer_site import DEFAULT_KNOBS, make_vehicle
from dev.platform_layouts import PLATFORM_LAYOUTS, algolia_hit, challenge_page
from inventory.dealer_site.bot_wall import wall_marker
from inventory.dealer_site.detection import detect_platform
from inventory.dealer_site.extract import extract_page
from inventory.dealer_site.extraction.json_api import page_values
from inventory.dealer_site.fetching import BotWall, ScrapeLimits, Site, fetch_inventory
from inventory.dealer_site.profiles import get_profile, load_profile
from inventory.dealer_site.site_errors import SiteError
from inventory.net.http import CountingTransport, HttpResponse
from inventory.net.urllib_transport import UrllibHttp


@pytest.fixture
def demo(site):
    site.set_knobs(json.loads(json.dumps(DEFAULT_KNOBS)))  # a deep copy of the defaults
    return site


def scrape(url: str, profile=None, http=None):
    return asyncio.run(fetch_inventory(http or UrllibHttp(), url, profile, log=lambda *_: None))


@pytest.mark.parametrize("layout", PLATFORM_LAYOUTS)
def test_auto_reads_each_platform_layout_whole(demo, layout):
    demo.set_knobs({"layout": layout, "vehicle_count": 30})
    inventory = scrape(demo.site_url + "/inventory")
    chosen = inventory.profile
    assert chosen["name"] == layout and chosen["detected"] and chosen["evidence"]
    assert [v.stock_number for v in inventory.vehicles] == [make_vehicle(i).stock for i in range(30)]
    last, truth = inventory.vehicles[-1], make_vehicle(29)
    assert (
        last.vin,
        last.year,
        last.make,
        last.model,
        last.trim,
        last.price,
        last.mileage,
        last.exterior_color,
    ) == (
        truth.vin,
        truth.year,
        truth.make,
        truth.model,
        truth.trim,
        truth.price,
        truth.mileage,
        truth.colour,
    )
    photos = [f"{demo.cdn_url}/photos/{truth.stock}/{n}.png" for n in range(1, truth.photo_count + 1)]
    assert last.photos == photos


def test_auto_reads_the_lambert_layout_as_lambert(demo):
    inventory = scrape(demo.site_url + "/inventory")
    assert inventory.profile["name"] == "lambert" and len(inventory.vehicles) == 150


def test_a_page_of_an_unknown_platform_falls_back_to_generic_and_says_so():
    page = "<html><head><title>Our cars</title></head><body><p>Call (555) 555-0123</p></body></html>"
    detection = detect_platform(page)
    assert (detection.profile, detection.fell_back) == ("generic", True)
    assert "falling back to generic" in detection.sentence()


def test_a_named_profile_is_not_detected(demo):
    inventory = scrape(demo.site_url + "/inventory", get_profile("generic"))
    assert inventory.profile == {
        "name": "generic",
        "detected": False,
        "fallback": False,
        "evidence": ["SITE_PROFILE names 'generic'"],
    }


@pytest.mark.parametrize(
    "challenge, status",
    [("cloudflare", 403), ("cloudflare", 503), ("akamai", 403), ("cloudflare", 200), ("akamai", 200)],
)
def test_a_challenge_page_is_a_bot_wall_never_an_empty_inventory(demo, challenge, status):
    demo.set_knobs({"challenge": challenge, "challenge_status": status})
    listings_before = demo.stats()["requests"]["listing"]
    with pytest.raises(BotWall) as wall:
        scrape(demo.site_url + "/inventory")
    assert wall.value.status == status and wall.value.marker
    assert demo.stats()["requests"]["listing"] == listings_before + 1  # a wall is not retried


def test_the_cloudflare_header_alone_marks_a_wall():
    assert wall_marker(403, {"cf-mitigated": "challenge"}, b"") == "Cloudflare header cf-mitigated: challenge"


def test_a_captcha_counts_only_on_a_refusing_status():
    page = b'<form><div class="g-recaptcha" data-sitekey="x"></div></form>'
    assert wall_marker(200, {}, page) is None  # a contact form's captcha on an ordinary page
    assert wall_marker(429, {}, page) == "reCAPTCHA widget"


def test_an_ordinary_page_is_no_wall():
    body, _ = challenge_page("cloudflare")
    assert wall_marker(200, {}, body.encode()) is not None
    assert wall_marker(200, {}, b"<html><title>Just a moment of your time</title></html>") is None


# ----- json_api ----------------------------------------------------------------------------------

API_PROFILE = {
    "name": "cedar-valley-api",
    "sources": [
        {
            "kind": "json_api",
            "url": "/api/widget/ws-inv-data/getInventory",
            "method": "POST",
            "body": {
                "siteId": "{site_id}",
                "inventoryParameters": {"start": "{offset}"},
                "pageSize": "{size}",
            },
            "values": {"site_id": r"\"siteId\":\s*\"(\w+)\""},
            "paging": {"by": "offset", "size": 2, "total": "pageInfo.totalCount"},
            "vehicles": "inventory",
            "fields": {
                "vin": "vin",
                "stock_number": "stockNumber",
                "year": "year",
                "make": "make",
                "model": "model",
                "price": "pricing.retailPrice",
                "detail_url": {"path": "link", "type": "url"},
                "photos": "images[*].uri",
                "store_id": "accountId",
            },
        }
    ],
}
SITE = "https://www.cedarvalleymotors.example"
CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "dealer-pages"
API_VEHICLES = [
    {
        "vin": vin,
        "stockNumber": f"CV{n}",
        "year": 2023,
        "make": "Toyota",
        "model": "Camry",
        "pricing": {"retailPrice": "27,990"},
        "link": f"/used/{n}.htm",
        "accountId": account,
        "images": [{"uri": f"https://pictures.dealer.com/c/cv/{n}/1.jpg?impolicy=downsize&w=360"}],
    }
    for n, (vin, account) in enumerate(
        [("4T1G11AK3PU100934", "cv"), ("5YFB4MDE0PP101257", "cvh"), ("1GNSKCKD3PR100417", "cv")]
    )
]


class InventoryApiSite(CountingTransport):
    """A transport answering the listing page, robots.txt and a paged POST inventory API."""

    def __init__(self):
        super().__init__()
        self.calls = []

    async def request(self, method, url, headers=None, body=None, timeout_s=15.0, max_bytes=None):
        self.calls.append((method, url, json.loads(body) if body else None, dict(headers or {})))
        if url.endswith("/robots.txt"):
            return HttpResponse(404)
        if url.endswith("/getInventory"):
            start = int(json.loads(body)["inventoryParameters"]["start"])
            answer = {
                "inventory": API_VEHICLES[start : start + 2],
                "pageInfo": {"totalCount": len(API_VEHICLES)},
            }
            return HttpResponse(200, json.dumps(answer).encode(), {"content-type": "application/json"})
        page = '<script>DDC.dataLayer["site"] = {"siteId": "cedarvalley"};</script>'
        return HttpResponse(200, page.encode(), {"content-type": "text/html"})


def test_a_json_api_source_posts_its_body_template_and_pages_to_the_total():
    http = InventoryApiSite()
    inventory = scrape(f"{SITE}/used-inventory/index.htm", load_profile(API_PROFILE), http)
    assert [v.vin for v in inventory.vehicles] == [v["vin"] for v in API_VEHICLES]
    assert inventory.vehicles[0].price == 27990 and inventory.vehicles[0].detail_url == f"{SITE}/used/0.htm"
    posts = [call for call in http.calls if call[0] == "POST"]
    assert [p[2] for p in posts] == [
        {"siteId": "cedarvalley", "inventoryParameters": {"start": start}, "pageSize": 2} for start in (0, 2)
    ]
    assert all(p[3]["User-Agent"].startswith("LambertInventorySync") for p in posts)


def test_a_json_api_whose_page_values_are_missing_is_not_called():
    http = InventoryApiSite()
    profile = load_profile(
        {**API_PROFILE, "sources": [{**API_PROFILE["sources"][0], "values": {"site_id": r"nowhere=(\w+)"}}]}
    )
    inventory = scrape(f"{SITE}/used-inventory/index.htm", profile, http)
    assert inventory.vehicles == [] and "site_id" in inventory.warnings[0]["reason"]
    assert not [call for call in http.calls if call[0] == "POST"]


def test_a_json_api_source_with_a_bad_paging_is_refused():
    source = {**API_PROFILE["sources"][0], "paging": {"by": "cursor", "size": 2, "total": "x"}}
    with pytest.raises(ValueError, match="paging.by must be offset or page"):
        load_profile({"sources": [source]})


# ----- dealer groups -----------------------------------------------------------------------------


def test_keep_store_keeps_only_one_store_of_a_group():
    http = InventoryApiSite()
    profile = load_profile({**API_PROFILE, "keep_store": "cv"})
    inventory = scrape(f"{SITE}/used-inventory/index.htm", profile, http)
    assert [v.vin for v in inventory.vehicles] == ["4T1G11AK3PU100934", "1GNSKCKD3PR100417"]
    assert inventory.skipped == [
        {"reason": "another store's vehicle (store id cvh, keeping cv)", "entry": "5YFB4MDE0PP101257"}
    ]


def test_keep_store_on_a_builtin_platform_profile_reads_the_platform_store_id():
    html = (CORPUS / "ddc-builtin-listing.html").read_text(encoding="utf-8")
    page = extract_page(
        html,
        f"{SITE}/used-inventory/index.htm",
        load_profile({**get_profile("dealer-com"), "keep_store": "cedarvalleyhonda"}),
    )
    assert [v.stock_number for v in page.vehicles] == ["CV2209"]


def test_extract_with_profile_auto_explains_the_choice(capsys):
    from inventory.dealer_site.extract_cli import main

    assert main([str(CORPUS / "dealeron-builtin-srp.html"), "--profile", "auto", "--explain"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["profileChosen"]["name"] == "dealeron" and result["profileChosen"]["fallback"] is False
    assert "script global sdDataLayer" in result["profileChosen"]["evidence"]
    assert [v["vin"] for v in result["vehicles"]] == ["4T1G11AK3PU100934", "5YFB4MDE0PP101257"]


# ----- the platforms' inventory APIs: Dealer.com getInventory, DealerInspire's Algolia ------------


@pytest.mark.parametrize("layout, api_requests", [("dealer-com", 3), ("dealer-inspire", 2)])
def test_an_api_layout_lists_one_page_and_the_rest_is_only_in_its_api(demo, layout, api_requests):
    demo.set_knobs({"layout": layout, "vehicle_count": 130})
    with urlopen(demo.site_url + "/inventory") as answer:
        page = extract_page(answer.read().decode(), demo.site_url + "/inventory", get_profile(layout))
    assert len(page.vehicles) == 24 and page.next_url is None
    before = demo.stats()["requests"]["api"]
    inventory = scrape(demo.site_url + "/inventory")
    assert [v.stock_number for v in inventory.vehicles] == [make_vehicle(i).stock for i in range(130)]
    assert demo.stats()["requests"]["api"] - before == api_requests  # 50 (Dealer.com), 100 (Algolia) a time


INSPIRE_PAGE = (CORPUS / "inspire-algolia-cards.html").read_text(encoding="utf-8")
INSPIRE_URL = (CORPUS / "inspire-algolia-cards.url").read_text(encoding="utf-8").strip()
ALGOLIA_QUERY = (
    "https://EXAMPLEAPP0-dsn.algolia.net/1/indexes/lakeshorecdjr_production_inventory_low_to_high/query"
    "?x-algolia-application-id=EXAMPLEAPP0&x-algolia-api-key=example-search-only-key"
)


class AlgoliaSite(CountingTransport):
    """A transport answering the DealerInspire page, robots.txt and an Algolia index query (150 hits)."""

    def __init__(self, page: str = INSPIRE_PAGE):
        super().__init__()
        self.page, self.calls = page, []

    async def request(self, method, url, headers=None, body=None, timeout_s=15.0, max_bytes=None):
        self.calls.append((method, url, json.loads(body) if body else None))
        if url.endswith("/robots.txt"):
            return HttpResponse(404)
        if "/1/indexes/" not in url:
            return HttpResponse(200, self.page.encode(), {"content-type": "text/html"})
        query = json.loads(body)
        size, page = query["hitsPerPage"], query["page"]
        vehicles = map(make_vehicle, range(page * size, min(150, (page + 1) * size)))
        hits = [algolia_hit(v, [f"https://images.lakeshore.example/{v.stock}/1.jpg"]) for v in vehicles]
        answer = {"hits": hits, "nbHits": 150, "page": page, "nbPages": -(-150 // size), "hitsPerPage": size}
        return HttpResponse(200, json.dumps(answer).encode(), {"content-type": "application/json"})


def test_dealer_inspire_queries_the_algolia_index_the_page_names_page_by_page():
    http = AlgoliaSite()
    inventory = scrape(INSPIRE_URL, None, http)
    assert inventory.profile["name"] == "dealer-inspire"
    posts = [(url, body) for method, url, body in http.calls if method == "POST"]
    assert posts == [(ALGOLIA_QUERY, {"query": "", "hitsPerPage": 100, "page": page}) for page in (0, 1)]
    by_vin = {v.vin: v for v in inventory.vehicles}
    truth = make_vehicle(149)
    last = by_vin[truth.vin]
    assert (last.stock_number, last.year, last.make, last.price, last.mileage) == (
        truth.stock,
        truth.year,
        truth.make,
        truth.price,
        truth.mileage,
    )
    assert last.detail_url == f"https://www.lakeshorecdjr.example/vehicle/{truth.stock}"
    assert last.photos == [f"https://images.lakeshore.example/{truth.stock}/1.jpg"]
    assert all(make_vehicle(i).vin in by_vin for i in range(150))


@pytest.mark.parametrize(
    "search_host", ["https://search.elsewhere.example", "https://algolia.net.elsewhere.example"]
)
def test_a_search_host_off_the_dealers_site_and_off_algolia_is_refused(search_host):
    page = INSPIRE_PAGE.replace('{"appId"', f'{{"searchHost": "{search_host}", "appId"', 1)
    http = AlgoliaSite(page)
    with pytest.raises(SiteError, match="refused"):
        scrape(INSPIRE_URL, None, http)
    assert not [call for call in http.calls if call[0] == "POST"]


def test_the_algolia_pattern_admits_algolias_subdomains_only():
    site = Site(None, INSPIRE_URL, get_profile("dealer-inspire"), ScrapeLimits())
    assert site.refuse("https://EXAMPLEAPP0-dsn.algolia.net/1/indexes/x/query") is None
    assert site.refuse("https://lakeshorecdjr.example/used-vehicles/") is None
    for url in ("https://algolia.net/", "https://evilalgolia.net/", "https://algolia.net.evil.example/"):
        assert site.refuse(url), url


@pytest.mark.parametrize("pattern", ["*", "*.net", "cdn.*.example.com", "**.algolia.net", "*algolia.net"])
def test_a_host_pattern_is_every_subdomain_of_one_domain_only(pattern):
    with pytest.raises(ValueError, match="pattern"):
        load_profile({"sources": [{"kind": "jsonld"}], "hosts": ["pictures.example", pattern]})


def test_a_json_api_value_the_page_lacks_takes_its_default_filled_with_the_others():
    source = load_profile(get_profile("dealer-inspire"))["sources"][0]
    values, missing = page_values('{"appId": "ABC123", "apiKey": "k", "indexName": "i"}', source)
    assert missing == [] and values["search_host"] == "https://ABC123-dsn.algolia.net"
    values, missing = page_values('{"apiKey": "k"}', source)
    assert missing == ["app_id", "index"]


def test_a_json_api_that_would_answer_more_than_memory_allows_is_refused_after_its_first_page():
    class HugeInventory(InventoryApiSite):
        async def request(self, method, url, **kwargs):
            answer = await super().request(method, url, **kwargs)
            if url.endswith("/getInventory"):  # a million vehicles claimed, 300 kB an answer: 40 x 300 kB
                data = json.loads(answer.body)
                data["pageInfo"]["totalCount"], data["padding"] = 1_000_000, "x" * 300_000
                return HttpResponse(200, json.dumps(data).encode(), answer.headers)
            return answer

    http = HugeInventory()
    with pytest.raises(SiteError, match="MAX_PAGE_BYTES"):  # 12 MB would be held, over 2 x 5 MB
        scrape(f"{SITE}/used-inventory/index.htm", load_profile(API_PROFILE), http)
    assert sum(1 for call in http.calls if call[0] == "POST") == 1


def test_algolia_settings_mark_dealerinspire_only_when_they_search_an_inventory_index():
    inventory = '<script>var s = {"algoliaAppId": "APP1", "indexName": "lake_production_inventory"};</script>'
    site_search = '<script>var s = {"ALGOLIA_APP_ID": "APP1", "index": "lake_site_pages"};</script>'
    assert detect_platform(f"<html>{inventory}</html>").profile == "dealer-inspire"
    assert detect_platform(f"<html>{site_search}</html>").profile == "generic"  # a site search of its pages
