"""The read API and the feeds under workerd after a scrape of the demo's 150 vehicles and their
uploads: every sort and filter paged through against D1, a repeated read answered by the Workers
cache with no D1 round trip, a price cut seen by the next read, ETags, CORS for the configured dealer
origin only; both feeds parsed back (a real XML parser, the csv module) field by field against D1."""

import csv
import io
import json
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ElementTree

import pytest

from dev.client import all_entries, site_knobs, wait_for, wait_until_quiet
from tests.settings import TEST_PROCESSOR_VARS

DEALER_ORIGIN = TEST_PROCESSOR_VARS["ALLOWED_ORIGINS"]


def get(url: str, headers: dict | None = None, method: str = "GET") -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


@pytest.fixture(scope="module")
def inventory(stack, api, database):
    """The demo's 150 vehicles, each photo uploaded, scraped once for the whole module."""
    wait_until_quiet(stack, api, database)
    database.clear()
    site_knobs(stack, api, photos_per_vehicle=2, vehicle_count=150)
    status, body = api.call("POST", stack.scraper_url + "/api/scrape", {"handoff": "binding"}, timeout=60)
    assert status == 200 and body["found"] == 150, body
    entries = lambda: all_entries(database)  # noqa: E731
    wait_for(lambda: entries() and not any(e.startswith("http") for e in entries()), 240, "every upload")
    wait_until_quiet(stack, api, database)
    return stack


def read_all(base: str, **params) -> list[dict]:
    vehicles, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        status, _, body = get(base + "/api/vehicles?" + urllib.parse.urlencode(query))
        assert status == 200, body
        page = json.loads(body)
        vehicles += page["vehicles"]
        cursor = page["nextCursor"]
        if cursor is None:
            assert page["total"] == len(vehicles)
            return vehicles


def in_d1_order(database, where: str, sort: str, descending: bool) -> list[int]:
    """The ids D1 holds for a filter, in the sort the API promises (missing values last)."""
    rows = database.rows(f"SELECT id, price, year, mileage, updated_at FROM vehicles WHERE {where}")
    column = {"updated": "updated_at"}.get(sort, sort)
    known = sorted((r for r in rows if r[column] is not None), key=lambda r: (r[column], r["id"]))
    unknown = sorted(r["id"] for r in rows if r[column] is None)
    if descending:
        known.reverse()
        unknown.reverse()
    return [r["id"] for r in known] + unknown


