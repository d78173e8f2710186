"""Galleries read from detail pages after the scrape (dealer_site/galleries.py), on the in-process demo
site in its realistic shape: one thumbnail per listing card, the gallery on the detail page."""

import asyncio
import json
import time

import pytest

from dev.dealer_site import index_from_stock, make_vehicle, photo_names
from inventory import db
from inventory.dealer_site.galleries import GalleryReader, read_galleries
from inventory.dealer_site.profiles import get_profile
from inventory.dealer_site.saving import run_scrape
from inventory.net.urllib_transport import UrllibHttp
from inventory.subrequests import Subrequests
from tests.sqlite_d1 import SqliteD1

COUNT = 8


@pytest.fixture
def demo(site):
    site.reset()  # knobs and request counts
    site.set_knobs({"thumbnails_only": True, "vehicle_count": COUNT, "page_size": 5})
    return site


def scrape(site, d1, profile="lambert"):
    result = asyncio.run(
        run_scrape(
            UrllibHttp(), d1, site.site_url + "/inventory", get_profile(profile), trigger="test", log=print
        )
    )
    return result["summary"]


def read(site, d1, limit=1000, **options):
    reader = GalleryReader(
        UrllibHttp(Subrequests(limit)),
        d1,
        site.site_url + "/inventory",
        get_profile("lambert"),
        log=lambda *_: None,
        **options,
    )
    d1.subrequests = reader.http.subrequests
    return asyncio.run(read_galleries(reader))


def rows(d1):
    return {r["stock_number"]: r for r in d1.rows("SELECT * FROM vehicles")}


def gallery_of(site, stock):
    names = photo_names(make_vehicle(index_from_stock(stock)), site.knobs())
    return [f"{site.cdn_url}/photos/{stock}/{name}" for name in names]


def detail_requests(site) -> int:
    return site.stats()["requests"]["detail"]


def test_the_scrape_reads_no_detail_page_and_marks_every_gallery_pending(demo):
    d1 = SqliteD1()
    summary = scrape(demo, d1)
    assert detail_requests(demo) == 0
    assert summary["galleriesDue"] == COUNT
    assert (summary["vendorUrlsQueued"], summary["vehiclesWithVendorUrls"]) == (0, 0)  # stand-ins wait
    assert {r["gallery"] for r in rows(d1).values()} == {"pending"}
    assert all(len(json.loads(r["images"])) == 1 for r in rows(d1).values())


def test_the_galleries_replace_the_thumbnails_and_a_rescrape_reads_none_again(demo):
    d1 = SqliteD1()
    scrape(demo, d1)
    summary = read(demo, d1)
    assert (summary["read"], summary["due"], detail_requests(demo)) == (COUNT, COUNT, COUNT)
    for row in rows(d1).values():
        assert json.loads(row["source_images"]) == json.loads(row["images"]) != []
        assert row["gallery"] == "read" and "?w=" not in row["images"]
    again = scrape(demo, d1)
    assert (again["unchanged"], again["galleriesDue"]) == (COUNT, 0)
    assert read(demo, d1)["due"] == 0 and detail_requests(demo) == COUNT


def test_a_changed_listing_gets_its_detail_page_read_once(demo):
    d1 = SqliteD1()
    scrape(demo, d1)
    read(demo, d1)
    stock = next(iter(rows(d1)))
    demo.set_knobs({"reverse_photos": [stock]})  # the thumbnail changes: the listing shows the change
    changed = scrape(demo, d1)
    assert changed["updated"] == 1 and changed["galleriesDue"] == 1
    assert rows(d1)[stock]["gallery"] == "stale"
    assert read(demo, d1)["read"] == 1 and detail_requests(demo) == COUNT + 1
    assert read(demo, d1)["due"] == 0


def test_a_gallery_that_changed_keeps_every_uploaded_id_that_still_applies(demo):
    d1 = SqliteD1()
    scrape(demo, d1)
    read(demo, d1)
    stock, row = next(iter(rows(d1).items()))
    sources = json.loads(row["source_images"])
    uploaded = {url: f"id-{n}" for n, url in enumerate(sources)}
    for url, image_id in uploaded.items():
        d1.con.execute(
            "INSERT INTO images (source_url, image_id, vehicle_id, state, updated_at) "
            "VALUES (?, ?, ?, 'uploaded', 'now')",
            (url, image_id, row["id"]),
        )
    d1.con.execute(
        "UPDATE vehicles SET images = ? WHERE id = ?", (json.dumps(list(uploaded.values())), row["id"])
    )
    # The dealer drops photo 2, adds one at the front, and the listing's thumbnail changes with it.
    demo.set_knobs({"drop_photos": {stock: [2]}, "insert_photo": {stock: 0}})
    scrape(demo, d1)
    summary = read(demo, d1)
    after = rows(d1)[stock]
    new_sources, images = json.loads(after["source_images"]), json.loads(after["images"])
    assert new_sources == gallery_of(demo, stock)
    assert images == [uploaded.get(url, url) for url in new_sources]  # ids kept at their new places
    assert images[0].startswith("http") and "new-1" in images[0]  # the new photo enters as its URL
    removed = d1.rows("SELECT source_url, image_id FROM photo_removals")
    assert removed == [{"source_url": sources[1], "image_id": "id-1"}]
    assert (summary["photosAdded"], summary["photosRemoved"]) == (1, 1)


