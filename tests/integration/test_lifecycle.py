"""The photo lifecycle under workerd, against the Images stand-in: a photo the dealer removed is
deleted after its grace period, a sold vehicle's images after retention (its list back to vendor
URLs, uploaded again when it returns), orphans by the sweep; an empty listing blocks retention.
Time moves by the cleanup's `asOf` knob (the local stack's only), never by sleeping."""

import json
import time

from dev.client import all_entries, images_stats, site_knobs, wait_for, wait_until_quiet
from inventory import iso_utc

DAY = 86_400
VEHICLES = 6


def scrape(stack, api, expect=200) -> dict:
    status, body = api.call("POST", stack.scraper_url + "/api/scrape", {"handoff": "binding"}, timeout=60)
    assert status == expect, body
    return body


def cleanup(stack, api, days_later: float = 0, expect=200, **body) -> dict:
    as_of = {"asOf": iso_utc(time.time() + days_later * DAY)} if days_later else {}
    status, answer = api.call("POST", stack.processor_url + "/api/cleanup", {**body, **as_of}, timeout=60)
    assert status == expect, answer
    return answer


def every_photo_uploaded(database) -> bool:
    entries = all_entries(database)
    return bool(entries) and not any(entry.startswith("http") for entry in entries)


def uploaded_inventory(stack, api, database) -> None:
    site_knobs(stack, api, vehicle_count=VEHICLES, photos_per_vehicle=3)
    scrape(stack, api)
    wait_for(lambda: every_photo_uploaded(database), 90, "every photo uploaded")
    wait_until_quiet(stack, api, database)


def vehicle(database, stock: str) -> dict:
    [row] = database.rows("SELECT * FROM vehicles WHERE stock_number = ?", (stock,))
    return row


def first_stock(database) -> str:
    return database.rows("SELECT stock_number FROM vehicles ORDER BY id LIMIT 1")[0]["stock_number"]


def test_a_photo_the_dealer_removed_is_deleted_after_its_grace_period_not_before(fresh, api, database):
    stack = fresh
    uploaded_inventory(stack, api, database)
    stock = first_stock(database)
    before = vehicle(database, stock)
    site_knobs(stack, api, drop_photos={stock: [2]})
    assert scrape(stack, api)["updated"] == 1
    wait_until_quiet(stack, api, database)
    dropped = json.loads(before["images"])[1]
    assert dropped not in json.loads(vehicle(database, stock)["images"])
    early = cleanup(stack, api, days_later=6, sweep=False)
    assert early["deleted"] == 0 and images_stats(stack, api)["deleted_ids"] == []
    late = cleanup(stack, api, days_later=8, sweep=False)
    assert (late["deleted"], late["due"]["removed"]) == (1, 1)
    assert images_stats(stack, api)["deleted_ids"] == [dropped]
    assert json.loads(vehicle(database, stock)["images"]) == [json.loads(before["images"])[i] for i in (0, 2)]
    status, answer = api.call("GET", stack.processor_url + "/api/image-status", token=None)
    storage = answer["stats"]["storage"]
    assert (storage["deletionsDone"], storage["deletionsQueued"], storage["imagesStored"]) == (1, 0, 17)
    assert storage["lastCleanup"]["deleted"] == 1


def test_a_vehicle_sold_past_retention_loses_its_images_and_gets_them_back_when_it_returns(
    fresh, api, database
):
    stack = fresh
    uploaded_inventory(stack, api, database)
    stock = first_stock(database)
    held = json.loads(vehicle(database, stock)["images"])
    site_knobs(stack, api, remove_stocks=[stock])
    assert scrape(stack, api)["deactivated"] == 1
    assert cleanup(stack, api, days_later=29)["deleted"] == 0
    result = cleanup(stack, api, days_later=31)
    assert (result["vehiclesReleased"], result["deleted"]) == (1, 3)
    assert sorted(images_stats(stack, api)["deleted_ids"]) == sorted(held)
    sold = vehicle(database, stock)
    assert json.loads(sold["images"]) == json.loads(sold["source_images"]) and sold["images_released_at"]
    # Every other vehicle keeps every image.
    others = [e for e in all_entries(database) if not e.startswith("http")]
    assert len(others) == (VEHICLES - 1) * 3 and set(others) <= set(images_stats(stack, api)["stored_ids"])
    # Released photos stay released: naming the sold vehicle is a 409 that uploads nothing.
    uploads_before = images_stats(stack, api)["stored_ids"]
    other = database.rows("SELECT id FROM vehicles WHERE status = 'active' ORDER BY id LIMIT 1")[0]["id"]
    body = {"vehicleIds": [other, sold["id"]]}
    status, answer = api.call("POST", stack.processor_url + "/api/process-images", body)
    assert status == 409 and answer["released"] == [sold["id"]] and "released" in answer["error"], answer
    assert images_stats(stack, api)["stored_ids"] == uploads_before
    assert json.loads(vehicle(database, stock)["images"]) == json.loads(sold["source_images"])
    site_knobs(stack, api, remove_stocks=[])
    assert scrape(stack, api)["reactivated"] == 1
    wait_for(lambda: every_photo_uploaded(database), 90, "the returned vehicle uploaded again")
    assert json.loads(vehicle(database, stock)["images"]) == held  # the same deterministic ids, stored anew
    assert set(held) <= set(images_stats(stack, api)["stored_ids"])


