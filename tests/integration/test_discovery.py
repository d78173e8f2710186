"""Discovery under workerd: a dealer site no built-in profile knows is read whole by SITE_PROFILE=auto
with no profile written, its galleries too; the mapping is remembered in D1 and used by the next
scrape, and discovered again when it reads far fewer vehicles."""

import json

from dev.client import site_knobs, wait_for, wait_until_quiet
from dev.custom_layouts import CUSTOM_LAYOUT
from dev.dealer_site import BAD_CHECK_DIGIT_INDEXES, make_vehicle

GALLERIES_DUE_SQL = "SELECT 1 FROM vehicles WHERE gallery IN ('pending', 'stale')"
REMEMBERED_SQL = "SELECT site_url, profile, vehicles, discovered_at, used_at FROM discovered_profiles"


def scrape(stack, api):
    status, body = api.call("POST", stack.scraper_url + "/api/scrape", {"handoff": "none"})
    assert status == 200, body
    return body


def assert_read_whole(database, cdn: str) -> None:
    rows = {r["stock_number"]: r for r in database.rows("SELECT * FROM vehicles WHERE status = 'active'")}
    assert len(rows) == 150
    for index in range(150):
        truth, row = make_vehicle(index), rows[make_vehicle(index).stock]
        assert (row["vin"], row["year"], row["make"], row["model"], row["trim"]) == (
            truth.vin,
            truth.year,
            truth.make,
            truth.model,
            truth.trim,
        )
        assert (row["price"], row["mileage"], row["exterior_color"], row["featured"]) == (
            float(truth.price),  # the asking price, not the MSRP beside it
            truth.mileage,
            truth.colour,
            int(truth.featured),
        )
        assert row["detail_url"].endswith(f"/vehicle/{truth.stock}")
        # Stock numbers are L10001...: a vehicle whose VIN fails its check digit still has one and a
        # price and a year, so it is kept, as the evidence rule says.
        assert row["vin_valid"] == (0 if index in BAD_CHECK_DIGIT_INDEXES else 1)
        photos = [f"{cdn}/photos/{truth.stock}/{n}.png" for n in range(1, truth.photo_count + 1)]
        assert json.loads(row["source_images"]) == photos, truth.stock  # the detail page's gallery


def test_a_custom_app_is_discovered_read_whole_and_its_mapping_reused(fresh, api, database):
    stack = fresh
    site_knobs(stack, api, layout=CUSTOM_LAYOUT)
    first = scrape(stack, api)
    profile = first["profile"]
    assert (profile["name"], profile["discovered"], profile["remembered"]) == ("discovered", True, False)
    assert profile["how"] == "inline state" and "window.__LOT_STATE__" in profile["where"], profile
    assert profile["fieldRules"]["price"].startswith("key pricing.askingPrice"), profile["fieldRules"]
    assert (first["found"], first["new"], first["pages"], first["galleriesDue"]) == (150, 150, 7, 150)
    wait_for(lambda: not database.rows(GALLERIES_DUE_SQL), 90, "the galleries read")
    wait_until_quiet(stack, api, database)
    assert_read_whole(database, stack.standins.site.cdn_url)

    [remembered] = database.rows(REMEMBERED_SQL)
    assert remembered["site_url"] == stack.site_url + "/inventory" and remembered["vehicles"] == 150
    stored = json.loads(remembered["profile"])
    assert stored["strict_vehicles"] is True and stored["sources"][0]["assignment"] == "window.__LOT_STATE__"

    second = scrape(stack, api)
    assert (second["profile"]["discovered"], second["profile"]["remembered"]) == (True, True), second
    assert (second["found"], second["new"], second["deactivated"]) == (150, 0, 0)
    assert second["pagesUnchanged"] == 7  # the same pages read with the same mapping: nothing parsed
    [again] = database.rows(REMEMBERED_SQL)
    assert again["discovered_at"] == remembered["discovered_at"] and again["used_at"] > remembered["used_at"]
    logs = stack.workers["scraper"].log_text()
    assert "Discovered where the site lists its vehicles: inline state" in logs
    assert "Reading the site with the mapping discovered on" in logs


def test_a_remembered_mapping_that_finds_far_fewer_is_discovered_again(fresh, api, database):
    stack = fresh
    site_knobs(stack, api, layout=CUSTOM_LAYOUT, photos_per_vehicle=1)
    assert scrape(stack, api)["profile"]["how"] == "inline state"
    site_knobs(stack, api, layout="v2")  # the dealer's site is redesigned: cards, no state any more
    body = scrape(stack, api)
    assert body["profile"]["rediscovered"] is True and body["profile"]["how"] == "repeated cards", body
    assert (body["found"], body["new"], body["deactivated"]) == (150, 0, 0)
    [remembered] = database.rows(REMEMBERED_SQL)
    assert json.loads(remembered["profile"])["sources"][0]["kind"] == "cards"


def test_a_page_with_no_inventory_is_never_read_as_vehicles(fresh, api, database):
    stack = fresh
    site_knobs(stack, api, layout="v2", empty=True)  # the redesigned listing, showing no vehicle
    body = scrape(stack, api)
    assert body["found"] == 0 and body["profile"]["name"] == "generic", body["profile"]
    assert not database.rows("SELECT 1 FROM vehicles") and not database.rows(REMEMBERED_SQL)