def test_a_detail_page_that_is_gone_is_recorded_as_listed_but_gone(demo):
    d1 = SqliteD1()
    scrape(demo, d1)
    stock = next(iter(rows(d1)))
    d1.con.execute(
        "UPDATE vehicles SET detail_url = ? WHERE stock_number = ?", (demo.site_url + "/vehicle/NOPE", stock)
    )
    summary = read(demo, d1)
    assert summary["gone"] == 1 and rows(d1)[stock]["gallery"] == "gone"
    assert "listed but gone" in rows(d1)[stock]["gallery_error"]


def test_a_failing_detail_page_is_counted_and_tried_again_next_run(demo):
    d1 = SqliteD1()
    scrape(demo, d1)
    demo.set_knobs({"site_status": 503})
    summary = read(demo, d1)
    assert summary["failed"] == COUNT and {r["gallery"] for r in rows(d1).values()} == {"pending"}
    assert {r["gallery_attempts"] for r in rows(d1).values()} == {1}
    demo.set_knobs({"site_status": None})
    assert read(demo, d1)["read"] == COUNT


def test_a_small_subrequest_budget_reads_some_galleries_and_leaves_the_rest(demo):
    d1 = SqliteD1()
    scrape(demo, d1)
    budget = 20
    first = read(demo, d1, limit=budget)
    assert 0 < first["read"] < COUNT and first["subrequests"] <= budget
    assert "subrequest budget" in first["stoppedBecause"]
    total = first["read"]
    for _ in range(5):
        total += read(demo, d1, limit=budget)["read"]
    assert total == COUNT and {r["gallery"] for r in rows(d1).values()} == {"read"}


def test_the_processor_leaves_a_pending_stand_in_alone_until_the_fallback_time(demo):
    d1 = SqliteD1()
    scrape(demo, d1)
    now = time.time()
    fresh_cutoff = db.gallery_cutoff(6, now)  # pending for seconds: not yet given up on
    assert asyncio.run(db.vehicles_with_work(d1, int(now * 1000), 50, gallery_cutoff=fresh_cutoff)) == []
    ids = [r["id"] for r in d1.rows("SELECT id FROM vehicles")]
    assert all(r["images"] == "[]" for r in asyncio.run(db.vehicles_by_ids(d1, ids, fresh_cutoff)))
    later = db.gallery_cutoff(6, now + 7 * 3600)  # seven hours on, the gallery still unread
    assert len(asyncio.run(db.vehicles_with_work(d1, int(now * 1000), 50, gallery_cutoff=later))) == COUNT
    assert len(asyncio.run(db.vehicles_for_jobs(d1, None, later))) == COUNT


def test_galleries_read_are_not_taken_for_lost_photos_when_the_listing_shows_none(demo):
    d1 = SqliteD1()
    demo.set_knobs({"photos_per_vehicle": 3, "thumbnails_only": False})
    scrape(demo, d1)  # listing photos first: gallery "listing"
    demo.set_knobs({"photos_per_vehicle": 0})
    emptied = scrape(demo, d1)  # the photo guard keeps the lists; no photo left: galleries are due
    assert emptied["photoListsKept"] and emptied["galleriesDue"] == COUNT
    demo.set_knobs({"photos_per_vehicle": 3})
    read(demo, d1)
    demo.set_knobs({"photos_per_vehicle": 0})  # the galleries are read; the listing still shows none
    again = scrape(demo, d1)  # the lists are galleries now: not lost listing photos (this crashed)
    assert again["photoListsKept"] is None
    read(demo, d1)  # the listing's view changed once since the guard's scrape: read again, once
    settled = scrape(demo, d1)
    assert (settled["photoListsKept"], settled["galleriesDue"], settled["unchanged"]) == (None, 0, COUNT)
    assert {r["gallery"] for r in rows(d1).values()} == {"read"}


def test_a_vehicle_that_starts_waiting_for_its_gallery_keeps_the_list_it_had(demo):
    d1 = SqliteD1()
    demo.set_knobs({"photos_per_vehicle": 3, "thumbnails_only": False})
    scrape(demo, d1, profile="jsonld-only")  # no gallery rules: the listing's three photos
    before = {stock: row["source_images"] for stock, row in rows(d1).items()}
    demo.set_knobs({"photos_per_vehicle": 0})
    scrape(demo, d1)  # lambert (auto): no photo in the listing, so the gallery is due
    after = rows(d1)
    assert {r["gallery"] for r in after.values()} == {"pending"}
    assert {stock: row["source_images"] for stock, row in after.items()} == before
