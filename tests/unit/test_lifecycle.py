"""The photo lifecycle's logic on a real SQLite (schema.sql) with a scripted Images account: removed
photos after their grace, sold vehicles past retention, orphans, the daily cap and every safety rule.
The same code runs under workerd in tests/integration/test_lifecycle.py."""

import asyncio
import hashlib
import json

from inventory import db, iso_utc
from inventory.net.http import HttpResponse
from inventory.photos.lifecycle import LifecycleSettings, run_cleanup, storage_report
from inventory.photos.run import process_batch
from inventory.photos.verdicts import OK, TRANSIENT, Verdict
from inventory.subrequests import Subrequests
from tests.sqlite_d1 import SqliteD1
from tests.unit.test_processing import ScriptedTransport, lists, processor, seed

DAY = 86_400
LONG_AGO = "2020-01-01T00:00:00Z"


class ScriptedAccount(ScriptedTransport):
    """An Images account: uploads are stored, deletions remove them, list v2 pages through them."""

    deletes_use_budget = True

    def __init__(self, delete_script=None):
        super().__init__()
        self.delete_script = {key: list(value) for key, value in (delete_script or {}).items()}
        self.uploaded_at, self.deleted, self.delete_calls = {}, [], []

    async def upload(self, source_url, image_id, metadata, timeout_s=None):
        verdict = await super().upload(source_url, image_id, metadata, timeout_s)
        self.uploaded_at.setdefault(image_id, LONG_AGO)
        return verdict

    def plant(self, image_id, uploaded=LONG_AGO):
        self.stored.add(image_id)
        self.uploaded_at[image_id] = uploaded

    async def delete(self, image_id, timeout_s=None):
        self.delete_calls.append(image_id)
        if queue := self.delete_script.get(image_id):
            return queue.pop(0)
        if image_id not in self.stored:
            return Verdict(OK, "already gone", image_id=image_id)
        self.stored.discard(image_id)
        self.deleted.append(image_id)
        return Verdict(OK, image_id=image_id)

    async def list_images(self, cursor, per_page=1000):
        ids, start = sorted(self.stored), int(cursor or 0)
        page = [{"id": i, "uploaded": self.uploaded_at[i]} for i in ids[start : start + per_page]]
        return page, (str(start + per_page) if start + per_page < len(ids) else None)


def uploaded_stack(count=3, photos=3):
    """SQLite with `count` vehicles whose photos are all uploaded to a scripted account."""
    d1, account = SqliteD1(), ScriptedAccount()
    seed(d1, count, photos)
    p = processor(d1, account)
    asyncio.run(process_batch(p, batch_size=10))
    assert all(not entry.startswith("http") for images in lists(d1) for entry in images)
    return d1, account, p


def cleanup(p, now, settings=None, **options):
    options.setdefault("sweep", True)  # as POST /api/cleanup
    return asyncio.run(run_cleanup(p, settings or LifecycleSettings(), trigger="test", now=now, **options))


def drop_photo(d1, vehicle_id: int, position: int, when: float) -> str:
    """The dealer removed one photo: the list loses it and the removal is recorded (as a scrape does)."""
    row = d1.rows("SELECT images, source_images FROM vehicles WHERE id = ?", [vehicle_id])[0]
    images, sources = json.loads(row["images"]), json.loads(row["source_images"])
    image_id, source = images.pop(position), sources.pop(position)
    d1.con.execute(
        "UPDATE vehicles SET images = ?, source_images = ? WHERE id = ?",
        (json.dumps(images), json.dumps(sources), vehicle_id),
    )
    sql, params = db.photo_removal_statement(vehicle_id, [source], iso_utc(when))
    d1.con.execute(sql, params)
    return image_id


def sell(d1, vehicle_id: int, when: float, refused: str | None = None):
    """A scrape that deactivated the vehicle at `when` (and recorded itself, as run_scrape does)."""
    for sql, params in db.deactivate_statements([vehicle_id], iso_utc(when)):
        d1.con.execute(sql, params)
    summary = json.dumps({"deactivationRefused": refused})
    d1.con.execute(
        "INSERT INTO runs (kind, trigger, started_at, finished_at, summary) "
        "VALUES ('scrape', 'test', ?, ?, ?)",
        (iso_utc(when), iso_utc(when), summary),
    )


