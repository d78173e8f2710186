"""Queue mode under wrangler dev: the image-jobs queue, its consumer, and the dead-letter queue."""

import re
import threading

from dev.client import image_lists, images_stats, logged, site_knobs, wait_for


def all_ids(database):
    return all(not e.startswith("http") for images in image_lists(database) for e in images)


def test_queue_mode_end_to_end(fresh, api, database):
    stack = fresh
    site_knobs(stack, api, vehicle_count=8, photos_per_vehicle=4)
    log_start = len(stack.workers["processor"].log_text())
    status, body = api.call("POST", stack.scraper_url + "/api/scrape", {"handoff": "queue"})
    assert status == 200 and body["processingTriggered"] == "queue"
    wait_for(lambda: all_ids(database), timeout=60)
    stats = api.call("GET", stack.processor_url + "/api/image-status", token=None)[1]["stats"]
    assert (
        stats["fullyProcessed"] == 8 and stats["images"]["uploaded"] == 32 and stats["images"]["pending"] == 0
    )
    assert stats["lastRun"]["trigger"] == "queue"
    assert images_stats(stack, api)["stored"] == 32
    logged(stack.workers["processor"], "📮 Queued 8 image jobs", "Queue batch:", since=log_start)


def test_a_job_delivered_twice_uploads_once(fresh, api, database):
    stack = fresh
    processor = stack.workers["processor"]
    site_knobs(stack, api, vehicle_count=3, photos_per_vehicle=3)
    api.call("POST", stack.images_url + "/__control", {"latency_ms": 300}, token=None)
    assert api.call("POST", stack.scraper_url + "/api/scrape", {"handoff": "none"})[0] == 200
    log_start = len(processor.log_text())
    # Two hand-offs at once queue every vehicle twice, as an at-least-once queue may deliver it.
    # (At once, so both read the vendor URLs before the consumer's first batch, 1 s later, claims them.)
    answers = []
    handoffs = [
        threading.Thread(
            target=lambda: answers.append(
                api.call("POST", stack.scraper_url + "/api/scrape", {"handoff": "queue"})
            )
        )
        for _ in range(2)
    ]
    for handoff in handoffs:
        handoff.start()
    for handoff in handoffs:
        handoff.join()
    assert [(status, body["processingTriggered"]) for status, body in answers] == [(200, "queue")] * 2

    def settled():
        """Both hand-offs logged, every photo uploaded, and every queued message consumed."""
        log = processor.log_text()[log_start:]
        queued = [int(n) for n in re.findall(r"📮 Queued (\d+) image jobs", log)]
        consumed = sum(int(n) for n in re.findall(r"📬 Queue batch: (\d+) messages", log))
        return len(queued) == 2 and all_ids(database) and consumed >= sum(queued) and queued

    queued = wait_for(settled, 90, "both hand-offs to be consumed")
    assert sum(queued) > 3, f"no job was queued twice ({queued}): the test proved nothing"
    stats = images_stats(stack, api)
    assert stats["stored"] == 9
    assert stats["uploads_received"] == 9 and stats["duplicate_uploads"] == 0


def test_persistent_failures_reach_the_dead_letter_queue_and_a_requeue_retries_them(fresh, api, database):
    stack = fresh
    site_knobs(stack, api, vehicle_count=2, photos_per_vehicle=2, photo_faults={"/photos/L10001/2.png": 500})
    status, body = api.call("POST", stack.scraper_url + "/api/scrape", {"handoff": "queue"})
    assert status == 200
    bad = f"{stack.standins.site.cdn_url}/photos/L10001/2.png"
    log_start = len(stack.workers["processor"].log_text())

    def dead_lettered():
        failures = api.call("GET", stack.processor_url + "/api/failures")[1]["failures"]
        return [f for f in failures if f["source_url"] == bad and f["permanent"]]

    (failure,) = wait_for(dead_lettered, timeout=90)
    assert "dead-lettered" in failure["last_error"] and "500" in failure["last_error"]
    assert image_lists(database)[0][1] == bad  # kept as the vendor URL, nothing lost
    logged(stack.workers["processor"], "☠️ Dead-lettered: vehicle", since=log_start)

    site_knobs(stack, api, photo_faults={})
    status, body = api.call("POST", stack.processor_url + "/api/requeue", {})
    assert status == 200 and body["requeued"] == 1 and body["jobsQueued"] == 1
    wait_for(lambda: all_ids(database), timeout=60)
