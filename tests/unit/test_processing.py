"""The processor's logic on a real SQLite (schema.sql) with a scripted transport: claims, retries,
write-back, budget. The same code runs under workerd in tests/integration."""

import asyncio
import json
import time

from inventory import db
from inventory.gathered_log import MAX_GATHERED, GatheredLog
from inventory.photos.budget import ApiBudget
from inventory.photos.retries import upload_with_retries
from inventory.photos.run import Processor, Settings, drain, process_batch
from inventory.photos.transports import MIN_ATTEMPT_S
from inventory.photos.verdicts import EXISTS, OK, PERMANENT, TRANSIENT, Verdict
from inventory.subrequests import Subrequests
from tests.sqlite_d1 import SqliteD1


class ScriptedTransport:
    """Answers per source URL from a script (a list of verdicts, used in turn); default: OK."""

    uploads_use_budget = True  # as the REST API's uploads (inventory.photos.transports.UploadTransport)
    requests_per_attempt = 1

    def __init__(self, script=None, delay=0.0):
        self.script = {url: list(verdicts) for url, verdicts in (script or {}).items()}
        self.delay = delay
        self.uploads, self.stored = [], set()
        self.in_flight = self.max_in_flight = 0
        self.timeouts = []

    async def upload(self, source_url, image_id, metadata, timeout_s=None):
        self.timeouts.append(timeout_s)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        await asyncio.sleep(self.delay)
        self.in_flight -= 1
        self.uploads.append(image_id)
        queue = self.script.get(source_url)
        verdict = queue.pop(0) if queue else Verdict(OK, image_id=image_id)
        if verdict.kind == OK:
            self.stored.add(image_id)
        return verdict

    async def exists(self, image_id, timeout_s=None):
        return image_id in self.stored

    async def prepare(self, budget):
        pass


def seed(d1, count, photos, images=None):
    for v in range(count):
        urls = [f"http://cdn/{v}/{n}.png" for n in range(photos)]
        d1.con.execute(
            "INSERT INTO vehicles (vehicle_key, make, model, images, source_images, first_seen_at, "
            "updated_at) "
            "VALUES (?, 'Ford', 'Focus', ?, ?, datetime('now'), datetime('now'))",
            (f"stock:S{v}", json.dumps(images(v, urls) if images else urls), json.dumps(urls)),
        )


def processor(d1, transport, sleeps=None, **settings):
    async def fake_sleep(seconds):
        if sleeps is not None:
            sleeps.append(seconds)

    # The wall clock stands still: the API budget is counted per clock minute, and a minute turning
    # in the middle of a test would hand it a fresh budget.
    frozen = time.time()
    return Processor(
        d1,
        transport,
        Settings(**{"api_requests_per_minute": 10_000, **settings}),
        log=lambda *_: None,
        sleep=fake_sleep,
        wall_clock=lambda: frozen,
    )


def lists(d1):
    return [json.loads(r["images"]) for r in d1.rows("SELECT images FROM vehicles ORDER BY id")]


def test_a_batch_ends_with_every_position_holding_its_id_in_order():
    d1, transport = SqliteD1(), ScriptedTransport()
    seed(d1, 3, 4)
    result = asyncio.run(process_batch(processor(d1, transport), batch_size=10))
    assert (result["processed"], result["succeeded"], result["imagesUploaded"]) == (3, 3, 12)
    for v, images in enumerate(lists(d1)):
        assert images == [
            f"lambert-{__import__('hashlib').sha256(f'http://cdn/{v}/{n}.png'.encode()).hexdigest()[:32]}"
            for n in range(4)
        ]


