"""Extraction from the demo dealer site's pages (served in-process) and from hand-written snippets."""

import asyncio
import json

import pytest

from dev.dealer_site import BAD_CHECK_DIGIT_INDEXES, DEFAULT_KNOBS, make_vehicle
from inventory.dealer_site.extract import clean_photo_urls, extract_page, parse_number
from inventory.dealer_site.fetching import SiteError, fetch_inventory
from inventory.dealer_site.profiles import get_profile
from inventory.net.urllib_transport import UrllibHttp


@pytest.fixture
def demo(site):
    site.set_knobs(json.loads(json.dumps(DEFAULT_KNOBS)))  # a deep copy of the defaults
    return site


def scrape(site, profile="lambert", **options):
    return asyncio.run(
        fetch_inventory(
            UrllibHttp(), site.site_url + "/inventory", get_profile(profile), log=lambda *_: None, **options
        )
    )


def test_demo_inventory_is_read_whole_with_fields_and_photo_order(demo):
    inventory = scrape(demo)
    assert len(inventory.vehicles) == 150
    assert [s["reason"] for s in inventory.skipped] == ["no VIN or stock number"]
    first = inventory.vehicles[0]
    truth = make_vehicle(0)
    assert (first.vin, first.stock_number, first.year, first.make, first.model, first.trim) == (
        truth.vin,
        truth.stock,
        truth.year,
        truth.make,
        truth.model,
        truth.trim,
    )
    assert first.price == float(truth.price) and first.mileage == truth.mileage
    assert first.exterior_color == truth.colour and first.featured == truth.featured
    assert first.photos == [
        f"{demo.cdn_url}/photos/{truth.stock}/{n}.png" for n in range(1, truth.photo_count + 1)
    ]
    assert first.detail_url == f"{demo.site_url}/vehicle/{truth.stock}"


def test_the_demo_listing_is_read_without_an_html_tree(demo, monkeypatch):
    # Its cards give only their own attributes: the start tags hold them, no tree is needed.
    def no_tree(*_):
        raise AssertionError("an HTML tree was built")

    monkeypatch.setattr("inventory.dealer_site.extract.parse_page", no_tree)
    inventory = scrape(demo)
    assert len(inventory.vehicles) == 150
    assert sum(v.featured for v in inventory.vehicles) == sum(make_vehicle(i).featured for i in range(150))


def test_invalid_vins_are_kept_but_flagged(demo):
    vehicles = scrape(demo).vehicles
    flagged = [v.stock_number for v in vehicles if not v.vin_valid]
    assert flagged == [make_vehicle(i).stock for i in BAD_CHECK_DIGIT_INDEXES]


def test_duplicate_photo_urls_are_dropped_in_order(demo):
    vehicle = scrape(demo).vehicles[3]
    assert len(vehicle.photos) == len(set(vehicle.photos)) == make_vehicle(3).photo_count


def test_featured_comes_from_the_html_cards(demo):
    assert sum(v.featured for v in scrape(demo).vehicles) == sum(make_vehicle(i).featured for i in range(150))


def test_changed_layout_finds_nothing_rather_than_garbage(demo):
    demo.set_knobs({"layout": "v2"})
    inventory = scrape(demo)
    assert inventory.vehicles == []


def test_site_down_raises_site_error_naming_the_status(demo):
    demo.set_knobs({"site_status": 503})
    with pytest.raises(SiteError, match="503"):
        scrape(demo)


def test_robots_txt_is_honoured_and_can_be_switched_off(demo):
    demo.set_knobs({"robots_disallow": True})
    with pytest.raises(SiteError, match="robots.txt"):
        scrape(demo)
    assert len(scrape(demo, respect_robots=False).vehicles) == 150


def test_jsonld_only_profile_reads_graph_and_itemlist_pages(demo):
    vehicles = scrape(demo, profile="jsonld-only").vehicles
    assert len(vehicles) == 150 and all(v.photos for v in vehicles)