def test_a_removed_photo_is_deleted_after_its_grace_period_not_before():
    d1, account, p = uploaded_stack()
    t0 = p.wall_clock()
    gone = drop_photo(d1, 1, 1, t0)
    early = cleanup(p, t0 + 6 * DAY, sweep=False)
    assert (early["deleted"], early["due"]["removed"]) == (0, 0) and gone in account.stored
    late = cleanup(p, t0 + 8 * DAY, sweep=False)
    assert (late["deleted"], late["due"]["removed"]) == (1, 1)
    assert account.deleted == [gone]
    assert d1.rows("SELECT reason, vehicle_id FROM image_deletions WHERE image_id = ?", [gone]) == [
        {"reason": "removed", "vehicle_id": 1}
    ]
    assert not d1.rows("SELECT 1 FROM images WHERE image_id = ?", [gone])  # re-added, it uploads anew
    assert not d1.rows("SELECT 1 FROM photo_removals")


def test_a_removed_photo_that_a_list_holds_again_is_never_deleted():
    d1, account, p = uploaded_stack()
    t0 = p.wall_clock()
    image_id = drop_photo(d1, 1, 0, t0)
    d1.con.execute("UPDATE vehicles SET images = json_insert(images, '$[#]', ?) WHERE id = 2", (image_id,))
    result = cleanup(p, t0 + 30 * DAY, sweep=False)
    assert result["deleted"] == 0 and result["cameBack"] == 1 and image_id in account.stored
    assert not d1.rows("SELECT 1 FROM photo_removals")


def test_a_vehicle_sold_past_retention_gets_its_vendor_urls_back_then_its_images_go():
    d1, account, p = uploaded_stack()
    t0 = p.wall_clock()
    held = lists(d1)[1]
    sell(d1, 2, t0)
    assert cleanup(p, t0 + 29 * DAY, sweep=False)["deleted"] == 0
    result = cleanup(p, t0 + 31 * DAY, sweep=False)
    assert (result["vehiclesReleased"], result["deleted"], result["due"]["retention"]) == (1, 3, 3)
    assert sorted(account.deleted) == sorted(held)
    row = d1.rows("SELECT images, source_images, images_released_at FROM vehicles WHERE id = 2")[0]
    assert json.loads(row["images"]) == json.loads(row["source_images"]) and row["images_released_at"]
    # It comes back: the scrape reactivates it and the normal path uploads it again.
    d1.con.execute("UPDATE vehicles SET status = 'active', inactive_since = NULL, images_released_at = NULL")
    again = asyncio.run(process_batch(p, batch_size=10))
    assert again["imagesUploaded"] == 3 and set(held) <= account.stored and lists(d1)[1] == held


def test_retention_waits_while_the_last_scrape_refused_to_deactivate_or_failed():
    d1, account, p = uploaded_stack()
    t0 = p.wall_clock()
    sell(d1, 2, t0)
    sell(d1, 3, t0 + 1, refused="the site listed no vehicles; refusing to deactivate 1 known vehicles")
    blocked = cleanup(p, t0 + 60 * DAY, sweep=False)
    assert blocked["deleted"] == 0 and "refused to deactivate" in blocked["retentionBlocked"]
    sell(d1, 3, t0 + 2)  # a good scrape since
    sql, params = db.scrape_failure_statement(iso_utc(t0 + 3), "dealer site unavailable: HTTP 503")
    d1.con.execute(sql, params)
    failed = cleanup(p, t0 + 60 * DAY, sweep=False)
    assert failed["deleted"] == 0 and "last scrape failed" in failed["retentionBlocked"]
    sell(d1, 3, t0 + 4)
    assert cleanup(p, t0 + 60 * DAY, sweep=False)["deleted"] == 6


def test_the_sweep_deletes_old_unreferenced_images_of_ours_only():
    d1, account, p = uploaded_stack()
    t0 = p.wall_clock()
    account.plant("lambert-orphan-old")
    account.plant("lambert-orphan-young", uploaded=iso_utc(t0 - 3600))
    account.plant("someone-elses-image")
    held = {entry for images in lists(d1) for entry in images}
    result = cleanup(p, t0)
    assert result["swept"] and result["accountImages"] == len(held) + 2
    assert account.deleted == ["lambert-orphan-old"]
    assert {"lambert-orphan-young", "someone-elses-image"} | held <= account.stored


