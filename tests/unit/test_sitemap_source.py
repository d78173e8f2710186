"""The `sitemap` source: a listing that shows no vehicle is read from the sitemap's detail addresses
(DealerInspire's built-in profile reads its inventory sitemap that way), and never beside a listing."""

import asyncio

import pytest

from inventory.dealer_site.extraction.json_api import page_values
from inventory.dealer_site.fetching import fetch_inventory
from inventory.dealer_site.profiles import get_profile, load_profile
from inventory.net.http import CountingTransport, HttpResponse

SITE = "https://www.birchfieldhonda.example"
VDPS = [
    ("2HGFC2F59KH123456", "used-2019-honda-civic-lx-fwd-4d-sedan"),
    ("2T3P1RFV3MW123456", "certified-2021-toyota-rav4-xle-awd"),
    ("1C4RJFAG1LC123456", "used-2020-jeep-grand-cherokee-limited-4x4"),
]
# A DealerInspire listing rendered in the browser: the page holds no vehicle and no search settings.
EMPTY_LISTING = (
    '<html><head><link rel="stylesheet" href="/wp-content/themes/dealerinspire/style.css"></head>'
    '<body><div id="hits"></div><script>var DealerInspire = {"page": "srp"};</script></body></html>'
)
CARD_LISTING = EMPTY_LISTING.replace(
    '<div id="hits"></div>',
    '<div id="hits"><div class="vehicle-card" data-vin="2HGFC2F59KH123456" data-make="Honda" '
    'data-model="Civic" data-year="2019"><h3 class="vehicle-title"><a href="/inventory/x/">Civic</a></h3>'
    "</div></div>",
)


def sitemap(*urls: str, index: bool = False) -> bytes:
    tag, item = ("sitemapindex", "sitemap") if index else ("urlset", "url")
    entries = "".join(f"<{item}><loc>{url}</loc></{item}>" for url in urls)
    return f'<?xml version="1.0"?><{tag} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</{tag}>'.encode()


class SitemapSite(CountingTransport):
    """A dealer site with a sitemap index, an inventory sitemap and a page sitemap."""

    def __init__(self, listing: str = EMPTY_LISTING, robots: str = ""):
        super().__init__()
        self.listing, self.robots, self.asked = listing, robots, []

    async def request(self, method, url, headers=None, body=None, timeout_s=15.0, max_bytes=None):
        self.asked.append(url)
        xml = {"content-type": "application/xml"}
        if url.endswith("/robots.txt"):
            return HttpResponse(
                200 if self.robots else 404, self.robots.encode(), {"content-type": "text/plain"}
            )
        if url.endswith("/sitemap_index.xml"):
            children = (f"{SITE}/page-sitemap.xml", f"{SITE}/inventory-sitemap.xml")
            return HttpResponse(200, sitemap(*children, index=True), xml)
        if url.endswith("/inventory-sitemap.xml"):
            vdps = [f"{SITE}/inventory/{slug}-{vin.lower()}/" for vin, slug in VDPS]
            return HttpResponse(200, sitemap(f"{SITE}/inventory/", *vdps, f"{SITE}/about-us/"), xml)
        if url.endswith("/page-sitemap.xml"):
            return HttpResponse(200, sitemap(f"{SITE}/inventory/used-2018-not-a-vehicle/"), xml)
        return HttpResponse(200, self.listing.encode(), {"content-type": "text/html"})


def scrape(http) -> object:
    profile = get_profile("dealer-inspire")
    return asyncio.run(fetch_inventory(http, f"{SITE}/used-vehicles/", profile, log=lambda *_: None))


def test_a_listing_without_vehicles_is_read_from_the_inventory_sitemap():
    http = SitemapSite()
    inventory = scrape(http)
    got = [(v.vin, v.year, v.make, v.model, v.detail_url) for v in inventory.vehicles]
    assert got == [
        ("2HGFC2F59KH123456", 2019, "Honda", "Civic", f"{SITE}/inventory/{VDPS[0][1]}-2hgfc2f59kh123456/"),
        ("2T3P1RFV3MW123456", 2021, "Toyota", "RAV4", f"{SITE}/inventory/{VDPS[1][1]}-2t3p1rfv3mw123456/"),
        (
            "1C4RJFAG1LC123456",
            2020,
            "Jeep",
            "Grand Cherokee",
            f"{SITE}/inventory/{VDPS[2][1]}-1c4rjfag1lc123456/",
        ),
    ]
    assert f"{SITE}/page-sitemap.xml" not in http.asked  # only the index's inventory sitemaps are read
    # Their photos are their detail pages' galleries, read after the scrape answers.
    assert inventory.gallery_keys == {v.key for v in inventory.vehicles}


def test_a_listing_with_vehicles_never_reads_the_sitemap():
    http = SitemapSite(listing=CARD_LISTING)
    inventory = scrape(http)
    assert [v.vin for v in inventory.vehicles] == ["2HGFC2F59KH123456"]
    assert not [url for url in http.asked if "sitemap" in url]


def test_a_sitemap_robots_txt_disallows_is_not_read():
    http = SitemapSite(robots="User-agent: *\nDisallow: /sitemap_index.xml\n")
    inventory = scrape(http)
    assert inventory.vehicles == []
    assert not [url for url in http.asked if "sitemap" in url]


def test_a_sitemap_source_must_name_the_vin_or_stock_number_in_its_address():
    bad = {
        "name": "x",
        "sources": [{"kind": "sitemap", "url": "/sitemap.xml", "detail_url": r"/(?P<year>\d{4})-"}],
    }
    with pytest.raises(ValueError, match="vin or stock_number"):
        load_profile(bad)


@pytest.mark.parametrize(
    "settings",
    [
        '{"app_id": "EXAMPLEAPP0", "search_api_key": "example-key", "index_name": "birchfield_inventory"}',
        '{"searchServiceId": "EXAMPLEAPP0", "searchServiceKey": "example-key", '
        '"algoliaIndex": "birchfield_inventory"}',
    ],
)
def test_dealer_inspire_reads_the_search_settings_under_their_other_names(settings):
    algolia = next(s for s in get_profile("dealer-inspire")["sources"] if s["kind"] == "json_api")
    values, missing = page_values(f"<script>var inventorySettings = {settings};</script>", algolia)
    assert missing == []
    assert (values["app_id"], values["key"], values["index"]) == (
        "EXAMPLEAPP0",
        "example-key",
        "birchfield_inventory",
    )
