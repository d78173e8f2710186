"""The listing feeds under CPython: written from rows as D1 gives them, parsed back with a real XML
parser and the csv module, field by field; what a feed requires and lacks leaves a vehicle out with
its reason."""

import asyncio
import csv
import io
import json
import xml.etree.ElementTree as ElementTree

import pytest

from inventory.storefront import feeds
from inventory.storefront.feeds import FeedSettings

G = "{http://base.google.com/ns/1.0}"
SETTINGS = FeedSettings(
    account_hash="hash",
    delivery_base="https://img.test",
    variant="large",
    store_code="STORE-1",
    dealer_name="Example Motors",
    address=("12 Example Road", "Springfield", "IL", "62701", "US"),
    site_url="https://dealer.example",
)


def row(n: int, **changes) -> dict:
    base = {
        "id": n,
        "vin": "1HGCM82633A004352",
        "vin_valid": 1,
        "stock_number": f"S{n:03d}",
        "year": 2021,
        "make": "Honda",
        "model": "Accord",
        "trim": "EX & <Sport>",
        "price": 23500.0,
        "mileage": 41200,
        "exterior_color": 'Blue, "Aegean"',
        "detail_url": f"https://dealer.example/used/{n}?from=list",
        "featured": 0,
        "images": json.dumps([f"lambert-{n}-a", f"lambert-{n}-b", "https://cdn.example/c.jpg"]),
        "status": "active",
        "first_seen_at": "2026-11-01T00:00:00Z",
        "updated_at": "2026-11-02T00:00:00Z",
    }
    return {**base, **changes}


async def rows_of(rows):
    for one in rows:
        yield one


def written(writer, rows, settings=SETTINGS) -> tuple[str, int]:
    async def collect():
        return [chunk async for chunk in writer(rows_of(rows), settings)]

    chunks = asyncio.run(collect())
    return "".join(chunks), len(chunks)


def google_items(text: str) -> list:
    channel = ElementTree.fromstring(text).find("channel")
    assert channel.find("title").text == "Example Motors" and channel.find("link").text == SETTINGS.site_url
    return channel.findall("item")


def test_google_items_hold_every_required_attribute_in_its_format():
    text, chunks = written(feeds.google_feed, [row(1), row(2, price=19999.5, mileage=0)])
    assert chunks == 4  # head, one chunk per vehicle, tail: written as the rows come
    first, second = google_items(text)
    value = lambda item, name: item.find(G + name).text  # noqa: E731
    assert value(first, "id") == "1" and value(first, "title") == "2021 Honda Accord EX & <Sport>"
    assert value(first, "link") == "https://dealer.example/used/1?from=list"
    assert value(first, "link_template") == "https://dealer.example/used/1?from=list&store={store_code}"
    assert value(first, "image_link") == "https://img.test/hash/lambert-1-a/large"
    assert [e.text for e in first.findall(G + "additional_image_link")] == [
        "https://img.test/hash/lambert-1-b/large"
    ]
    assert (value(first, "price"), value(second, "price")) == ("23500.00 USD", "19999.50 USD")
    assert (value(first, "mileage"), value(second, "mileage")) == ("41200 miles", "0 miles")
    assert (value(first, "brand"), value(first, "model"), value(first, "year")) == ("Honda", "Accord", "2021")
    assert (value(first, "vin"), value(first, "condition")) == ("1HGCM82633A004352", "used")
    assert value(first, "google_product_category") == "916" and value(first, "store_code") == "STORE-1"
    fulfillment = first.find(G + "vehicle_fulfillment")
    assert (value(fulfillment, "option"), value(fulfillment, "store_code")) == ("in_store", "STORE-1")
    assert value(first, "color") == 'Blue, "Aegean"' and "41,200 miles" in value(first, "description")


