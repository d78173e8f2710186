"""Discovery (dealer_site/discovery/): where a page no profile knows keeps its vehicles, what it will
not guess, and the mapping a scrape remembers."""

import asyncio
import json

import pytest

from dev.custom_layouts import CUSTOM_LAYOUT
from dev.dealer_site import DEFAULT_KNOBS, make_vehicle
from inventory.dealer_site.discovery import discover
from inventory.dealer_site.discovery.synonyms import field_for_class, field_for_key, fold
from inventory.dealer_site.extract import extract_page
from inventory.dealer_site.extraction.cards import labelled_value
from inventory.dealer_site.extraction.html_tree import parse_html
from inventory.dealer_site.extraction.numbers import parse_number
from inventory.dealer_site.extraction.script_json import resolve_refs
from inventory.dealer_site.fetching import fetch_inventory
from inventory.dealer_site.profiles import get_profile, load_profile
from inventory.dealer_site.saving import run_scrape
from inventory.net.http import CountingTransport, HttpResponse
from inventory.net.urllib_transport import UrllibHttp
from tests.sqlite_d1 import SqliteD1

URL = "https://cars.dealer.example/inventory"
VINS = ("1HGCM82633A004352", "2T1BURHEXJC034567", "5YJ3E1EA2KF317000")  # valid check digits


def card(vin, price="$18,750", extra=""):
    return (
        f'<div class="unit" data-vin="{vin}"><h3><a href="/cars/{vin}">2019 Honda Civic EX</a></h3>'
        f'<span class="unit-price">{price}</span><ul><li>Mileage: 41,230 mi</li><li>Stock #: B{vin[-4:]}</li>'
        f'{extra}</ul><img src="data:image/gif;base64,R0lGOD" data-src="/p/{vin}/1.jpg"></div>'
    )


def page(body: str) -> str:
    return f"<html><head><title>Cars</title></head><body>{body}</body></html>"


def read(html: str):
    return extract_page(html, URL, get_profile("generic"))


def test_keys_and_class_names_meet_the_synonym_table():
    assert fold("vehicleVin") == "vin" and fold("data-ext-color") == "extcolor" and fold("año") == "ano"
    assert field_for_key("stockNo")[0] == "stock_number" and field_for_key("make_name")[0] == "make"
    assert field_for_key("internetPrice")[1] < field_for_key("price")[1]  # the sale price preferred
    assert field_for_key("msrp") is None and field_for_class("price-was") is None
    assert field_for_class("car-result__price")[0] == "price" and field_for_class("now")[0] == "price"


def test_numbers_as_european_and_north_american_pages_write_them():
    assert parse_number("19.995 €") == 19995 and parse_number("21 490,00 €") == 21490
    assert parse_number("19\u202f995 $") == 19995 and parse_number("45 000 km") == 45000
    assert parse_number("2019 45 000 km") == 2019  # a year before a mileage is not one number


def test_repeated_cards_are_found_with_labelled_values_and_lazy_photos():
    result = read(page("".join(card(vin) for vin in VINS)))
    assert [v.vin for v in result.vehicles] == list(VINS)
    first = result.vehicles[0]
    assert (first.price, first.mileage, first.stock_number) == (18750, 41230, "B4352")
    assert (first.year, first.make, first.model, first.trim) == (2019, "Honda", "Civic", "EX")
    assert first.detail_url == f"https://cars.dealer.example/cars/{VINS[0]}"
    assert first.photos == [f"https://cars.dealer.example/p/{VINS[0]}/1.jpg"]
    assert result.discovery.how == "repeated cards" and "mileage" in result.discovery.rules


def test_inline_state_with_apollo_links_and_an_id_keyed_map():
    cache = {
        "ROOT_QUERY": {"search": {"vehicles": [{"__ref": "Vehicle:1"}, {"__ref": "Vehicle:2"}]}},
        "Vehicle:1": {
            "vin": VINS[0],
            "year": 2003,
            "make": {"__ref": "Make:h"},
            "model": "Accord",
            "pricing": {"salePrice": 6900, "msrp": 9000},
            "images": [{"url": "https://i.example/1.jpg"}],
        },
        "Vehicle:2": {
            "vin": VINS[1],
            "year": 2018,
            "make": {"__ref": "Make:t"},
            "model": "Corolla",
            "pricing": {"salePrice": 15900, "msrp": 19000},
            "images": [],
        },
        "Make:h": {"name": "Honda"},
        "Make:t": {"name": "Toyota"},
    }
    assert resolve_refs(cache)["ROOT_QUERY"]["search"]["vehicles"][0]["make"] == {"name": "Honda"}
    html = page(f"<script>window.__APOLLO_STATE__ = {json.dumps(cache)};</script>")
    result = read(html)
    assert [(v.vin, v.make, v.price) for v in result.vehicles] == [
        (VINS[0], "Honda", 6900),
        (VINS[1], "Toyota", 15900),
    ]
    assert result.vehicles[0].photos == ["https://i.example/1.jpg"]
    assert result.discovery.where.endswith("ROOT_QUERY.search.vehicles")


