"""The photo lifecycle under workerd, through each transport that deletes: the REST API (against the
Images stand-in) and the Images binding (wrangler dev's local emulation, its store read on disk). A
photo the dealer removed is deleted after its grace period, a replaced one once the lists show its new
upload, a sold vehicle's images after retention (its list back to vendor URLs, uploaded again when it
returns), orphans by the sweep; an empty listing blocks retention, and no image a list holds goes.
Time moves by the cleanup's `asOf` knob (the local stack's only), never by sleeping."""

import json
import time

import pytest

from dev.client import all_entries, images_stats, site_knobs, wait_for, wait_until_quiet
from dev.local_images import LocalImagesStore
from inventory import iso_utc
from inventory.photos.transports import LIST_PAGE

DAY = 86_400
VEHICLES = 6


class Images:
    """The images the transport under test stores, read where it keeps them."""

    rest: bool  # deleting through the REST API (the stand-in's log shows each deletion)
    downloads_photos: bool  # uploads read the photo, so its validators are known from its upload on

    def __init__(self, stack, api):
        self.stack, self.api = stack, api

    def stored(self) -> set[str]:
        raise NotImplementedError

    def standin(self) -> dict:
        return images_stats(self.stack, self.api)

    def assert_only_deleted(self, before: set[str], gone: set[str]) -> None:
        """Exactly `gone` has left the store since it held `before`, deleted through this transport."""
        assert self.stored() == before - gone
        assert sorted(self.standin()["deleted_ids"]) == (sorted(gone) if self.rest else [])

    def assert_uploaded(self, image_id: str) -> None:
        """`image_id` is stored, uploaded once through this transport."""
        assert image_id in self.stored()
        uploads = self.standin()["uploads_by_id"]
        if self.rest:
            assert uploads.get(image_id) == 1
        else:
            assert uploads == {}  # nothing went through the REST API


class RestImages(Images):
    """The Images stand-in behind the REST API (the fresh fixture resets it); the session's
    processor uploads in `url` mode, Cloudflare fetching each photo itself."""

    rest, downloads_photos = True, False

    def stored(self) -> set[str]:
        return set(self.standin()["stored_ids"])

    def clear(self) -> None:
        pass

    def plant(self, image_id: str, uploaded: str | None = None) -> None:
        body = {"id": image_id, **({"uploaded": uploaded} if uploaded else {})}
        status, _ = self.api.call("POST", self.stack.images_url + "/__plant", body, token=None)
        assert status == 200

    def plant_many(self, image_ids: list[str]) -> None:
        for image_id in image_ids:
            self.plant(image_id)

    def forget(self, image_id: str) -> None:
        self.stack.standins.images.forget(image_id)


class BindingImages(Images):
    """The local Images binding's store, which the processor in UPLOAD_MODE=binding uses."""

    rest, downloads_photos = False, True

    def __init__(self, stack, api):
        super().__init__(stack, api)
        self.store = LocalImagesStore(stack.state_dir)

    def stored(self) -> set[str]:
        return self.store.stored_ids()

    def clear(self) -> None:
        self.store.clear()

    def plant(self, image_id: str, uploaded: str | None = None) -> None:
        self.store.plant(image_id, uploaded)

    def plant_many(self, image_ids: list[str]) -> None:
        self.store.plant_many(image_ids)

    def forget(self, image_id: str) -> None:
        self.store.forget(image_id)


@pytest.fixture(scope="module", params=["rest", "binding"])
def transport(request, stack, api, database):
    """The processor deleting through the REST API (as the session started it), or restarted with
    UPLOAD_MODE=binding for this module's binding tests and back after."""
    if request.param == "rest":
        yield RestImages(stack, api)
        return
    wait_until_quiet(stack, api, database)
    stack.restart_processor({"UPLOAD_MODE": "binding"})
    try:
        yield BindingImages(stack, api)
    finally:
        wait_until_quiet(stack, api, database)
        stack.restart_processor()


@pytest.fixture
def images(fresh, transport):
    """The transport under test's store, emptied like the rest of a fresh stack."""
    transport.clear()
    return transport


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


def uploaded_inventory(stack, api, database, images: Images) -> None:
    site_knobs(stack, api, vehicle_count=VEHICLES, photos_per_vehicle=3)
    scrape(stack, api)
    wait_for(lambda: every_photo_uploaded(database), 90, "every photo uploaded")
    wait_until_quiet(stack, api, database)
    assert images.stored() == set(all_entries(database))  # uploaded through the transport under test
    assert (images.standin()["uploads_received"] > 0) == images.rest


def vehicle(database, stock: str) -> dict:
    [row] = database.rows("SELECT * FROM vehicles WHERE stock_number = ?", (stock,))
    return row


def first_stock(database) -> str:
    return database.rows("SELECT stock_number FROM vehicles ORDER BY id LIMIT 1")[0]["stock_number"]