def test_a_dry_run_reports_what_would_go_and_changes_nothing():
    d1, account, p = uploaded_stack()
    t0 = p.wall_clock()
    drop_photo(d1, 1, 0, t0 - 10 * DAY)
    sell(d1, 2, t0 - 40 * DAY)
    account.plant("lambert-orphan")
    before = d1.rows("SELECT * FROM vehicles ORDER BY id"), d1.rows("SELECT * FROM photo_removals")
    result = cleanup(p, t0, dry_run=True)
    assert (
        result["due"] == {"removed": 1, "retention": 3, "orphan": 1, "replaced": 0} and result["deleted"] == 0
    )
    assert {"imageId": "lambert-orphan", "reason": "orphan"} in result["wouldDelete"]
    assert account.delete_calls == []
    assert (d1.rows("SELECT * FROM vehicles ORDER BY id"), d1.rows("SELECT * FROM photo_removals")) == before


def test_no_deletion_path_touches_an_image_an_active_vehicle_holds():
    d1, account, p = uploaded_stack()
    t0 = p.wall_clock()
    active = lists(d1)[0]
    # Every cause names vehicle 1's images: removal rows, a sold vehicle sharing its photos, the sweep.
    for image_id in active:
        d1.con.execute(
            "INSERT INTO photo_removals (vehicle_id, source_url, image_id, removed_at) VALUES (1, 'x', ?, ?)",
            (image_id, LONG_AGO),
        )
    d1.con.execute("UPDATE vehicles SET images = (SELECT images FROM vehicles WHERE id = 1) WHERE id = 3")
    sell(d1, 3, t0 - 90 * DAY)
    result = cleanup(p, t0)
    assert set(account.delete_calls).isdisjoint(active) and set(active) <= account.stored
    assert result["swept"] and result["deleted"] == 0


def test_the_daily_cap_holds_when_5000_images_are_due():
    d1 = SqliteD1()
    account = ScriptedAccount()
    for n in range(5000):
        account.plant(f"lambert-due-{n}")
        d1.con.execute(
            "INSERT INTO photo_removals (vehicle_id, source_url, image_id, removed_at) VALUES (1, ?, ?, ?)",
            (f"http://cdn/{n}.png", f"lambert-due-{n}", LONG_AGO),
        )
    p = processor(d1, account)
    p.subrequests = Subrequests(limit=100_000)
    t0, deleted = p.wall_clock(), 0
    for _ in range(12):  # more runs in one day than the cap needs
        deleted += cleanup(p, t0, sweep=False)["deleted"]
    assert deleted == 2000 == len(account.deleted)
    assert cleanup(p, t0 + DAY, sweep=False)["deleted"] == 500  # a new day: the next run's share


def test_a_404_counts_as_done_and_a_transient_error_is_tried_three_times():
    d1, account, p = uploaded_stack(count=1, photos=2)
    t0 = p.wall_clock()
    first = drop_photo(d1, 1, 0, t0 - 30 * DAY)
    second = drop_photo(d1, 1, 0, t0 - 30 * DAY)
    account.stored.discard(first)  # someone deleted it already: the API answers 404
    account.delete_script[second] = [Verdict(TRANSIENT, "Images API error: 500")] * 3
    result = cleanup(p, t0, sweep=False)
    assert (result["deleted"], result["alreadyGone"], result["failed"]) == (1, 1, 1)
    assert account.delete_calls.count(second) == 3
    row = d1.rows("SELECT attempts, last_error FROM photo_removals WHERE image_id = ?", [second])[0]
    assert row == {"attempts": 1, "last_error": "Images API error: 500"}
    assert cleanup(p, t0, sweep=False)["deleted"] == 1 and second in account.deleted  # the next run


def test_a_cleanup_logs_its_failed_deletions_in_a_few_writes_in_order():
    d1, account, p = uploaded_stack(count=4, photos=5)
    t0, writes = p.wall_clock(), []
    gone = [drop_photo(d1, vehicle, 0, t0 - 30 * DAY) for vehicle in (1, 2, 3, 4) for _ in range(5)]
    for image_id in gone:
        account.delete_script[image_id] = [Verdict(TRANSIENT, "Images API error: 500")] * 3
    p.log = writes.append
    result = cleanup(p, t0, sweep=False)
    lines = [line for write in writes for line in write.split("\n")]
    failed = [line for line in lines if "Could not delete image" in line]
    assert result["failed"] == 20 and len(failed) == 20
    assert [line.split("image ")[1].split(":")[0] for line in failed] == gone  # the order they were tried
    assert lines[-1].startswith("🧹 Cleanup (test)")  # the summary still comes last
    assert len(writes) <= 3  # one console.log costs ~2 ms of CPU under workerd (gathered_log.py)