@pytest.mark.parametrize("sort", ["price", "year", "mileage", "updated"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_every_sort_pages_through_all_150_vehicles_in_d1_order(inventory, database, sort, order):
    got = read_all(inventory.scraper_url, sort=sort, order=order, limit=100)
    assert len(got) == 150
    assert [v["id"] for v in got] == in_d1_order(database, "status = 'active'", sort, order == "desc")


FILTERS = [
    ({"make": "toyota"}, "lower(make) = 'toyota'"),
    ({"model": "Civic"}, "model = 'Civic'"),
    ({"yearMin": "2019", "yearMax": "2022"}, "year BETWEEN 2019 AND 2022"),
    ({"priceMin": "25000", "priceMax": "35000"}, "price BETWEEN 25000 AND 35000"),
    ({"mileageMax": "40000"}, "mileage <= 40000"),
    ({"q": "honda ex"}, "make = 'Honda' AND (trim LIKE '%EX%' OR model LIKE '%EX%')"),
]


@pytest.mark.parametrize(("params", "where"), FILTERS, ids=[json.dumps(f[0]) for f in FILTERS])
def test_each_filter_gives_what_d1_holds_for_it(inventory, database, params, where):
    got = read_all(inventory.scraper_url, **params, sort="price", order="asc", limit=7)
    expected = in_d1_order(database, f"status = 'active' AND {where}", "price", False)
    assert expected, f"the demo should hold vehicles for {params}"
    assert [v["id"] for v in got] == expected


def test_photos_are_cloudflare_urls_in_the_asked_variant(inventory, database):
    [vehicle] = json.loads(get(inventory.scraper_url + "/api/vehicles?limit=1&variant=thumbnail")[2])[
        "vehicles"
    ]
    [row] = database.rows("SELECT images FROM vehicles WHERE id = ?", (vehicle["id"],))
    hashed = f"{inventory.images_url}/local-hash"
    assert vehicle["photos"] == [
        {"url": f"{hashed}/{entry}/thumbnail", "onCloudflare": True} for entry in json.loads(row["images"])
    ]


def test_a_second_read_reaches_no_d1_and_a_price_cut_is_seen_by_the_next(inventory, api, database):
    stack, url = inventory, inventory.scraper_url + "/api/vehicles?sort=price&order=asc&limit=99"
    status, first, body = get(url)
    assert status == 200 and first["x-cache"] == "MISS" and first["x-d1-round-trips"] in ("1", "2"), first
    status, again, cached = get(url)
    assert (again["x-cache"], again["x-d1-round-trips"], cached) == ("HIT", "0", body)
    assert again["etag"] == first["etag"] and "max-age=" in again["cache-control"]
    assert get(url, {"If-None-Match": first["etag"]})[0] == 304

    [cheapest] = json.loads(body)["vehicles"][:1]
    site_knobs(stack, api, prices={cheapest["stockNumber"]: 1234})
    status, scraped = api.call("POST", stack.scraper_url + "/api/scrape", {"handoff": "none"}, timeout=60)
    assert status == 200 and scraped["updated"] == 1, scraped
    status, after, fresh = get(url)
    assert after["x-cache"] == "MISS" and after["etag"] != first["etag"]
    now_first = json.loads(fresh)["vehicles"][0]
    assert (now_first["id"], now_first["price"]) == (cheapest["id"], 1234)
    [row] = database.rows("SELECT price FROM vehicles WHERE id = ?", (cheapest["id"],))
    assert row["price"] == 1234 and get(url, {"If-None-Match": first["etag"]})[0] == 200


def test_one_vehicle_by_vin_and_by_id_and_404s_that_say_why(inventory, database):
    [row] = database.rows("SELECT id, vin FROM vehicles WHERE vin_valid = 1 ORDER BY id LIMIT 1")
    base = inventory.scraper_url + "/api/vehicles/"
    by_vin = json.loads(get(base + row["vin"].lower())[2])["vehicle"]
    by_id = json.loads(get(base + str(row["id"]))[2])["vehicle"]
    assert by_vin == by_id and by_vin["vin"] == row["vin"]
    status, _, body = get(base + "99999999")
    assert status == 404 and json.loads(body)["success"] is False
    status, _, body = get(base + "not-a-vin")
    assert status == 400 and "VIN" in json.loads(body)["error"]


@pytest.mark.parametrize(
    "query", ["colour=red", "limit=101", "limit=0", "priceMin=abc", "cursor=Zm9yZ2Vk", "sort=colour"]
)
def test_a_bad_query_is_a_400_naming_the_problem_before_d1_is_asked(inventory, query):
    status, headers, body = get(inventory.scraper_url + "/api/vehicles?" + query)
    assert status == 400 and query.split("=")[0] in json.loads(body)["error"], body
    assert "x-d1-round-trips" not in headers


def test_cors_answers_the_dealer_origin_only_and_never_on_admin_routes(inventory):
    url = inventory.processor_url + "/api/vehicles?limit=1"
    _, allowed, _ = get(url, {"Origin": DEALER_ORIGIN})
    _, other, _ = get(url, {"Origin": "https://elsewhere.example"})
    assert allowed["access-control-allow-origin"] == DEALER_ORIGIN and "origin" in allowed["vary"].lower()
    assert "access-control-allow-origin" not in other
    status, preflight, _ = get(
        url, {"Origin": DEALER_ORIGIN, "Access-Control-Request-Method": "GET"}, "OPTIONS"
    )
    assert status == 204 and preflight["access-control-allow-origin"] == DEALER_ORIGIN
    assert "GET" in preflight["access-control-allow-methods"]
    status, admin, _ = get(inventory.processor_url + "/api/image-status", {"Origin": DEALER_ORIGIN})
    assert "access-control-allow-origin" not in admin
    status, _, _ = get(inventory.processor_url + "/api/image-status", {"Origin": DEALER_ORIGIN}, "OPTIONS")
    assert status == 405
    # on the scraper no origin is configured: no CORS at all
    _, scraper, _ = get(inventory.scraper_url + "/api/vehicles?limit=1", {"Origin": DEALER_ORIGIN})
    assert "access-control-allow-origin" not in scraper


G = "{http://base.google.com/ns/1.0}"


def feed_rows(database) -> dict[int, dict]:
    return {r["id"]: r for r in database.rows("SELECT * FROM vehicles WHERE status = 'active'")}


def delivery(stack, entry: str) -> str:
    return f"{stack.images_url}/local-hash/{entry}/public"


def test_both_feeds_list_each_vehicle_field_by_field_as_d1_holds_it(inventory, database):
    stack, rows = inventory, feed_rows(database)
    listable = {i for i, r in rows.items() if r["vin_valid"] and r["price"] and r["exterior_color"]}
    assert 100 < len(listable) < len(rows), "the demo holds both listable vehicles and bad VINs"
    status, headers, body = get(stack.processor_url + "/api/feeds/google.xml")
    assert status == 200 and headers["content-type"].startswith("application/xml") and headers["etag"]
    items = ElementTree.fromstring(body).find("channel").findall("item")
    assert {int(item.find(G + "id").text) for item in items} == listable
    for item in items:
        row = rows[int(item.find(G + "id").text)]
        value = lambda name: item.find(G + name).text  # noqa: B023, E731
        photos = [delivery(stack, e) for e in json.loads(row["images"])]
        assert (value("vin"), value("brand"), value("model"), value("year")) == (
            row["vin"],
            row["make"],
            row["model"],
            str(row["year"]),
        )
        assert value("price") == f"{row['price']:.2f} USD" and value("mileage") == f"{row['mileage']} miles"
        assert value("link") == row["detail_url"] and value("store_code") == "LAMBERT-1"
        assert [value("image_link")] + [e.text for e in item.findall(G + "additional_image_link")] == photos

    status, headers, body = get(stack.processor_url + "/api/feeds/meta.csv")
    assert status == 200 and headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(body.decode())))
    assert {int(line["vehicle_id"]) for line in lines} == listable
    for line in lines:
        row = rows[int(line["vehicle_id"])]
        assert (line["vin"], line["make"], line["model"], line["exterior_color"]) == (
            row["vin"],
            row["make"],
            row["model"],
            row["exterior_color"],
        )
        assert (line["mileage.value"], line["mileage.unit"]) == (str(row["mileage"]), "MI")
        assert line["price"] == f"{row['price']:.0f} USD" and line["address.city"] == "Springfield"
        photos = [delivery(stack, e) for e in json.loads(row["images"])]
        assert [line[f"image[{n}].url"] for n in range(len(photos))] == photos


