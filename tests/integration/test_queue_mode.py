"""Queue mode under wrangler dev: the image-jobs queue, its consumer, and the dead-letter queue."""
import json

from tests.conftest import images_stats, site_knobs, wait_for


def lists(database):
    return [json.loads(r["images"]) for r in database.rows("SELECT images FROM vehicles ORDER BY id")]


def all_ids(database):
    return all(not e.startswith("http") for images in lists(database) for e in images)


def test_queue_mode_end_to_end(fresh, api, database):
    stack = fresh
    site_knobs(stack, api, vehicle_count=8, photos_per_vehicle=4)
    status, body = api.call("POST", stack.scraper_url + "/api/scrape", {"handoff": "queue"})
    assert status == 200 and body["processingTriggered"] == "queue"
    wait_for(lambda: all_ids(database), timeout=60)
    stats = api.call("GET", stack.processor_url + "/api/image-status", token=None)[1]["stats"]
    assert stats["fullyProcessed"] == 8 and stats["images"]["uploaded"] == 32 and stats["images"]["pending"] == 0
    assert stats["lastRun"]["trigger"] == "queue"
    assert images_stats(stack, api)["stored"] == 32
    log = stack.workers["processor"].log_text()
    assert "📮 Queued 8 image jobs" in log and "Queue batch:" in log


def test_a_job_delivered_twice_uploads_once(fresh, api, database):
    stack = fresh
    site_knobs(stack, api, vehicle_count=3, photos_per_vehicle=3)
    api.call("POST", stack.images_url + "/__control", {"latency_ms": 300}, token=None)
    assert api.call("POST", stack.scraper_url + "/api/scrape", {"handoff": "none"})[0] == 200
    # Two hand-offs in a row queue every vehicle twice, as an at-least-once queue may deliver it.
    for _ in range(2):
        status, body = api.call("POST", stack.scraper_url + "/api/scrape", {"handoff": "queue"})
        assert status == 200 and body["processingTriggered"] == "queue"
    wait_for(lambda: all_ids(database), timeout=90)
    wait_for(lambda: stack.workers["processor"].log_text().count("📮 Queued 3 image jobs") == 2)
    stats = images_stats(stack, api)
    assert stats["stored"] == 9
    assert stats["uploads_received"] == 9 and stats["duplicate_uploads"] == 0


def test_persistent_failures_reach_the_dead_letter_queue_and_a_requeue_retries_them(fresh, api, database):
    stack = fresh
    site_knobs(stack, api, vehicle_count=2, photos_per_vehicle=2, photo_faults={"/photos/L10001/2.png": 500})
    status, body = api.call("POST", stack.scraper_url + "/api/scrape", {"handoff": "queue"})
    assert status == 200
    bad = f"{stack.standins.site.cdn_url}/photos/L10001/2.png"

    def dead_lettered():
        failures = api.call("GET", stack.processor_url + "/api/failures")[1]["failures"]
        return [f for f in failures if f["source_url"] == bad and f["permanent"]]
    (failure,) = wait_for(dead_lettered, timeout=90)
    assert "dead-lettered" in failure["last_error"] and "500" in failure["last_error"]
    assert lists(database)[0][1] == bad                      # kept as the vendor URL, nothing lost
    assert "☠️ Dead-lettered: vehicle" in stack.workers["processor"].log_text()

    site_knobs(stack, api, photo_faults={})
    status, body = api.call("POST", stack.processor_url + "/api/requeue", {})
    assert status == 200 and body["requeued"] == 1 and body["jobsQueued"] == 1
    wait_for(lambda: all_ids(database), timeout=60)