def test_a_photo_the_dealer_removed_is_deleted_after_its_grace_period_not_before(
    fresh, images, api, database
):
    stack = fresh
    uploaded_inventory(stack, api, database, images)
    stock = first_stock(database)
    before = vehicle(database, stock)
    site_knobs(stack, api, drop_photos={stock: [2]})
    assert scrape(stack, api)["updated"] == 1
    wait_until_quiet(stack, api, database)
    dropped = json.loads(before["images"])[1]
    assert dropped not in json.loads(vehicle(database, stock)["images"])
    stored = images.stored()
    early = cleanup(stack, api, days_later=6, sweep=False)
    assert early["deleted"] == 0
    images.assert_only_deleted(stored, set())
    late = cleanup(stack, api, days_later=8, sweep=False)
    assert (late["deleted"], late["due"]["removed"]) == (1, 1)
    images.assert_only_deleted(stored, {dropped})
    assert json.loads(vehicle(database, stock)["images"]) == [json.loads(before["images"])[i] for i in (0, 2)]
    status, answer = api.call("GET", stack.processor_url + "/api/image-status", token=None)
    storage = answer["stats"]["storage"]
    assert (storage["deletionsDone"], storage["deletionsQueued"], storage["imagesStored"]) == (1, 0, 17)
    assert storage["lastCleanup"]["deleted"] == 1


def test_a_vehicle_sold_past_retention_loses_its_images_and_gets_them_back_when_it_returns(
    fresh, images, api, database
):
    stack = fresh
    uploaded_inventory(stack, api, database, images)
    stock = first_stock(database)
    held = json.loads(vehicle(database, stock)["images"])
    site_knobs(stack, api, remove_stocks=[stock])
    assert scrape(stack, api)["deactivated"] == 1
    stored = images.stored()
    # Each cleanup sweeps too: a month on, every image looks old, and each is still held by a list.
    assert cleanup(stack, api, days_later=29)["deleted"] == 0
    images.assert_only_deleted(stored, set())
    result = cleanup(stack, api, days_later=31)
    assert (result["vehiclesReleased"], result["deleted"]) == (1, 3)
    images.assert_only_deleted(stored, set(held))
    sold = vehicle(database, stock)
    assert json.loads(sold["images"]) == json.loads(sold["source_images"]) and sold["images_released_at"]
    # Every other vehicle keeps every image.
    others = [e for e in all_entries(database) if not e.startswith("http")]
    assert len(others) == (VEHICLES - 1) * 3 and set(others) <= images.stored()
    # Released photos stay released: naming the sold vehicle is a 409 that uploads nothing.
    uploads_before = images.stored()
    other = database.rows("SELECT id FROM vehicles WHERE status = 'active' ORDER BY id LIMIT 1")[0]["id"]
    body = {"vehicleIds": [other, sold["id"]]}
    status, answer = api.call("POST", stack.processor_url + "/api/process-images", body)
    assert status == 409 and answer["released"] == [sold["id"]] and "released" in answer["error"], answer
    assert images.stored() == uploads_before
    assert json.loads(vehicle(database, stock)["images"]) == json.loads(sold["source_images"])
    site_knobs(stack, api, remove_stocks=[])
    assert scrape(stack, api)["reactivated"] == 1
    wait_for(lambda: every_photo_uploaded(database), 90, "the returned vehicle uploaded again")
    assert json.loads(vehicle(database, stock)["images"]) == held  # the same deterministic ids, stored anew
    assert set(held) <= images.stored()


def test_an_image_deleted_by_hand_counts_as_deleted_not_failed(fresh, images, api, database):
    stack = fresh
    uploaded_inventory(stack, api, database, images)
    stock = first_stock(database)
    held = json.loads(vehicle(database, stock)["images"])
    images.forget(held[0])  # someone deleted it in the dashboard
    site_knobs(stack, api, remove_stocks=[stock])
    assert scrape(stack, api)["deactivated"] == 1
    stored = images.stored()
    result = cleanup(stack, api, days_later=31, sweep=False)
    assert (result["deleted"], result["alreadyGone"], result["failed"]) == (3, 1, 0)
    images.assert_only_deleted(stored, set(held[1:]))
    status, answer = api.call("GET", stack.processor_url + "/api/image-status", token=None)
    assert answer["stats"]["storage"]["deletionsQueued"] == 0  # nothing left to try again


def test_an_empty_listing_blocks_retention_deletions(fresh, images, api, database):
    stack = fresh
    uploaded_inventory(stack, api, database, images)
    stock = first_stock(database)
    site_knobs(stack, api, remove_stocks=[stock])
    scrape(stack, api)
    site_knobs(stack, api, empty=True)
    assert "refusing to deactivate" in scrape(stack, api)["deactivationRefused"]
    stored = images.stored()
    result = cleanup(stack, api, days_later=60)
    assert result["deleted"] == 0 and "refused to deactivate" in result["retentionBlocked"]
    assert result["swept"] and result["accountImages"] == VEHICLES * 3
    images.assert_only_deleted(stored, set())
    assert not vehicle(database, stock)["images_released_at"]