def test_the_storage_report_counts_what_is_stored_and_what_it_costs():
    d1, account, p = uploaded_stack(count=2, photos=5)
    counts = asyncio.run(db.storage_counts(d1, iso_utc(p.wall_clock())[:10]))
    assert counts == {
        "stored": 10,
        "queued": 0,
        "done": 0,
        "today": 0,
        "released": 0,
        "stuck": 0,
        "stuckRows": [],
    }


def test_a_deletion_failing_ten_times_is_shown_with_its_error_and_tried_again_a_day_later():
    d1, account, p = uploaded_stack(count=1, photos=2)
    t0 = p.wall_clock()
    stuck = drop_photo(d1, 1, 0, t0 - 30 * DAY)
    account.delete_script[stuck] = [Verdict(TRANSIENT, "Images API error: 503")] * 30
    for run in range(10):  # ten runs within the hour: ten failed tries
        assert cleanup(p, t0 + run * 60, sweep=False)["failed"] == 1
    calls = account.delete_calls.count(stuck)
    assert cleanup(p, t0 + 3600, sweep=False)["due"]["removed"] == 0  # stuck: not tried on every run
    assert account.delete_calls.count(stuck) == calls
    report = lifecycle_report(d1, p, t0 + 3600)
    assert report["stuckDeletions"] == 1 and report["deletionsQueued"] == 1
    (entry,) = report["stuck"]
    assert (entry["imageId"], entry["reason"], entry["attempts"]) == (stuck, "removed", 10)
    assert entry["lastError"] == "Images API error: 503"
    assert entry["nextAttemptAfter"] == iso_utc(t0 + 9 * 60 + DAY)
    account.delete_script[stuck] = []  # the API works again: a day after the last try it goes
    assert cleanup(p, t0 + 9 * 60 + DAY + 1, sweep=False)["deleted"] == 1 and stuck in account.deleted
    assert lifecycle_report(d1, p, t0 + 2 * DAY)["stuckDeletions"] == 0


def test_a_stuck_deletion_does_not_keep_the_sweep_from_judging_its_image():
    d1, account, p = uploaded_stack(count=1, photos=2)
    t0 = p.wall_clock()
    stuck = drop_photo(d1, 1, 0, t0 - 30 * DAY)
    d1.con.execute("DELETE FROM images WHERE image_id = ?", (stuck,))  # no row names it but the queue
    d1.con.execute(
        "UPDATE photo_removals SET attempts = 10, last_error = 'x', last_attempt_at = ? WHERE image_id = ?",
        (iso_utc(t0 - 3600), stuck),
    )
    account.plant("lambert-orphan-old")
    result = cleanup(p, t0)  # not due again for 23 hours, but the sweep judges it as an orphan
    assert result["due"] == {"removed": 0, "retention": 0, "orphan": 2, "replaced": 0}
    assert {stuck, "lambert-orphan-old"} <= set(account.deleted)
    assert d1.rows("SELECT * FROM photo_removals WHERE image_id = ?", [stuck]) == []


class CountingAccount(ScriptedAccount):
    """Each delete and list page is one subrequest of the invocation, as the REST transport's fetches are."""

    def __init__(self, subrequests):
        super().__init__()
        self.subrequests = subrequests

    async def delete(self, image_id, timeout_s=None):
        self.subrequests.spend()
        return await super().delete(image_id, timeout_s)

    async def list_images(self, cursor, per_page=1000):
        self.subrequests.spend()
        return await super().list_images(cursor, per_page=2)  # small pages: several list requests