def test_a_cyclic_cache_does_not_loop():
    cache = {"A:1": {"next": {"__ref": "A:2"}}, "A:2": {"next": {"__ref": "A:1"}}}
    resolved = resolve_refs(cache)
    depth, node = 0, resolved["A:1"]
    while isinstance(node, dict) and "next" in node:
        node, depth = node["next"], depth + 1
    assert depth < 20


COUPON = (
    '<div class="coupon"><h3>Oil change</h3><span class="price">$49.95</span><a href="/s?c={}">Book</a></div>'
)
PART = (
    '<div class="part"><h3>2019 Honda Civic floor mats</h3><p>SKU: 08P17-TBA-11{}</p>'
    '<a href="/p/{}">$129.95</a></div>'
)
FORM = (
    '<form><label>Year <input name="year"></label><label>Make <input name="make"></label>'
    '<label>Price $ <input name="price"></label></form>'
)


@pytest.mark.parametrize(
    "body",
    [
        # a blog post naming one VIN, service coupons with prices and links, parts with SKUs, a form
        f"<article><h1>Reading a VIN</h1><p>Take <code>{VINS[0]}</code>: a 2003 Honda Accord.</p></article>",
        "".join(COUPON.format(i) for i in range(5)),
        "".join(PART.format(i, i) for i in range(5)),
        FORM,
    ],
)
def test_a_page_without_inventory_gives_no_vehicle(body):
    result = read(page(body))
    assert result.vehicles == [] and result.discovery is None


def test_a_vehicle_needs_a_valid_vin_or_a_stock_number_a_price_and_a_year_or_make():
    wrong = "1HGCM82643A004352"  # check digit wrong, and no price on the card
    result = read(page(card(VINS[0]) + card(VINS[1]) + card(wrong, price="Call for price")))
    assert [v.vin for v in result.vehicles] == list(VINS[:2])
    assert any("not shown to be a vehicle" in s["reason"] for s in result.skipped)


def test_labelled_values_read_lists_definition_lists_and_spans():
    tree = parse_html(
        "<div><dl><dt>Mileage</dt><dd>23,410 mi</dd></dl><li><b>Stock #:</b> A1</li>"
        "<p>Année : 2019 · Couleur : Gris</p></div>"
    )
    assert labelled_value(tree, "mileage") == "23,410 mi"
    assert labelled_value(tree, r"stock(?:\s*#)?") == "A1"
    assert labelled_value(tree, "ann[ée]e") == "2019"


def test_the_suggested_profile_loads_and_reads_the_page_it_came_from():
    html = page("".join(card(vin) for vin in VINS))
    found = discover(html, URL)
    profile = load_profile(json.loads(json.dumps(found.profile)))
    assert [v.vin for v in extract_page(html, URL, profile).vehicles] == list(VINS)


def test_a_platform_profile_never_discovers():
    assert read(page("")).vehicles == []
    assert extract_page(page("".join(card(v) for v in VINS)), URL, get_profile("jsonld-only")).vehicles == []


@pytest.mark.parametrize(
    "pager",
    [
        '<ul class="pagination"><li class="page-item"><a class="page-link" href="#">Previous</a></li>'
        '<li class="page-item"><a class="page-link" href="?page=1">1</a></li>'
        '<li class="page-item"><a class="page-link" href="?page=2">Next</a></li></ul>',  # Bootstrap
        '<div class="paging"><a href="?page=1" class="current">1</a> <a href="?page=2">2</a> '
        '<a href="?page=2">Next Page &rsaquo;</a></div>',  # no class at all
        '<nav><a href="?page=1">1</a><a href="?page=2" aria-label="Next page">›</a></nav>',
        '<DIV CLASS="pagination">Page 1 of 3 <A HREF="?page=2">Next &raquo;</A> '
        '<A HREF="?page=3">Last</A></DIV>',
        '<div class="blaettern"><a href="?page=1">Zurück</a> '
        '<a href="?page=2" class="weiter">Weiter</a></div>',
        '<a class="btn" href="/specials">See more specials</a> '
        '<a class="btn" href="?page=2">Load More Vehicles</a>',
        '<button class="load-more" data-next-url="?page=2">Show more</button>',  # no link at all
    ],
)
def test_the_next_page_is_the_link_that_says_next_not_its_neighbours(pager):
    result = read(page("".join(card(vin) for vin in VINS) + pager))
    assert len(result.vehicles) == 3 and result.next_url == URL + "?page=2"