def test_the_sweep_deletes_a_planted_orphan_and_keeps_what_vehicles_hold(fresh, images, api, database):
    stack = fresh
    uploaded_inventory(stack, api, database, images)
    for image_id in ("lambert-planted-orphan", "someone-else-1"):
        images.plant(image_id)
    images.plant("lambert-planted-young", uploaded=iso_utc(time.time() - 600))
    stored = images.stored()
    dry = cleanup(stack, api, dryRun=True)
    assert dry["wouldDelete"] == [{"imageId": "lambert-planted-orphan", "reason": "orphan"}]
    images.assert_only_deleted(stored, set())
    result = cleanup(stack, api)
    assert result["swept"] and result["accountImages"] == VEHICLES * 3 + 2
    images.assert_only_deleted(stored, {"lambert-planted-orphan"})
    assert set(all_entries(database)) <= images.stored()
    status, answer = api.call("GET", stack.processor_url + "/api/image-status", token=None)
    assert answer["stats"]["storage"]["imagesStoredAtLastSweep"] == VEHICLES * 3 + 2


def test_the_sweep_reads_every_page_of_the_listing(fresh, images, api, database):
    """A full page of someone else's images first (a year old): the orphan, two days old, is listed
    after them, on the second page in either transport's order (upload order; the binding's sorts
    by upload time)."""
    stack = fresh
    uploaded_inventory(stack, api, database, images)
    images.plant_many([f"someone-else-{n}" for n in range(LIST_PAGE)])
    images.plant("lambert-planted-orphan", uploaded=iso_utc(time.time() - 2 * DAY))
    stored = images.stored()
    result = cleanup(stack, api)
    assert (result["listRequests"], result["accountImages"]) == (2, VEHICLES * 3 + 1), result
    images.assert_only_deleted(stored, {"lambert-planted-orphan"})


def test_the_cron_run_sweeps_once_within_the_sweep_interval(fresh, images, api, database):
    stack = fresh
    uploaded_inventory(stack, api, database, images)
    images.plant("lambert-planted-orphan")
    stored = images.stored()
    assert api.call("GET", stack.cron_url, token=None, timeout=120)[0] == 200
    images.assert_only_deleted(stored, {"lambert-planted-orphan"})
    # The next cron run has swept within ORPHAN_SWEEP_DAYS: it cleans up without listing.
    images.plant("lambert-planted-later")
    assert api.call("GET", stack.cron_url, token=None, timeout=120)[0] == 200
    assert "lambert-planted-later" in images.stored()
    runs = database.rows("SELECT kind, trigger FROM runs WHERE kind IN ('sweep', 'cleanup') ORDER BY id")
    assert runs == [{"kind": "sweep", "trigger": "cron"}, {"kind": "cleanup", "trigger": "cron"}]


def test_cleanup_refuses_bad_input_and_needs_the_admin_token(fresh, api, database):
    stack = fresh
    for body, wanted in (({"dryRun": "yes"}, "dryRun"), ({"asOf": "soon"}, "asOf"), ({"force": 1}, "force")):
        status, answer = api.call("POST", stack.processor_url + "/api/cleanup", body)
        assert status == 400 and wanted in answer["error"], answer
    status, _ = api.call("POST", stack.processor_url + "/api/cleanup", {}, token=None)
    assert status == 401
    assert database.rows("SELECT * FROM runs") == []


def test_a_replaced_photo_is_uploaded_again_and_its_first_upload_deleted_after_the_switch(
    fresh, images, api, database
):
    stack = fresh
    uploaded_inventory(stack, api, database, images)
    # Every photo's validators, remembered: by this first check, or already at upload.
    first = cleanup(stack, api, sweep=False)
    baselines = 0 if images.downloads_photos else VEHICLES * 3
    assert (first["photosChecked"], first["photosReplaced"]) == (baselines, 0)
    stock = first_stock(database)
    before = json.loads(vehicle(database, stock)["images"])
    site_knobs(stack, api, replace_photos={stock: [2]})
    assert cleanup(stack, api, days_later=3, sweep=False)["photosChecked"] == 0  # not due yet
    stored = images.stored()
    result = cleanup(stack, api, days_later=8, sweep=False)
    assert (result["photosChecked"], result["photosReplaced"], result["deleted"]) == (VEHICLES * 3, 1, 1)
    after = json.loads(vehicle(database, stock)["images"])
    assert after == [before[0], f"{before[1]}-v1", before[2]]  # the same position, a new id
    images.assert_only_deleted(stored | {after[1]}, {before[1]})
    images.assert_uploaded(after[1])
    heads = stack.standins.site.stats()["requests"]["check"]
    assert heads == baselines + VEHICLES * 3  # HEADs, not downloads