def test_a_vehicle_with_no_price_is_left_out_and_the_status_says_why(inventory, database):
    stack = inventory
    [row] = database.rows(
        "SELECT id FROM vehicles WHERE vin_valid = 1 AND status = 'active' ORDER BY id LIMIT 1"
    )
    with database.connect() as con:
        con.execute("UPDATE vehicles SET price = NULL WHERE id = ?", (row["id"],))

    def status_with_reason():
        status, _, body = get(stack.processor_url + "/api/feeds/status")
        assert status == 200
        google = json.loads(body)["feeds"]["google"]
        return google if "no price" in google["reasons"] else None

    # A write from outside the Workers (this test's SQLite) is seen within the cached version's 5 s.
    google = wait_for(status_with_reason, 15, "the status to see the missing price")
    assert row["id"] in google["reasons"]["no price"]["examples"]
    total = len(feed_rows(database))
    assert google["included"] + google["leftOut"] == total
    items = ElementTree.fromstring(get(stack.processor_url + "/api/feeds/google.xml")[2]).find("channel")
    assert str(row["id"]) not in {item.find(G + "id").text for item in items.findall("item")}
    assert len(items.findall("item")) == google["included"]


def test_a_feed_answers_304_while_the_inventory_is_unchanged(inventory):
    url = inventory.processor_url + "/api/feeds/meta.csv"
    status, headers, _ = get(url)
    assert status == 200
    assert get(url, {"If-None-Match": headers["etag"]})[0] == 304
    assert get(url + "?x=1")[0] == 400