def test_product_with_offer_and_relative_urls():
    html = """<script type="application/ld+json">[{"@type": ["Product", "Car"],
      "name": "2019 Mazda CX-5 Touring",
      "vehicleIdentificationNumber": "jm3kfbcm1k0123456", "sku": "S9", "brand": "Mazda",
      "model": {"name": "CX-5"}, "offers": [{"@type": "Offer", "price": 21500}],
      "image": [{"@type": "ImageObject", "contentUrl": "/p/1.jpg"},
      "ftp://x/2.jpg", "/p/1.jpg", "https://cdn.example/3.jpg"]}]</script>
      <script type="application/ld+json">{not json</script>"""
    page = extract_page(html, "https://dealer.example/inventory", get_profile("jsonld-only"))
    (vehicle,) = page.vehicles
    assert (
        vehicle.year == 2019
        and vehicle.make == "Mazda"
        and vehicle.model == "CX-5"
        and vehicle.price == 21500
    )
    assert vehicle.vin == "JM3KFBCM1K0123456"
    assert vehicle.photos == ["https://dealer.example/p/1.jpg", "https://cdn.example/3.jpg"]
    assert len(page.skipped) == 1 and "does not parse" in page.skipped[0]["reason"]


def test_small_parsers():
    assert parse_number("$23,995") == 23995.0
    assert parse_number("call us") is None
    assert clean_photo_urls(["a.jpg", "a.jpg", "javascript:x", " b.jpg "], "http://h/x/") == [
        "http://h/x/a.jpg",
        "http://h/x/b.jpg",
    ]


def test_hostile_numbers_and_nesting_are_skipped_not_fatal():
    assert parse_number(float("nan")) is None and parse_number(float("inf")) is None
    deep = "[" * 5000 + "]" * 5000
    page = extract_page(
        f'<script type="application/ld+json">{deep}</script>', "http://h/", get_profile("jsonld-only")
    )
    assert page.vehicles == [] and "does not parse" in page.skipped[0]["reason"]
    assert clean_photo_urls(["Http://CDN.example/a.jpg"], "http://h/") == ["http://CDN.example/a.jpg"]


def test_a_listing_cut_off_at_max_pages_deactivates_nothing(demo):
    from inventory.dealer_site.saving import plan_save

    profile = dict(get_profile("lambert"), max_pages=2)
    inventory = asyncio.run(
        fetch_inventory(UrllibHttp(), demo.site_url + "/inventory", profile, log=lambda *_: None)
    )
    assert inventory.truncated and len(inventory.vehicles) == 48
    existing = [
        {
            "id": i,
            "vehicle_key": f"stock:X{i}",
            "status": "active",
            "images": "[]",
            "source_images": "[]",
            "photo_count": 0,
            "content_hash": "",
        }
        for i in range(10)
    ]
    plan = plan_save(inventory.vehicles, existing, complete=not inventory.truncated)
    assert plan.deactivate_ids == [] and "max_pages" in plan.deactivation_refused


def test_a_broken_detail_page_costs_its_photos_not_the_scrape(demo):
    from inventory.net.http import HttpResponse

    class OneDetailPageBroken(UrllibHttp):
        async def request(self, method, url, **kwargs):
            if url.endswith("/vehicle/L10002"):
                return HttpResponse(500, b"down")
            return await super().request(method, url, **kwargs)

    demo.set_knobs({"photos_per_vehicle": 0, "vehicle_count": 3})
    profile = dict(get_profile("lambert"), gallery="listing", detail_pages="always")
    inventory = asyncio.run(
        fetch_inventory(OneDetailPageBroken(), demo.site_url + "/inventory", profile, log=lambda *_: None)
    )
    assert len(inventory.vehicles) == 3
    assert [s["entry"] for s in inventory.skipped if s["reason"].startswith("detail page unavailable")] == [
        inventory.vehicles[1].key
    ]
