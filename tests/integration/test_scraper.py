"""lambert-scraper under workerd against the demo dealer site (dev/dealer_site.py)."""

import json

from dev.client import logged, site_knobs, wait_for
from dev.dealer_site import BAD_CHECK_DIGIT_INDEXES, make_vehicle

SNAPSHOT_SQL = (
    "SELECT vehicle_key, vin, stock_number, year, make, model, trim, price, mileage, exterior_color, "
    "detail_url, featured, images, source_images, status, content_hash, updated_at FROM vehicles "
    "ORDER BY vehicle_key"
)


def scrape(stack, api, expect=200):
    status, body = api.call("POST", stack.scraper_url + "/api/scrape", {})
    assert status == expect, body
    return body


def test_scrape_stores_every_vehicle_with_its_fields_and_photo_order(fresh, api, database):
    stack = fresh
    site_knobs(stack, api, photos_per_vehicle=0)  # no photos: no hand-off races this test
    body = scrape(stack, api)  # how fast it answers is a benchmark's business (npm run bench)
    assert (body["found"], body["new"], body["skipped"], body["deactivated"]) == (150, 150, 1, 0)
    assert body["skippedEntries"][0]["reason"] == "no VIN or stock number"
    rows = {r["stock_number"]: r for r in database.rows("SELECT * FROM vehicles")}
    assert len(rows) == 150
    for index in range(150):
        truth, row = make_vehicle(index), rows[make_vehicle(index).stock]
        assert (
            row["vin"],
            row["year"],
            row["make"],
            row["model"],
            row["trim"],
            row["mileage"],
            row["exterior_color"],
            row["featured"],
        ) == (
            truth.vin,
            truth.year,
            truth.make,
            truth.model,
            truth.trim,
            truth.mileage,
            truth.colour,
            int(truth.featured),
        )
        assert row["price"] == float(truth.price)
        assert row["vin_valid"] == (0 if index in BAD_CHECK_DIGIT_INDEXES else 1)
        assert json.loads(row["images"]) == []


def test_photos_are_saved_as_vendor_urls_in_order(fresh, api, database):
    stack = fresh
    site_knobs(stack, api, vehicle_count=12)
    body = scrape(stack, api)
    assert body["processingTriggered"] == "service-binding"
    cdn = stack.standins.site.cdn_url
    for row in database.rows("SELECT stock_number, source_images FROM vehicles"):
        truth = make_vehicle(int(row["stock_number"][1:]) - 10001)
        assert json.loads(row["source_images"]) == [
            f"{cdn}/photos/{truth.stock}/{n}.png" for n in range(1, truth.photo_count + 1)
        ]
    assert body["vendorUrlsQueued"] == sum(make_vehicle(i).photo_count for i in range(12))


def test_second_scrape_of_unchanged_site_changes_nothing(fresh, api, database):
    stack = fresh
    site_knobs(stack, api, photos_per_vehicle=0)
    scrape(stack, api)
    before = database.rows(SNAPSHOT_SQL)
    body = scrape(stack, api)
    assert (body["new"], body["updated"], body["unchanged"], body["deactivated"]) == (0, 0, 150, 0)
    assert database.rows(SNAPSHOT_SQL) == before


def test_rescrape_keeps_uploaded_ids_and_a_new_photo_enters_as_url_in_place(fresh, api, database):
    stack = fresh
    site_knobs(stack, api, vehicle_count=6, photos_per_vehicle=3)
    scrape(stack, api)
    # The hand-off uploads everything in the background; wait until the lists hold only ids.
    wait_for(
        lambda: all(
            not e.startswith("http")
            for r in database.rows("SELECT images FROM vehicles")
            for e in json.loads(r["images"])
        )
    )
    uploaded = {r["stock_number"]: json.loads(r["images"]) for r in database.rows("SELECT * FROM vehicles")}
    site_knobs(stack, api, insert_photo={"L10002": 1})
    body = scrape(stack, api)
    assert body["updated"] == 1 and body["unchanged"] == 5
    after = {r["stock_number"]: json.loads(r["images"]) for r in database.rows("SELECT * FROM vehicles")}
    for stock, ids in uploaded.items():
        if stock != "L10002":
            assert after[stock] == ids
    new_url = f"{stack.standins.site.cdn_url}/photos/L10002/new-1.png"
    assert after["L10002"][:1] == uploaded["L10002"][:1]
    assert after["L10002"][1] in (new_url, _id_of(database, new_url))  # the hand-off may already be on it
    assert after["L10002"][2:] == uploaded["L10002"][1:]


def _id_of(database, url):
    rows = database.rows("SELECT image_id FROM images WHERE source_url = ?", (url,))
    return rows[0]["image_id"] if rows else None