def _special(vin: str, url: str) -> str:
    node = {
        "@type": "Car",
        "name": "Special: 2019 Honda Civic EX",
        "vehicleIdentificationNumber": vin,
        "url": url,
    }
    return f'<script type="application/ld+json">{json.dumps(node)}</script>'


def test_a_listing_s_one_jsonld_special_does_not_hide_its_cards_but_a_detail_page_stays_one_vehicle():
    cards = "".join(card(vin) for vin in VINS)
    listing = read(page(_special(VINS[0], "https://cars.dealer.example/cars/special") + cards))
    assert [v.vin for v in listing.vehicles] == list(VINS) and listing.discovery is not None
    detail_url = "https://cars.dealer.example/cars/1HGCM82633A004352"
    other = "5YJ3E1EA2KF317000"
    similar = "".join(card(vin) for vin in ("2T1BURHEXJC034567", other, "1HGCM82633A004352"))
    detail = extract_page(page(_special(VINS[0], detail_url) + similar), detail_url, get_profile("generic"))
    assert [v.vin for v in detail.vehicles] == [VINS[0]] and detail.discovery is None  # its similar cars


class OnePage(CountingTransport):
    def __init__(self, html: str):
        super().__init__()
        self.html = html

    async def request(self, method, url, headers=None, body=None, timeout_s=15.0, max_bytes=None):
        self.count_request()
        found = url == URL
        return HttpResponse(200 if found else 404, self.html.encode() if found else b"", {})


def test_a_platform_page_its_profile_reads_nothing_of_is_read_by_discovery():
    wordpress = '<meta name="generator" content="WordPress 6.5"><link href="/wp-content/themes/x.css">'
    html = page(wordpress + "".join(card(vin) for vin in VINS))  # a theme's cards, no JSON-LD
    assert extract_page(html, URL, {**get_profile("wordpress"), "discover": False}).vehicles == []
    inventory = asyncio.run(
        fetch_inventory(OnePage(html), URL, None, respect_robots=False, log=lambda *_: None)
    )
    assert [v.vin for v in inventory.vehicles] == list(VINS)
    assert inventory.profile["discovered"] and "generator meta WordPress" in inventory.profile["evidence"]
    assert [v.vin for v in extract_page(html, URL, get_profile("wordpress")).vehicles] == list(VINS)


def _scrape(site, d1):
    return asyncio.run(
        run_scrape(UrllibHttp(), d1, site.site_url + "/inventory", None, trigger="http", log=lambda *_: None)
    )


def test_a_scrape_remembers_the_mapping_and_the_next_one_reads_with_it(site):
    site.set_knobs({**json.loads(json.dumps(DEFAULT_KNOBS)), "layout": CUSTOM_LAYOUT, "vehicle_count": 30})
    d1 = SqliteD1()
    first = _scrape(site, d1)["summary"]
    assert first["found"] == 30 and first["profile"]["remembered"] is False
    [row] = d1.con.execute("SELECT profile, vehicles FROM discovered_profiles").fetchall()
    assert row["vehicles"] == 30
    second = _scrape(site, d1)["summary"]
    assert second["profile"]["remembered"] is True and second["found"] == 30
    assert second["d1RoundTrips"] == first["d1RoundTrips"]  # the mapping comes with the page memo


def test_a_remembered_mapping_reading_under_half_is_discovered_again(site):
    site.set_knobs({**json.loads(json.dumps(DEFAULT_KNOBS)), "layout": CUSTOM_LAYOUT, "vehicle_count": 30})
    d1 = SqliteD1()
    _scrape(site, d1)
    site.set_knobs({**json.loads(json.dumps(DEFAULT_KNOBS)), "layout": "v2", "vehicle_count": 30})
    summary = _scrape(site, d1)["summary"]
    assert summary["profile"]["rediscovered"] is True and summary["found"] == 30
    assert make_vehicle(0).vin in {v for (v,) in d1.con.execute("SELECT vin FROM vehicles").fetchall()}


def _state_and_tiles(state_links: list[str], tile_links: list[str]) -> str:
    vins = ["JF2SKAEC7KH123456", "1GNSKBKC3HR123456"]
    state = [
        {"vin": vin, "stockNumber": f"S{i}", "year": 2019, "make": "Subaru", "model": "Forester",
         "price": 23995, "vdpUrl": link}
        for i, (vin, link) in enumerate(zip(vins, state_links, strict=True))
    ]  # fmt: skip
    tiles = "".join(
        f'<div class="tile"><a href="{link}"><img src="https://img.example/{i}.jpg"></a>'
        f'<h3><a href="{link}">2019 Subaru Forester</a></h3><span class="tile-price">$23,995</span></div>'
        for i, link in enumerate(tile_links)
    )
    return f"<script>dataLayer.push({json.dumps({'vehicles': state})})</script><div>{tiles}</div>"