def test_permanent_failures_keep_the_vendor_url_and_are_not_retried_until_requeued():
    d1 = SqliteD1()
    seed(d1, 1, 3)
    bad = "http://cdn/0/1.png"
    transport = ScriptedTransport({bad: [Verdict(PERMANENT, "vendor answered 404")]})
    result = asyncio.run(process_batch(processor(d1, transport), batch_size=10))
    assert result["results"][0]["errors"] == [
        {"url": bad, "reason": "vendor answered 404", "permanent": True}
    ]
    (images,) = lists(d1)
    assert images[1] == bad and not images[0].startswith("http") and not images[2].startswith("http")
    assert len(transport.uploads) == 3
    again = asyncio.run(process_batch(processor(d1, transport), batch_size=10))
    assert again["processed"] == 0 and len(transport.uploads) == 3
    assert asyncio.run(db.requeue(d1, None)) == (1, [1])
    asyncio.run(process_batch(processor(d1, transport), batch_size=10))
    assert not any(e.startswith("http") for e in lists(d1)[0])


def test_retries_follow_the_schedule_and_honour_retry_after():
    d1 = SqliteD1()
    seed(d1, 1, 2)
    flaky, limited = "http://cdn/0/0.png", "http://cdn/0/1.png"
    transport = ScriptedTransport(
        {
            flaky: [Verdict(TRANSIENT, "503"), Verdict(TRANSIENT, "503"), Verdict(TRANSIENT, "x")],
            limited: [Verdict(TRANSIENT, "429", retry_after_s=9)],
        }
    )
    sleeps = []
    result = asyncio.run(process_batch(processor(d1, transport, sleeps), batch_size=10))
    assert result["imagesUploaded"] == 2
    rows = {r["source_url"]: r["attempts"] for r in d1.rows("SELECT source_url, attempts FROM images")}
    assert rows == {flaky: 4, limited: 2}
    waits = sorted(sleeps)
    assert 1 <= waits[0] <= 1.25 and 2 <= waits[1] <= 2.5 and 4 <= waits[2] <= 5 and waits[3] >= 9


def test_a_lost_answer_is_recognised_as_already_uploaded():
    d1 = SqliteD1()
    seed(d1, 1, 1)
    url = "http://cdn/0/0.png"
    transport = ScriptedTransport()
    # The first upload is stored but its answer lost; the retry meets "already exists".
    from inventory.photos.display import image_id_for

    transport.stored.add(image_id_for(url))
    transport.script[url] = [Verdict(TRANSIENT, "connection dropped"), Verdict(EXISTS, "5409")]
    result = asyncio.run(process_batch(processor(d1, transport, []), batch_size=10))
    assert result["imagesUploaded"] == 1 and lists(d1) == [[image_id_for(url)]]


def test_two_runs_at_once_upload_every_image_exactly_once():
    d1, transport = SqliteD1(), ScriptedTransport(delay=0.001)
    seed(d1, 6, 5)

    async def both():
        p = processor(d1, transport)
        return await asyncio.gather(process_batch(p, batch_size=10), process_batch(p, batch_size=10))

    asyncio.run(both())
    assert sorted(transport.uploads) == sorted(set(transport.uploads)) and len(transport.uploads) == 30
    assert transport.max_in_flight <= 12  # two invocations, six each


def test_at_most_six_uploads_in_flight_per_run():
    d1, transport = SqliteD1(), ScriptedTransport(delay=0.002)
    seed(d1, 2, 20)
    asyncio.run(process_batch(processor(d1, transport), batch_size=10))
    assert transport.max_in_flight == 6


def test_round_trips_per_batch_do_not_grow_with_images():
    trips = []
    for photos in (2, 30):
        d1 = SqliteD1()
        seed(d1, 5, photos)
        trips.append(
            asyncio.run(process_batch(processor(d1, ScriptedTransport()), batch_size=10))["d1RoundTrips"]
        )
    assert trips[0] == trips[1] <= 6


def test_the_api_budget_caps_requests_and_leaves_the_rest_for_later():
    d1, transport = SqliteD1(), ScriptedTransport()
    seed(d1, 3, 10)
    result = asyncio.run(process_batch(processor(d1, transport, api_requests_per_minute=12), batch_size=10))
    assert len(transport.uploads) == 12 and result["imagesNotAttempted"] == 18
    assert d1.rows("SELECT used FROM api_budget") == [{"used": 12}]
    # Nothing is lost: the others are plain vendor URLs, unclaimed, ready for the next run.
    assert sum(e.startswith("http") for images in lists(d1) for e in images) == 18
    assert d1.rows("SELECT COUNT(*) AS n FROM images WHERE claimed_by IS NOT NULL") == [{"n": 0}]