def test_removed_vehicles_are_deactivated_exactly_and_an_empty_listing_deactivates_nothing(
    fresh, api, database
):
    stack = fresh
    site_knobs(stack, api, photos_per_vehicle=0)
    scrape(stack, api)
    site_knobs(stack, api, remove_stocks=["L10003", "L10050"])
    body = scrape(stack, api)
    assert body["deactivated"] == 2
    inactive = [
        r["stock_number"] for r in database.rows("SELECT stock_number FROM vehicles WHERE status='inactive'")
    ]
    assert sorted(inactive) == ["L10003", "L10050"]

    site_knobs(stack, api, empty=True)
    body = scrape(stack, api)
    assert body["success"] is True and body["deactivated"] == 0 and "refusing" in body["deactivationRefused"]
    assert len(database.rows("SELECT 1 FROM vehicles WHERE status='active'")) == 148

    site_knobs(stack, api, empty=False, remove_stocks=[])
    body = scrape(stack, api)
    assert body["reactivated"] == 2
    assert not database.rows("SELECT 1 FROM vehicles WHERE status='inactive'")


def test_a_redesigned_site_is_read_by_discovery_and_wipes_nothing(fresh, api, database):
    stack = fresh
    site_knobs(stack, api, photos_per_vehicle=0)
    scrape(stack, api)
    site_knobs(stack, api, layout="v2")  # new markup, no JSON-LD: only discovery reads it
    body = scrape(stack, api)
    assert (body["found"], body["new"], body["deactivated"]) == (150, 0, 0)
    assert body["profile"]["discovered"] is True
    assert len(database.rows("SELECT 1 FROM vehicles WHERE status='active'")) == 150


def test_site_down_answers_502_naming_the_cause_and_changes_nothing(fresh, api, database):
    stack = fresh
    site_knobs(stack, api, photos_per_vehicle=0)
    scrape(stack, api)
    before = database.rows(SNAPSHOT_SQL)
    site_knobs(stack, api, site_status=503)
    body = scrape(stack, api, expect=502)
    assert body["success"] is False and "503" in body["cause"]
    assert database.rows(SNAPSHOT_SQL) == before


def test_the_processor_receives_the_hand_off(fresh, api, database):
    stack = fresh
    site_knobs(stack, api, vehicle_count=4, photos_per_vehicle=2)
    log_start = len(stack.workers["processor"].log_text())
    body = scrape(stack, api)
    assert body["processingTriggered"] == "service-binding" and body["vehiclesWithVendorUrls"] == 4

    def handed_off():
        status = api.call("GET", stack.processor_url + "/api/image-status", token=None)[1]["stats"]
        return (
            status["lastRun"]
            and status["lastRun"]["trigger"] == "handoff"
            and status["images"]["pending"] == 0
        )

    wait_for(handed_off)
    logged(stack.workers["processor"], "Hand-off received: 4 vehicles", since=log_start)


def test_a_dead_processor_does_not_fail_the_scrape(fresh, api, database):
    stack = fresh
    site_knobs(stack, api, vehicle_count=3, photos_per_vehicle=2)
    stack.stop_worker("processor")
    try:
        body = scrape(stack, api)
        assert body["success"] is True and body["new"] == 3
        wait_for(
            lambda: "hand-off failed (the scrape is saved)" in stack.workers["scraper"].log_text(), timeout=30
        )
    finally:
        stack.restart_worker("processor")
    assert len(database.rows("SELECT 1 FROM vehicles")) == 3


def test_scrape_needs_the_admin_token(fresh, api, database):
    stack = fresh
    for token in (None, "wrong-token"):
        status, body = api.call("POST", stack.scraper_url + "/api/scrape", {}, token=token)
        assert status == 401 and body["success"] is False
    assert database.rows("SELECT COUNT(*) AS n FROM runs") == [{"n": 0}]


def test_vehicles_endpoint_resolves_each_image_for_display(fresh, api, database):
    stack = fresh
    from dev.client import seed_vehicles

    seed_vehicles(stack, database, 2, 2, images=lambda v, urls: ["img-a", urls[1]])
    status, body = api.call(
        "GET", stack.scraper_url + "/api/vehicle-images?variant=thumbnail&pageSize=1", token=None
    )
    assert status == 200 and body["total"] == 2 and len(body["vehicles"]) == 1
    images = body["vehicles"][0]["images"]
    assert images[0] == {
        "entry": "img-a",
        "url": f"{stack.images_url}/local-hash/img-a/thumbnail",
        "uploaded": True,
    }
    assert images[1]["url"] == images[1]["entry"] and images[1]["uploaded"] is False
    status, body = api.call("GET", stack.scraper_url + "/api/vehicle-images?status=bogus", token=None)
    assert status == 400 and "status" in body["error"]
