"""Fault injection under workerd: vendor faults, Images API faults, a crash mid-run, a D1 write
that fails after the uploads, runs racing each other, and secrets that must never leak.

Each test names the design invariant it guards:
  1 no image is ever lost            2 an image is uploaded at most once
  4 two runs never work on the same image (claims expire)
  5 transient failures retried (1/2/4 s + jitter, retry-after), permanent ones recorded, not retried
  6 the Images API budget / rate limit is respected      8 secrets never in an answer or a log line
The retry waits are real (about 1 + 2 + 4 s), so the slow cases use very few photos.
"""

import threading
import time

from dev.client import (
    all_entries,
    image_lists,
    images_knobs,
    images_stats,
    logged,
    process,
    seed_vehicles,
    site_knobs,
    vendor_entries,
    wait_for,
)
from tests.settings import TEST_PROCESSOR_VARS


def image_row(database, url):
    rows = database.rows("SELECT * FROM images WHERE source_url = ?", (url,))
    assert rows, f"no images row for {url}"
    return rows[0]


def failures_by_url(stack, api):
    status, body = api.call("GET", stack.processor_url + "/api/failures")
    assert status == 200, body
    return {f["source_url"]: f for f in body["failures"]}


def photo_url(stack, stock, n):
    return f"{stack.standins.site.cdn_url}/photos/{stock}/{n}.png"


