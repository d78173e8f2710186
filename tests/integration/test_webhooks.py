"""Webhook notifications from the image processor, received by dev/webhook_receiver.py."""

import hashlib
import hmac
import json
import time

from dev.client import logged, seed_vehicles, site_knobs


def deliveries(stack, api, wanted: int, timeout: float = 20) -> list[dict]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = api.call("GET", stack.webhooks.url + "/__received", token=None)[1]["deliveries"]
        if len(got) >= wanted:
            return got
        time.sleep(0.3)
    raise AssertionError(f"expected {wanted} webhook deliveries, got {len(got)}")


def test_signed_summaries_after_a_run_and_on_permanent_failures(fresh, api, database):
    stack = fresh
    seed_vehicles(stack, database, 2, 2)
    site_knobs(stack, api, photo_faults={"/photos/L10002/2.png": 404})
    status, answer = api.call("POST", stack.processor_url + "/api/process-images", {"batchSize": 5})
    assert status == 200 and answer["imagesUploaded"] == 3
    received = deliveries(stack, api, 2)
    secret = stack.secrets["WEBHOOK_SECRET"].encode()
    events = {}
    for delivery in received:
        expected = "sha256=" + hmac.new(secret, delivery["body"].encode(), hashlib.sha256).hexdigest()
        assert hmac.compare_digest(delivery["headers"]["x-webhook-signature"], expected)
        payload = json.loads(delivery["body"])
        events[payload["event"]] = payload
    assert events["processing.completed"]["summary"]["imagesUploaded"] == 3
    (failure,) = events["images.failed"]["failures"]
    assert failure["url"].endswith("/photos/L10002/2.png") and "404" in failure["reason"]
    assert stack.secrets["WEBHOOK_SECRET"] not in stack.workers["processor"].log_text()


def test_a_dead_receiver_changes_nothing_in_processing(fresh, api, database):
    stack = fresh
    seed_vehicles(stack, database, 2, 3)
    assert api.call("POST", stack.webhooks.url + "/__control", {"status": 500}, token=None)[0] == 200
    log_start = len(stack.workers["processor"].log_text())
    status, answer = api.call("POST", stack.processor_url + "/api/process-images", {"batchSize": 5})
    assert status == 200 and answer["imagesUploaded"] == 6 and answer["failed"] == 0
    # The answer came before the delivery's four attempts (1 + 2 + 4 s apart) were over:
    # the retries run after the answer, not before it.
    attempts_at_answer = api.call("GET", stack.webhooks.url + "/__received", token=None)[1]["attempts"]
    assert attempts_at_answer < 4, attempts_at_answer
    assert all(
        not e.startswith("http")
        for r in database.rows("SELECT images FROM vehicles")
        for e in json.loads(r["images"])
    )
    logged(
        stack.workers["processor"],
        "Webhook processing.completed not delivered: HTTP 500",
        timeout=30,
        since=log_start,
    )
    assert api.call("GET", stack.webhooks.url + "/__received", token=None)[1]["attempts"] >= 4