def test_state_vehicles_take_the_photos_of_the_cards_that_link_to_the_same_pages():
    links = ["/used/a-1", "/used/b-2"]
    found = discover(_state_and_tiles(links, links), URL)
    page = extract_page(_state_and_tiles(links, links), URL, load_profile(found.profile))
    assert [v.photos for v in page.vehicles] == [["https://img.example/0.jpg"], ["https://img.example/1.jpg"]]
    assert "joined by detail_url" in found.rules["photos"]


def test_cards_of_other_vehicles_lend_no_photos():
    html = _state_and_tiles(["/used/a-1", "/used/b-2"], ["/used/x-8", "/used/y-9"])
    found = discover(html, URL)
    assert found.how == "inline state" and len(found.profile["sources"]) == 1
    assert [v.photos for v in extract_page(html, URL, load_profile(found.profile)).vehicles] == [[], []]


@pytest.mark.parametrize(
    "sizes", [("w320", "w2048", "w1024"), ("320", "2048", "1024"), ("320w", "2048w", "1024w")]
)
def test_photo_objects_keyed_by_width_give_the_widest(sizes):
    vins = ["1HGCV1F35MA000101", "5YJ3E1EA7KF000202", "2T3P1RFV2MW001414"]
    vehicles = [
        {"vin": vin, "title": "2021 Honda Accord EX", "price": 25990, "href": f"/cars/{vin}",
         "media": [{size: f"https://img.example/{vin}/{n}/{size}.jpg" for size in sizes} for n in (1, 2)]}
        for vin in vins
    ]  # fmt: skip
    html = f"<script>window.__STATE__ = {json.dumps({'inventory': vehicles})};</script>"
    found = discover(html, URL)
    page = extract_page(html, URL, load_profile(found.profile))
    assert [v.photos for v in page.vehicles] == [
        [f"https://img.example/{vin}/{n}/{sizes[1]}.jpg" for n in (1, 2)] for vin in vins
    ]


@pytest.mark.parametrize(
    "card_attribute, inner_attribute",
    [
        ('data-photos=\'["{0}/1.jpg", "{0}/2.jpg"]\'', ""),
        ("", 'data-gallery="{0}/1.jpg|{0}/2.jpg"'),
        ('data-images="{0}/1.jpg, {0}/2.jpg"', ""),
    ],
)
def test_photos_a_card_lists_in_an_attribute_are_its_photos(card_attribute, inner_attribute):
    vins = ["1HGCV1F35MA000101", "5YJ3E1EA7KF000202", "2T3P1RFV2MW001414"]
    cards = "".join(
        f'<div class="car" data-vin="{vin}" {card_attribute.format("https://img.example/" + vin)}>'
        f'<a href="/used/{vin}"><img src="https://img.example/{vin}/thumb.jpg"></a>'
        f'<h3>2021 Honda Accord EX</h3><span class="price">$25,990</span>'
        f'<div class="slides" {inner_attribute.format("https://img.example/" + vin)}></div></div>'
        for vin in vins
    )
    html = f"<main>{cards}</main>"
    found = discover(html, URL)
    page = extract_page(html, URL, load_profile(found.profile))
    assert [v.photos for v in page.vehicles] == [
        [f"https://img.example/{vin}/1.jpg", f"https://img.example/{vin}/2.jpg"] for vin in vins
    ]


@pytest.mark.parametrize(
    "key", ["G.https://api.d.example/v2/inventory?page={page}&size=2", 'vehicles({{"page":{page}}})']
)
def test_a_cache_entry_named_by_its_request_is_found_again_on_the_next_page(key):
    def page(number: int, vins: list[str]) -> str:
        cars = [
            {"vin": vin, "title": "2021 Honda Accord EX", "price": 25990, "url": f"/cars/{vin}"}
            for vin in vins
        ]
        state = {
            key.format(page=number): {"body": {"results": cars}},
            "G.https://api.d.example/dealer": {"x": 1},
        }
        return f'<script id="app-state" type="application/json">{json.dumps(state)}</script>'

    first = page(1, ["1HGCV1F35MA000101", "5YJ3E1EA7KF000202"])
    profile = load_profile(discover(first, URL).profile)
    second = extract_page(page(2, ["2T3P1RFV2MW001414"]), URL + "?page=2", profile)
    assert [v.vin for v in second.vehicles] == ["2T3P1RFV2MW001414"]
    assert [v.vin for v in extract_page(first, URL, profile).vehicles] == [
        "1HGCV1F35MA000101",
        "5YJ3E1EA7KF000202",
    ]