def test_a_cleanup_reports_the_subrequests_it_made_not_those_of_the_drain_before_it():
    """Issue 23: a cron sweep after a long drain reported the invocation's 985 subrequests as its own."""
    spent = Subrequests(limit=1000)
    d1, account = SqliteD1(subrequests=spent), CountingAccount(spent)
    seed(d1, 2, 2)
    p = processor(d1, account)
    p.subrequests = spent
    asyncio.run(process_batch(p, batch_size=10))  # the cron's drain: uploads and their D1 writes
    for n in range(5):
        account.plant(f"lambert-orphan-{n}")
    spent.spend(600 - spent.used)  # the drain made 600 in all
    result = cleanup(p, p.wall_clock())
    assert result["deleted"] == 5 and result["listRequests"] == 5  # 9 images, 2 a page
    assert result["invocationSubrequests"] == spent.used
    assert result["subrequests"] == spent.used - 600
    assert result["subrequests"] >= result["listRequests"] + result["deleted"]  # D1 calls on top
    record = json.loads(d1.rows("SELECT summary FROM runs WHERE kind = 'sweep'")[0]["summary"])
    assert record["subrequests"] == result["subrequests"]


def lifecycle_report(d1, p, now):
    counts = asyncio.run(db.storage_counts(d1, iso_utc(now)[:10]))
    return storage_report(counts, {}, LifecycleSettings())


class PhotoHost:
    """Vendor photo hosts answering HEAD with validators: an ETag per URL, 304 when it matches."""

    def __init__(self, etags: dict | None = None, validators: bool = True):
        self.etags, self.validators, self.asked = dict(etags or {}), validators, []

    async def request(self, method, url, headers=None, body=None, timeout_s=15.0, max_bytes=None):
        self.asked.append((method, url, dict(headers or {})))
        if not self.validators:
            return HttpResponse(200, b"", {"content-type": "image/png"})
        etag = self.etags.setdefault(url, '"first"')
        if (headers or {}).get("If-None-Match") == etag:
            return HttpResponse(304, b"", {"etag": etag})
        return HttpResponse(200, b"", {"etag": etag, "content-length": "68", "content-type": "image/png"})


def test_a_replaced_photo_is_uploaded_again_switched_in_place_then_its_first_upload_deleted():
    d1, account, p = uploaded_stack(count=2, photos=3)
    p.http, t0 = PhotoHost(), p.wall_clock()
    first = cleanup(p, t0, sweep=False)
    assert (first["photosChecked"], first["photosReplaced"]) == (6, 0)  # the validators, remembered
    replaced_url, old_id = "http://cdn/1/1.png", lists(d1)[1][1]
    p.http.etags[replaced_url] = '"re-shot"'
    assert cleanup(p, t0 + 3 * DAY, sweep=False)["photosChecked"] == 0  # not due yet
    later = cleanup(p, t0 + 8 * DAY, sweep=False)
    assert (later["photosChecked"], later["photosReplaced"], later["deleted"]) == (6, 1, 1)
    assert [h for m, u, h in p.http.asked if u == replaced_url][-1] == {"If-None-Match": '"first"'}
    new_id = lists(d1)[1][1]
    assert new_id == f"{old_id}-v1" and new_id in account.stored and account.deleted == [old_id]
    assert lists(d1)[1][0] != new_id and lists(d1)[1][2] != new_id  # the other positions kept
    row = d1.rows("SELECT image_id, version, etag FROM images WHERE source_url = ?", [replaced_url])[0]
    assert row == {"image_id": new_id, "version": 1, "etag": '"re-shot"'}
    assert d1.rows("SELECT reason FROM image_deletions") == [{"reason": "replaced"}]


def test_a_host_without_validators_is_never_asked_again():
    d1, account, p = uploaded_stack(count=1, photos=2)
    p.http, t0 = PhotoHost(validators=False), p.wall_clock()
    assert cleanup(p, t0, sweep=False)["photosWithoutValidators"] == 2
    assert cleanup(p, t0 + 30 * DAY, sweep=False)["photosChecked"] == 0
    assert len(p.http.asked) == 2 and account.deleted == []


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 60  # what judge_vendor_download takes for an image


class DownloadingAccount(ScriptedAccount):
    """As the file and binding transports: the photo is downloaded, its validators come with it."""

    downloads_photos = True

    async def upload(self, source_url, image_id, metadata, timeout_s=None):
        verdict = await super().upload(source_url, image_id, metadata, timeout_s)
        validators = {"etag": '"first"', "last_modified": None, "content_length": len(PNG)}
        verdict.validators = {**validators, "content_sha256": hashlib.sha256(PNG).hexdigest()}
        return verdict


class RenamingCdn(PhotoHost):
    """A CDN that changed every ETag while serving the same bytes."""

    async def request(self, method, url, headers=None, body=None, timeout_s=15.0, max_bytes=None):
        self.asked.append((method, url, dict(headers or {})))
        answer = {"etag": '"renamed"', "content-type": "image/png", "content-length": str(len(PNG))}
        return HttpResponse(200, b"" if method == "HEAD" else PNG, answer)