def test_meta_rows_hold_every_required_column_in_its_format():
    text, _ = written(feeds.meta_feed, [row(1), row(2, exterior_color="Red")])
    reader = list(csv.DictReader(io.StringIO(text)))
    assert reader[0].keys() == set(feeds.META_COLUMNS) and len(reader) == 2
    first = reader[0]
    assert first["vehicle_id"] == "1" and first["title"] == "2021 Honda Accord EX & <Sport>"
    assert (first["make"], first["model"], first["year"], first["vin"]) == (
        "Honda",
        "Accord",
        "2021",
        row(1)["vin"],
    )
    assert (first["mileage.value"], first["mileage.unit"], first["price"]) == ("41200", "MI", "23500 USD")
    assert (first["state_of_vehicle"], first["body_style"], first["availability"]) == (
        "USED",
        "OTHER",
        "AVAILABLE",
    )
    assert first["exterior_color"] == 'Blue, "Aegean"'  # a comma and quotes survive the CSV round trip
    assert [first[f"address.{p}"] for p in feeds.META_ADDRESS_PARTS] == list(SETTINGS.address)
    assert first["image[0].url"] == "https://img.test/hash/lambert-1-a/large" and first["image[0].tag[0]"]
    assert first["image[1].url"].endswith("/lambert-1-b/large") and first["image[2].url"] == ""
    assert first["url"] == row(1)["detail_url"] and first["dealer_name"] == "Example Motors"


LEFT_OUT = [
    ({"price": None}, "no price"),
    ({"price": 0}, "no price"),
    ({"vin": None}, "no valid VIN"),
    ({"vin_valid": 0}, "no valid VIN"),
    ({"detail_url": None}, "no link to its page"),
    ({"model": None}, "no model"),
    ({"mileage": None}, "no mileage"),
    ({"images": "[]"}, "no photos"),
    (
        {"images": json.dumps(["https://cdn.example/a.jpg"])},
        "photos not yet on Cloudflare (FEED_VENDOR_PHOTOS is off)",
    ),
]


@pytest.mark.parametrize(("changes", "reason"), LEFT_OUT, ids=[r for _, r in LEFT_OUT])
def test_a_vehicle_missing_a_required_field_is_left_out_of_both_feeds_with_its_reason(changes, reason):
    rows = [row(1), row(2, **changes)]
    assert [item.find(G + "id").text for item in google_items(written(feeds.google_feed, rows)[0])] == ["1"]
    assert [r["vehicle_id"] for r in csv.DictReader(io.StringIO(written(feeds.meta_feed, rows)[0]))] == ["1"]
    counts = asyncio.run(feeds.feed_counts(rows_of(rows), SETTINGS))
    for name in ("google", "meta"):
        assert counts[name]["included"] == 1 and counts[name]["leftOut"] == 1
        assert counts[name]["reasons"] == {reason: {"vehicles": 1, "examples": [2]}}


def test_vendor_photos_are_shown_only_when_the_setting_allows_them():
    vendor_only = row(1, images=json.dumps(["https://cdn.example/a.jpg", "lambert-x"]))
    text, _ = written(feeds.google_feed, [vendor_only])
    assert google_items(text)[0].find(G + "image_link").text == "https://img.test/hash/lambert-x/large"
    allowed = FeedSettings(**{**SETTINGS.__dict__, "vendor_photos": True})
    text, _ = written(feeds.google_feed, [vendor_only], allowed)
    assert google_items(text)[0].find(G + "image_link").text == "https://cdn.example/a.jpg"


def test_settings_a_feed_needs_leave_every_vehicle_out_saying_which():
    bare = FeedSettings(account_hash="hash", delivery_base="https://img.test")
    counts = asyncio.run(feeds.feed_counts(rows_of([row(1), row(2)]), bare))
    assert counts["google"]["reasons"] == {
        "no store code (GOOGLE_STORE_CODE is not set)": {"vehicles": 2, "examples": [1, 2]}
    }
    assert list(counts["meta"]["reasons"]) == ["no dealer address (DEALER_ADDRESS is not set)"]


def test_text_xml_cannot_hold_is_dropped_and_markup_is_escaped():
    hostile = row(1, model="Accord\x00\x1b</g:model><script>", trim="]]><!--")
    [item] = google_items(written(feeds.google_feed, [hostile])[0])
    assert item.find(G + "model").text == "Accord</g:model><script>"
    assert item.find(G + "trim").text == "]]><!--"


def test_a_feed_of_5000_vehicles_is_written_vehicle_by_vehicle():
    text, chunks = written(feeds.meta_feed, [row(n) for n in range(1, 5001)])
    assert chunks == 5001 and len(list(csv.DictReader(io.StringIO(text)))) == 5000