def in_thread(target):
    """Run target() in a thread; its answer or its exception lands in the returned dict."""
    out = {}

    def run():
        try:
            out["answer"] = target()
        except BaseException as error:  # noqa: BLE001  (a killed Worker resets the connection)
            out["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    out["thread"] = thread
    return out


# --- 1. vendor faults (url mode: the Images stand-in fetches the photo itself) ---------------------


def test_vendor_404_410_not_image_and_oversize_are_permanent_kept_as_urls_and_not_retried(
    fresh, api, database
):
    """Invariants 1 and 5: permanent vendor faults keep their URL, say why, and are not retried."""
    stack = fresh
    seed_vehicles(stack, database, 1, 5)
    url = {n: photo_url(stack, "L10001", n) for n in range(1, 6)}
    site_knobs(
        stack,
        api,
        photo_faults={
            "/photos/L10001/1.png": 404,
            "/photos/L10001/2.png": 410,
            "/photos/L10001/3.png": "not_image",
            "/photos/L10001/4.png": "oversize",
            "/photos/L10001/5.png": "slow",
        },
    )
    answer = process(stack, api)
    assert (answer["imagesUploaded"], answer["imagesFailed"], answer["imagesFailedPermanently"]) == (
        1,
        4,
        4,
    ), answer
    [images] = image_lists(database)
    assert images[:4] == [url[1], url[2], url[3], url[4]]  # kept, in place
    assert not images[4].startswith("http")  # "slow" (3 s) still uploads
    failures = failures_by_url(stack, api)
    expected = {1: "404", 2: "410", 3: "not an image", 4: "too large"}
    for n, words in expected.items():
        failure = failures[url[n]]
        assert failure["permanent"] is True and words in failure["last_error"], failure
        assert image_row(database, url[n])["attempts"] == 1  # permanent: no retry in the run
    received = images_stats(stack, api)["uploads_received"]
    assert received == 5
    # The next run leaves them alone: nothing to do, nothing sent.
    again = process(stack, api)
    assert again["processed"] == 0 and again["imagesFailed"] == 0
    assert images_stats(stack, api)["uploads_received"] == received
    assert image_lists(database) == [images]


def test_vendor_500_is_transient_retried_four_times_then_uploaded_by_the_next_run(fresh, api, database):
    """Invariant 5: a vendor 5xx is retried (4 attempts, 1/2/4 s apart), left pending, not permanent."""
    stack = fresh
    seed_vehicles(stack, database, 1, 2)
    broken = photo_url(stack, "L10001", 1)
    site_knobs(stack, api, photo_faults={"/photos/L10001/1.png": 500})
    started = time.time()
    answer = process(stack, api)
    took = time.time() - started
    assert (answer["imagesUploaded"], answer["imagesFailed"], answer["imagesFailedPermanently"]) == (
        1,
        1,
        0,
    ), answer
    assert took >= 7.0, f"the retry waits should add up to 7-8.75 s, the run took {took:.1f} s"
    row = image_row(database, broken)
    assert (row["state"], row["permanent"], row["attempts"]) == ("pending", 0, 4), row
    assert "500" in row["last_error"]
    assert image_lists(database)[0][0] == broken
    stats = images_stats(stack, api)
    assert stats["uploads_by_id"][row["image_id"]] == 4
    failure = failures_by_url(stack, api)[broken]
    assert failure["permanent"] is False
    # Fixed at the vendor: the next run (no requeue needed) uploads it.
    site_knobs(stack, api, photo_faults={})
    second = process(stack, api)
    assert second["imagesUploaded"] == 1 and vendor_entries(database) == []
    assert image_lists(database)[0][0] == row["image_id"]
    assert images_stats(stack, api)["stored"] == 2


def test_a_hanging_vendor_is_bounded_and_retried(fresh, api, database):
    """Invariant 5: a vendor that never answers (the "timeout" fault hangs 60 s) costs one attempt
    bounded by the Images API's own fetch timeout (10 s in the stand-in), then is retried; here the
    fault is lifted while attempt 1 hangs, so attempt 2 uploads it."""
    stack = fresh
    seed_vehicles(stack, database, 1, 1)
    site_knobs(stack, api, photo_faults={"/photos/L10001/1.png": "timeout"})
    run = in_thread(lambda: process(stack, api, timeout=60))
    # The vendor CDN counts the request just before it reads its faults: once counted, attempt 1 hangs.
    wait_for(lambda: stack.standins.site.stats()["requests"]["photo"] >= 1, 10, "the first photo fetch")
    time.sleep(0.3)
    site_knobs(stack, api, photo_faults={})
    run["thread"].join(40)
    assert not run["thread"].is_alive(), "the run did not end within 40 s of a vendor hanging for 60 s"
    assert "error" not in run, run.get("error")
    answer = run["answer"]
    assert answer["imagesUploaded"] == 1, answer
    row = image_row(database, photo_url(stack, "L10001", 1))
    assert (row["state"], row["attempts"]) == ("uploaded", 2), row
    assert images_stats(stack, api)["uploads_by_id"] == {row["image_id"]: 2}
    assert vendor_entries(database) == []


# --- 2. Images API faults ----------------------------------------------------------------------


def test_rate_limited_429_waits_for_retry_after_and_uploads_without_duplicates(fresh, api, database):
    """Invariants 5 and 2: a 429 with Retry-After is waited out, then the photos upload, once each."""
    stack = fresh
    seed_vehicles(stack, database, 1, 6)
    images_knobs(stack, api, rate_limit=3, rate_window_s=30, rate_limit_block_s=2)
    log_start = len(stack.workers["processor"].log_text())
    started = time.time()
    answer = process(stack, api)
    took = time.time() - started
    assert answer["imagesUploaded"] == 6 and answer["imagesFailed"] == 0, answer
    assert vendor_entries(database) == []
    stats = images_stats(stack, api)
    assert stats["rate_limited"] > 0 and stats["by_status"].get("429", 0) > 0
    assert stats["stored"] == 6 and stats["duplicate_uploads"] == 0
    assert max(stats["uploads_by_id"].values()) == 1
    assert set(all_entries(database)) == set(stats["stored_ids"])
    assert took >= 2.0, f"the run cannot have honoured a 2 s Retry-After in {took:.1f} s"
    # 3 pass, the 4th trips a 2 s block, the 5th and 6th meet it: each of those 3 waits out its
    # Retry-After (2 s, longer than the 1 s backoff) and gets through on attempt 2, never meeting 429 twice.
    assert stats["rate_limited"] == 3, stats["by_status"]
    urls = [photo_url(stack, "L10001", n) for n in range(1, 7)]
    assert sorted(image_row(database, u)["attempts"] for u in urls) == [1, 1, 1, 2, 2, 2]
    logged(stack.workers["processor"], "rate limited", since=log_start)


def test_images_api_5xx_is_retried_four_times_left_pending_and_uploaded_next_run(fresh, api, database):
    """Invariants 5 and 1: 5xx / dropped connections are transient: 4 attempts, pending, not permanent."""
    stack = fresh
    seed_vehicles(stack, database, 1, 3)
    images_knobs(stack, api, transient_rate=1.0, seed=3)
    answer = process(stack, api)
    assert (answer["imagesUploaded"], answer["imagesFailed"], answer["imagesFailedPermanently"]) == (
        0,
        3,
        0,
    ), answer
    urls = [photo_url(stack, "L10001", n) for n in (1, 2, 3)]
    assert image_lists(database) == [urls]
    rows = [image_row(database, u) for u in urls]
    assert all((r["state"], r["permanent"], r["attempts"]) == ("pending", 0, 4) for r in rows), rows
    stats = images_stats(stack, api)
    assert stats["stored"] == 0 and all(stats["uploads_by_id"][r["image_id"]] == 4 for r in rows)
    assert not any(f["permanent"] for f in failures_by_url(stack, api).values())
    images_knobs(stack, api, transient_rate=0.0)
    second = process(stack, api)
    assert second["imagesUploaded"] == 3 and vendor_entries(database) == []
    stats = images_stats(stack, api)
    assert stats["stored"] == 3 and all(stats["uploads_by_id"][r["image_id"]] == 5 for r in rows)
    assert set(all_entries(database)) == set(stats["stored_ids"])


def test_a_lost_answer_after_storing_is_retried_meets_409_and_counts_as_success(fresh, api, database):
    """Invariant 2: the stand-in stores the image and drops the connection; the retry meets 409,
    reads the image back and counts it uploaded. One stored copy per photo."""
    stack = fresh
    seed_vehicles(stack, database, 1, 3)
    images_knobs(stack, api, lose_response_rate=1.0)  # only ever reached by a first, storing attempt
    log_start = len(stack.workers["processor"].log_text())
    answer = process(stack, api)
    images_knobs(stack, api, lose_response_rate=0.0)
    assert answer["imagesUploaded"] == 3 and answer["imagesFailed"] == 0, answer
    stats = images_stats(stack, api)
    assert stats["stored"] == 3 and stats["dropped_connections"] == 3 and stats["duplicate_uploads"] == 3
    assert sorted(stats["uploads_by_id"].values()) == [2, 2, 2]
    assert set(all_entries(database)) == set(stats["stored_ids"])
    logged(stack.workers["processor"], "already there", since=log_start)


def test_a_409_for_an_image_uploaded_earlier_counts_as_success_without_a_second_copy(fresh, api, database):
    """Invariant 2: the database forgot the uploads (lists back to vendor URLs) but Images kept them:
    the second run meets 409 for each, reads it back, writes the same ids."""
    stack = fresh
    seed_vehicles(stack, database, 2, 3)
    assert process(stack, api)["imagesUploaded"] == 6
    uploaded_lists = image_lists(database)
    database.execute("DELETE FROM images")
    database.execute("UPDATE vehicles SET images = source_images")
    assert len(vendor_entries(database)) == 6
    answer = process(stack, api)
    assert answer["imagesUploaded"] == 6 and answer["imagesFailed"] == 0, answer
    assert image_lists(database) == uploaded_lists
    stats = images_stats(stack, api)
    assert stats["stored"] == 6 and stats["duplicate_uploads"] == 6
    assert sorted(stats["uploads_by_id"].values()) == [2] * 6


def test_a_409_whose_image_cannot_be_read_back_is_not_counted_a_success(fresh, api, database):
    """Invariants 1 and 2: a 409 is trusted only after the read-back finds the image: here it never
    does, so the photo keeps its vendor URL and stays pending (retried, not permanent)."""
    stack = fresh
    seed_vehicles(stack, database, 1, 2)
    phantom = photo_url(stack, "L10001", 1)
    images_knobs(stack, api, fail_urls={phantom: 409})
    answer = process(stack, api)
    assert (answer["imagesUploaded"], answer["imagesFailed"], answer["imagesFailedPermanently"]) == (
        1,
        1,
        0,
    ), answer
    row = image_row(database, phantom)
    assert (row["state"], row["permanent"], row["attempts"]) == ("pending", 0, 4), row
    assert "read back" in row["last_error"]
    assert image_lists(database)[0][0] == phantom
    images_knobs(stack, api, fail_urls={})
    assert process(stack, api)["imagesUploaded"] == 1
    assert vendor_entries(database) == [] and images_stats(stack, api)["stored"] == 2


# --- 3. a crash mid-run --------------------------------------------------------------------------


def test_a_killed_run_keeps_its_claims_until_they_expire_then_the_rest_is_uploaded_once(fresh, api, database):
    """Invariants 4, 1 and 2: the processor dies mid-run; its claims hold (no other run touches those
    photos) until they expire; then a run finishes the work, meeting 409 for what was stored."""
    stack = fresh
    vehicles, photos = 10, 6
    total = vehicles * photos
    ids = seed_vehicles(stack, database, vehicles, photos)
    images_knobs(stack, api, latency_ms=500)
    run = in_thread(lambda: process(stack, api, timeout=60))
    wait_for(lambda: images_stats(stack, api)["uploads_received"] >= 6, 15, "the first uploads")
    time.sleep(1.0)
    try:
        stack.stop_worker("processor")
        killed_at_ms = int(time.time() * 1000)
        run["thread"].join(10)
        assert "error" in run, f"the run should have died with its Worker: {run.get('answer')}"
        # Requests already inside the stand-in finish storing.
        wait_for(lambda: images_stats(stack, api)["in_flight"] == 0, 15, "the stand-in to finish")
        before = images_stats(stack, api)
        claims = database.rows("SELECT claim_expires_at, state FROM images")
        assert len(claims) == total and all(c["state"] == "pending" for c in claims)
        ttl_ms = int(TEST_PROCESSOR_VARS["CLAIM_TTL_S"]) * 1000
        assert all(killed_at_ms < c["claim_expires_at"] <= killed_at_ms + ttl_ms for c in claims), claims
        assert 0 < before["stored"] < total, before["stored"]
        assert len(vendor_entries(database)) == total  # nothing was written back, nothing lost
        # A restart under load can take most of the 15 s the claims last: stretch them while the
        # test shows that they hold, then let them lapse by the clock.
        database.execute("UPDATE images SET claim_expires_at = ?", (int(time.time() * 1000) + 120_000,))
    finally:
        stack.restart_worker("processor")
    images_knobs(stack, api, latency_ms=0)
    # While the dead run's claims hold, a run leaves those photos alone.
    early = process(stack, api)
    assert early["imagesUploaded"] == 0 and early["imagesFailed"] == 0, early
    named = process(stack, api, {"vehicleIds": ids})  # straight to the claims, past the work query
    assert named["imagesUploaded"] == 0 and named["imagesFailed"] == 0, named
    assert named["imagesNotAttempted"] == total, named
    assert images_stats(stack, api)["uploads_received"] == before["uploads_received"]
    # Once they expire, the next run takes them.
    database.execute("UPDATE images SET claim_expires_at = ?", (int(time.time() * 1000) + 2_000,))
    wait_for(
        lambda: (
            database.rows(
                "SELECT COUNT(*) AS n FROM images WHERE claim_expires_at > ?", (int(time.time() * 1000),)
            )[0]["n"]
            == 0
        ),
        30,
        "the claims to expire",
        every=0.25,
    )
    answer = process(stack, api)
    assert answer["imagesUploaded"] == total and answer["imagesFailed"] == 0, answer
    assert vendor_entries(database) == []
    stats = images_stats(stack, api)
    assert stats["stored"] == total
    assert set(all_entries(database)) == set(stats["stored_ids"])
    # Exactly the images stored before the kill were sent twice, and the second time met 409.
    twice = {i for i, n in stats["uploads_by_id"].items() if n > 1}
    assert twice == set(before["stored_ids"]) and max(stats["uploads_by_id"].values()) == 2
    assert stats["duplicate_uploads"] == before["stored"]


# --- 4. D1 fails after the uploads succeeded ------------------------------------------------------


def test_a_failed_d1_write_back_loses_nothing_and_the_next_run_recognises_the_uploads(fresh, api, database):
    """Invariants 1 and 2: the uploads succeed but recording them fails: the lists keep their vendor
    URLs; the next run meets 409 for every photo, reads it back and records it. No second copy."""
    stack = fresh
    seed_vehicles(stack, database, 2, 4)
    log_start = len(stack.workers["processor"].log_text())
    database.execute(
        "CREATE TRIGGER fail_writeback BEFORE UPDATE OF state ON images "
        "WHEN NEW.state = 'uploaded' BEGIN SELECT RAISE(ABORT, 'injected D1 failure'); END"
    )
    try:
        status, answer = api.call("POST", stack.processor_url + "/api/process-images", {"batchSize": 10})
    finally:
        database.execute("DROP TRIGGER IF EXISTS fail_writeback")
    assert status == 500 and answer.get("success") is False and "error" in answer, (status, answer)
    assert len(vendor_entries(database)) == 8
    assert images_stats(stack, api)["stored"] == 8
    logged(stack.workers["processor"], "injected D1 failure", since=log_start)
    # The claims are still held (the write-back, which frees them, was rolled back): free them.
    assert database.rows("SELECT COUNT(*) AS n FROM images WHERE claimed_by IS NOT NULL")[0]["n"] == 8
    database.execute("UPDATE images SET claim_expires_at = 0")
    second = process(stack, api)
    assert second["imagesUploaded"] == 8 and second["imagesFailed"] == 0, second
    assert vendor_entries(database) == []
    stats = images_stats(stack, api)
    assert stats["stored"] == 8 and stats["duplicate_uploads"] == 8
    assert set(all_entries(database)) == set(stats["stored_ids"])


# --- 5. runs racing each other -------------------------------------------------------------------


def test_three_requests_and_a_cron_run_at_once_upload_every_image_exactly_once(fresh, api, database):
    """Invariants 4 and 6: four invocations at once share the work through claims: one upload per
    photo, no 409, at most 6 uploads in flight per invocation."""
    stack = fresh
    vehicles, photos = 12, 5
    total = vehicles * photos
    seed_vehicles(stack, database, vehicles, photos)
    images_knobs(stack, api, latency_ms=100)
    cron = stack.cron_url
    runs = [in_thread(lambda: process(stack, api)) for _ in range(3)]
    runs.append(in_thread(lambda: api.call("GET", cron, token=None)))
    for run in runs:
        run["thread"].join(90)
        assert not run["thread"].is_alive() and "error" not in run, run.get("error")
    assert runs[3]["answer"][0] == 200
    uploaded_by_runs = sum(r["answer"]["imagesUploaded"] for r in runs[:3])
    # Each request handles one batch of 10 vehicles; whatever they and the cron drain left is mopped up.
    rest = process(stack, api)
    assert rest["imagesFailed"] == 0
    assert vendor_entries(database) == []
    stats = images_stats(stack, api)
    assert stats["uploads_received"] == total and stats["duplicate_uploads"] == 0, stats["uploads_by_id"]
    assert stats["stored"] == total and max(stats["uploads_by_id"].values()) == 1
    assert stats["max_in_flight"] <= 24
    assert uploaded_by_runs + rest["imagesUploaded"] <= total
    assert set(all_entries(database)) == set(stats["stored_ids"])


# --- 6. the Images API budget --------------------------------------------------------------------


def test_a_nearly_spent_api_budget_caps_the_requests_and_leaves_the_rest_pending(fresh, api, database):
    """Invariant 6 (and 1): other invocations have spent all but 3 requests of this minute's shared
    budget: the run sends at most 3, the other photos keep their URLs, unclaimed and not failed."""
    stack = fresh
    seed_vehicles(stack, database, 1, 6)
    limit = 1000  # IMAGES_API_REQUESTS_PER_MINUTE of the test stack
    minute = int(time.time() // 60 * 60)
    for window in (minute, minute + 60):  # in case the run crosses a minute boundary
        database.execute("INSERT INTO api_budget (window_start, used) VALUES (?, ?)", (window, limit - 3))
    answer = process(stack, api)
    assert answer["imagesUploaded"] == 3 and answer["imagesFailed"] == 0, answer
    assert answer["imagesNotAttempted"] == 3 and answer["apiRequests"] <= 3, answer
    assert images_stats(stack, api)["requests"] == 3
    assert len(vendor_entries(database)) == 3
    left = database.rows("SELECT * FROM images WHERE state != 'uploaded'")
    assert all(r["permanent"] == 0 and r["claimed_by"] is None for r in left), left
    assert database.rows("SELECT used FROM api_budget WHERE window_start = ?", (minute,))[0]["used"] <= limit
    # A fresh minute's budget: the next run uploads the rest.
    database.execute("DELETE FROM api_budget")
    assert process(stack, api)["imagesUploaded"] == 3 and vendor_entries(database) == []
    assert images_stats(stack, api)["stored"] == 6