def test_status_counts_add_up_in_all_three_list_formats():
    d1 = SqliteD1()
    seed(d1, 4, 3, images=lambda v, urls: [["a", "b", "c"], urls, ["a", urls[1], "c"], []][v])
    stats = asyncio.run(db.image_status(d1, 0))
    assert (
        stats["totalVehicles"],
        stats["needingProcessing"],
        stats["fullyProcessed"],
        stats["partiallyProcessed"],
    ) == (4, 1, 2, 1)
    assert stats["images"] == {
        "total": 9,
        "uploaded": 5,
        "pending": 4,
        "failedPermanently": 0,
        "inProgress": 0,
    }


def test_drain_walks_the_backlog_batch_by_batch():
    d1, transport = SqliteD1(), ScriptedTransport()
    seed(d1, 25, 2)
    totals = asyncio.run(drain(processor(d1, transport), trigger="cron", batch_size=10, time_budget_s=30))
    assert totals["imagesUploaded"] == 50 and totals["batches"] >= 3


def test_a_vehicle_that_keeps_failing_does_not_hold_up_the_backlog():
    d1 = SqliteD1()
    seed(d1, 3, 1)
    # The two newest vehicles (ids 2 and 3) fail at the vendor on every attempt.
    failing = {f"http://cdn/{v}/0.png": [Verdict(TRANSIENT, "vendor 500")] * 99 for v in (1, 2)}
    transport = ScriptedTransport(failing)
    totals = asyncio.run(drain(processor(d1, transport), trigger="cron", batch_size=2, time_budget_s=60))
    assert totals["imagesUploaded"] == 1  # vehicle 1 got its turn
    assert transport.uploads.count(transport.uploads[-1]) == 1


def test_a_photo_shared_by_two_vehicles_is_uploaded_once():
    d1, transport = SqliteD1(), ScriptedTransport()
    seed(d1, 2, 1, images=lambda v, urls: ["http://cdn/shared.png"])
    result = asyncio.run(process_batch(processor(d1, transport), batch_size=10))
    assert len(transport.uploads) == 1 and result["imagesUploaded"] == 2
    assert lists(d1)[0] == lists(d1)[1] and not lists(d1)[0][0].startswith("http")


def test_a_run_whose_claim_expired_does_not_overwrite_the_next_holder():
    d1 = SqliteD1()
    seed(d1, 1, 1)
    url = "http://cdn/0/0.png"
    asyncio.run(db.claim_images(d1, [(url, "id-x", 1)], "run-old", 0, 1))  # expires at once
    asyncio.run(db.claim_images(d1, [(url, "id-x", 1)], "run-new", 5, 10_000))
    asyncio.run(
        db.write_back(
            d1,
            [{"source_url": url, "ok": True, "attempts": 1, "error": None, "permanent": False}],
            [1],
            "run-new",
        )
    )
    asyncio.run(
        db.write_back(
            d1,
            [{"source_url": url, "ok": False, "attempts": 4, "error": "late", "permanent": False}],
            [1],
            "run-old",
        )
    )
    (row,) = d1.rows("SELECT state, last_error FROM images")
    assert row == {"state": "uploaded", "last_error": None} and lists(d1) == [["id-x"]]