def test_an_empty_listing_blocks_retention_deletions(fresh, api, database):
    stack = fresh
    uploaded_inventory(stack, api, database)
    stock = first_stock(database)
    site_knobs(stack, api, remove_stocks=[stock])
    scrape(stack, api)
    site_knobs(stack, api, empty=True)
    assert "refusing to deactivate" in scrape(stack, api)["deactivationRefused"]
    result = cleanup(stack, api, days_later=60)
    assert result["deleted"] == 0 and "refused to deactivate" in result["retentionBlocked"]
    assert images_stats(stack, api)["deleted_ids"] == []
    assert not vehicle(database, stock)["images_released_at"]


def test_the_sweep_deletes_a_planted_orphan_and_keeps_what_vehicles_hold(fresh, api, database):
    stack = fresh
    uploaded_inventory(stack, api, database)
    for image_id in ("lambert-planted-orphan", "someone-else-1"):
        status, _ = api.call("POST", stack.images_url + "/__plant", {"id": image_id}, token=None)
        assert status == 200
    young = iso_utc(time.time() - 600)
    api.call(
        "POST", stack.images_url + "/__plant", {"id": "lambert-planted-young", "uploaded": young}, token=None
    )
    dry = cleanup(stack, api, dryRun=True)
    assert dry["wouldDelete"] == [{"imageId": "lambert-planted-orphan", "reason": "orphan"}]
    assert images_stats(stack, api)["deleted_ids"] == []
    result = cleanup(stack, api)
    assert result["swept"] and result["accountImages"] == VEHICLES * 3 + 2
    assert images_stats(stack, api)["deleted_ids"] == ["lambert-planted-orphan"]
    assert set(all_entries(database)) <= set(images_stats(stack, api)["stored_ids"])
    status, answer = api.call("GET", stack.processor_url + "/api/image-status", token=None)
    assert answer["stats"]["storage"]["imagesStoredAtLastSweep"] == VEHICLES * 3 + 2


def test_cleanup_refuses_bad_input_and_needs_the_admin_token(fresh, api, database):
    stack = fresh
    for body, wanted in (({"dryRun": "yes"}, "dryRun"), ({"asOf": "soon"}, "asOf"), ({"force": 1}, "force")):
        status, answer = api.call("POST", stack.processor_url + "/api/cleanup", body)
        assert status == 400 and wanted in answer["error"], answer
    status, _ = api.call("POST", stack.processor_url + "/api/cleanup", {}, token=None)
    assert status == 401
    assert database.rows("SELECT * FROM runs") == []


def test_a_replaced_photo_is_uploaded_again_and_its_first_upload_deleted_after_the_switch(
    fresh, api, database
):
    stack = fresh
    uploaded_inventory(stack, api, database)
    first = cleanup(stack, api, sweep=False)  # every photo's validators, remembered
    assert (first["photosChecked"], first["photosReplaced"]) == (VEHICLES * 3, 0)
    stock = first_stock(database)
    before = json.loads(vehicle(database, stock)["images"])
    site_knobs(stack, api, replace_photos={stock: [2]})
    assert cleanup(stack, api, days_later=3, sweep=False)["photosChecked"] == 0  # not due yet
    result = cleanup(stack, api, days_later=8, sweep=False)
    assert (result["photosChecked"], result["photosReplaced"], result["deleted"]) == (VEHICLES * 3, 1, 1)
    after = json.loads(vehicle(database, stock)["images"])
    assert after == [before[0], f"{before[1]}-v1", before[2]]  # the same position, a new id
    stats = images_stats(stack, api)
    assert stats["deleted_ids"] == [before[1]] and after[1] in stats["stored_ids"]
    assert stats["uploads_by_id"][after[1]] == 1
    assert stack.standins.site.stats()["requests"]["check"] == 2 * VEHICLES * 3  # HEADs, not downloads