def test_validators_from_the_download_make_the_first_check_a_week_later():
    d1, account = SqliteD1(), DownloadingAccount()
    seed(d1, 1, 2)
    p = processor(d1, account)
    asyncio.run(process_batch(p, batch_size=10))
    rows = d1.rows("SELECT etag, content_sha256, checked_at FROM images ORDER BY source_url")
    assert all(r["etag"] == '"first"' and len(r["content_sha256"]) == 64 and r["checked_at"] for r in rows)
    p.http, t0 = PhotoHost(), p.wall_clock()
    assert cleanup(p, t0, sweep=False)["photosChecked"] == 0  # known since the upload
    assert cleanup(p, t0 + 8 * DAY, sweep=False)["photosChecked"] == 2


def test_a_changed_etag_over_the_same_bytes_is_not_uploaded_again():
    d1, account = SqliteD1(), DownloadingAccount()
    seed(d1, 1, 2)
    p = processor(d1, account)
    asyncio.run(process_batch(p, batch_size=10))
    uploads = len(account.uploads)
    p.http = RenamingCdn()
    result = cleanup(p, p.wall_clock() + 8 * DAY, sweep=False)
    assert (result["photosChecked"], result["photosReplaced"], result["deleted"]) == (2, 0, 0)
    assert (
        len(account.uploads) == uploads
        and sorted(m for m, _, _ in p.http.asked) == ["GET"] * 2 + ["HEAD"] * 2
    )
    assert {r["etag"] for r in d1.rows("SELECT etag FROM images")} == {'"renamed"'}


def test_a_stale_write_that_puts_a_replaced_or_deleted_id_back_is_repaired():
    d1, account, p = uploaded_stack(count=1, photos=2)
    p.http, t0 = PhotoHost(), p.wall_clock()
    cleanup(p, t0, sweep=False)
    old = lists(d1)[0][0]
    p.http.etags["http://cdn/0/0.png"] = '"re-shot"'
    stale = json.dumps(lists(d1)[0])  # a gallery read loaded the list before the switch...
    assert cleanup(p, t0 + 8 * DAY, sweep=False)["photosReplaced"] == 1
    d1.con.execute("UPDATE vehicles SET images = ?", (stale,))  # ...and wrote it back after the deletion
    assert old in account.deleted and lists(d1)[0][0] == old
    cleanup(p, t0 + 8 * DAY + 60, sweep=False)
    assert lists(d1)[0][0] == f"{old}-v1"  # the photo's current id again, not a deleted one


def test_a_host_refusing_head_is_asked_again_only_a_check_period_later():
    class RefusingHost(PhotoHost):
        async def request(self, method, url, headers=None, body=None, timeout_s=15.0, max_bytes=None):
            self.asked.append((method, url, dict(headers or {})))
            return HttpResponse(405, b"", {"content-length": "12, 12"})

    d1, account, p = uploaded_stack(count=1, photos=2)
    p.http, t0 = RefusingHost(), p.wall_clock()
    assert cleanup(p, t0, sweep=False)["photosChecked"] == 0
    assert cleanup(p, t0 + 60, sweep=False)["photosChecked"] == 0 and len(p.http.asked) == 2
    cleanup(p, t0 + 8 * DAY, sweep=False)
    assert len(p.http.asked) == 4


def test_a_sold_vehicle_that_returns_with_other_photos_has_its_old_images_deleted():
    d1, account, p = uploaded_stack(count=2, photos=2)
    t0 = p.wall_clock()
    old = lists(d1)[1]
    sell(d1, 2, t0)
    settings = LifecycleSettings(max_deletions_per_day=0)  # released, but the day's cap is spent
    assert cleanup(p, t0 + 31 * DAY, settings, sweep=False)["vehiclesReleased"] == 1
    d1.con.execute(
        "UPDATE vehicles SET status = 'active', inactive_since = NULL, images_released_at = NULL, "
        "images = '[\"http://cdn/1/new.png\"]', source_images = '[\"http://cdn/1/new.png\"]' WHERE id = 2"
    )
    assert cleanup(p, t0 + 32 * DAY, sweep=False)["deleted"] == 2 and sorted(account.deleted) == sorted(old)