def test_a_batch_claims_and_records_every_photo_in_a_few_json_statements():
    d1 = SqliteD1()
    seed(d1, 2, 3)
    urls = [f"http://cdn/{v}/{n}.png" for v in range(2) for n in range(3)]
    wanted = [(url, f"id-{i}", 1 + i // 3) for i, url in enumerate(urls)]
    rows = asyncio.run(db.claim_images(d1, wanted, "run-a", 0, 10_000))
    assert {r["source_url"] for r in rows if r["claimed_by"] == "run-a"} == set(urls)
    assert asyncio.run(db.claim_images(d1, wanted[:1], "run-b", 5, 20_000))[0]["claimed_by"] == "run-a"
    validators = {"etag": '"e1"', "last_modified": None, "content_length": 1234, "content_sha256": "ab"}
    outcomes = [
        {"source_url": urls[0], "ok": True, "attempts": 2, "validators": validators},
        {"source_url": urls[1], "ok": True, "attempts": 1},
        {"source_url": urls[2], "ok": False, "attempts": 4, "error": "HTTP 415", "permanent": True},
        {"source_url": urls[3], "ok": False, "attempts": 3, "error": "HTTP 503", "permanent": False},
        {"source_url": urls[3], "ok": True, "attempts": 9},  # named twice: the first outcome stands
    ]
    statements = db._outcome_statements(outcomes, "run-a")
    assert len(statements) == 2  # the uploaded, the others: not one statement per photo
    asyncio.run(db.write_back(d1, outcomes, [1, 2], "run-a"))
    got = {r["source_url"]: r for r in d1.rows("SELECT * FROM images")}
    assert (got[urls[0]]["state"], got[urls[0]]["attempts"], got[urls[0]]["etag"]) == ("uploaded", 2, '"e1"')
    assert got[urls[0]]["content_length"] == 1234 and got[urls[0]]["checked_at"] is not None
    assert (got[urls[1]]["state"], got[urls[1]]["checked_at"]) == ("uploaded", None)  # no validators
    assert (got[urls[2]]["state"], got[urls[2]]["permanent"], got[urls[2]]["last_error"]) == (
        "failed",
        1,
        "HTTP 415",
    )
    assert (got[urls[3]]["state"], got[urls[3]]["attempts"], got[urls[3]]["permanent"]) == ("pending", 3, 0)
    assert all(r["claimed_by"] is None for r in got.values())  # every claim of the run let go
    assert lists(d1) == [["id-0", "id-1", urls[2]], [urls[3], urls[4], urls[5]]]


def test_each_outcome_finds_its_photo_by_primary_key_not_by_walking_the_run_s_claims():
    """Walking the claimed rows re-reads the whole outcome JSON for each: CPU that grows with the
    square of the batch (11 ms of a 120-photo batch's write-back)."""
    d1 = SqliteD1()
    outcomes = [
        {"source_url": "http://cdn/1.png", "ok": True, "attempts": 1},
        {
            "source_url": "http://cdn/2.png",
            "ok": False,
            "attempts": 4,
            "error": "HTTP 503",
            "permanent": False,
        },
    ]
    for sql, params in db._outcome_statements(outcomes, "run-a"):
        plan = " | ".join(row["detail"] for row in d1.rows("EXPLAIN QUERY PLAN " + sql, params))
        assert plan.index("SCAN json_each") < plan.index("SEARCH images USING INDEX sqlite_autoindex"), plan


def test_a_background_run_gives_no_request_more_time_than_it_has_left():
    """A request started near the end of the waitUntil window must not outlive it (it would be cut
    off before the write-back): each attempt's timeout is the time left, and no attempt starts
    with less than MIN_ATTEMPT_S left."""
    now = [0.0]

    async def fake_sleep(seconds):
        now[0] += seconds

    transport = ScriptedTransport({"http://cdn/x.png": [Verdict(TRANSIENT, "503")] * 4})
    budget = ApiBudget(SqliteD1(), 1000, clock=lambda: 1_700_000_030.0)
    outcome = asyncio.run(
        upload_with_retries(
            transport,
            budget,
            "http://cdn/x.png",
            "x",
            {},
            sleep=fake_sleep,
            clock=lambda: now[0],
            deadline=5.0,
            log=lambda *_: None,
        )
    )
    assert not outcome.ok and "no time left" in outcome.error
    first, *later = transport.timeouts
    assert first == 5.0 and later and len(transport.timeouts) < 4
    assert all(MIN_ATTEMPT_S <= t < 5.0 for t in later) and later == sorted(later, reverse=True)
    # Without a deadline (a request someone waits for) the transport keeps its own timeout.
    transport = ScriptedTransport({"http://cdn/x.png": [Verdict(TRANSIENT, "503")] * 4})
    asyncio.run(
        upload_with_retries(
            transport, budget, "http://cdn/x.png", "x", {}, sleep=fake_sleep, log=lambda *_: None
        )
    )
    assert transport.timeouts == [None] * 4


class SpendingTransport(ScriptedTransport):
    """Each upload is one subrequest of the invocation, as the REST transport's fetch is."""

    def __init__(self, subrequests):
        super().__init__()
        self.subrequests = subrequests

    async def upload(self, source_url, image_id, metadata, timeout_s=None):
        self.subrequests.spend()
        return await super().upload(source_url, image_id, metadata, timeout_s)


def test_no_invocation_passes_its_subrequest_budget_and_the_backlog_still_drains():
    d1 = SqliteD1()
    seed(d1, 12, 10)  # 120 photos: far more than one invocation of 50 may upload
    used = []
    for _ in range(20):
        budget = Subrequests(limit=50)
        d1.subrequests = budget
        p = processor(d1, SpendingTransport(budget))
        p.subrequests = budget
        totals = asyncio.run(drain(p, trigger="cron", batch_size=5, time_budget_s=30))
        used.append(budget.used)
        if not totals["imagesUploaded"]:
            break
    assert max(used) <= 50 and len(used) > 3  # several invocations, none over the budget
    assert all(not any(str(e).startswith("http") for e in images) for images in lists(d1))


def test_a_batch_that_cannot_afford_its_overhead_claims_nothing():
    d1 = SqliteD1()
    seed(d1, 2, 3)
    p = processor(d1, ScriptedTransport())
    p.subrequests = Subrequests(limit=50, used=45)
    result = asyncio.run(process_batch(p, batch_size=5))
    assert result["processed"] == 0 and "subrequest budget" in result["stoppedBecause"]
    assert not d1.rows("SELECT 1 FROM images")


def test_a_batch_logs_the_seeds_lines_in_order_in_a_few_writes():
    """Under workerd each write is a console.log costing more CPU than the upload it reports: the
    run's lines are gathered, and every one is written by the time the run answers."""
    d1, transport, writes = SqliteD1(), ScriptedTransport(), []
    seed(d1, 3, 4)
    p = processor(d1, transport)
    p.log = writes.append
    asyncio.run(process_batch(p, batch_size=10))
    lines = "\n".join(writes).split("\n")
    assert lines[0] == "📸 Starting image processing for 3 vehicles (http)"
    assert lines[1] == "🔄 Processing 3 vehicles (12 photos claimed)"
    assert sum(line.startswith("  📤 Uploading 4 vendor URLs for ") for line in lines) == 3
    uploaded = [line for line in lines if line.startswith("    ✅ Uploaded: lambert-")]
    assert len(uploaded) == 12 and all(line.endswith("(attempt 1)") for line in uploaded)
    assert lines[-1].startswith("✅ Completed: 3 succeeded, 0 failed (12 images uploaded")
    assert len(writes) < len(lines) / 4


def test_gathered_lines_are_written_when_enough_time_passed_or_when_flushed():
    now, writes = [0.0], []
    log = GatheredLog(writes.append, clock=lambda: now[0], every_s=0.5)
    log("a")
    log("b")
    assert writes == []
    now[0] = 0.6
    log("c")
    assert writes == ["a\nb\nc"]
    log("d")
    log.flush()
    log.flush()
    assert writes == ["a\nb\nc", "d"]
    for n in range(MAX_GATHERED):
        log(str(n))
    assert len(writes) == 3 and writes[-1].count("\n") == MAX_GATHERED - 1
