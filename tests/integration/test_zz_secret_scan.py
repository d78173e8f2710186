"""Invariant 8, checked last (this module's name sorts after every other integration test): no
secret value appears in any answer body the suite saw (`api.seen`) or in any line either Worker
logged during the whole session."""

from dev.client import images_knobs, seed_vehicles


def test_no_secret_appears_in_any_answer_or_log_line(fresh, api, database):
    """Invariant 8: after the faults above and a refused Images API token (the error path most
    likely to echo credentials), no secret value is in an answer body the suite saw, nor in either
    Worker's log."""
    stack = fresh
    seed_vehicles(stack, database, 1, 2)
    images_knobs(stack, api, fail_urls={f"{stack.standins.site.cdn_url}/photos/L10001/1.png": 401})
    status, answer = api.call("POST", stack.processor_url + "/api/process-images", {"batchSize": 5})
    assert "credentials" in answer.get("stoppedBecause", ""), answer
    api.call("GET", stack.processor_url + "/")
    api.call("GET", stack.processor_url + "/api/failures", token="wrong-token")
    api.call("GET", stack.scraper_url + "/")
    secrets = {name: value for name, value in stack.secrets.items() if len(value) >= 8}
    assert "CF_IMAGES_TOKEN" in secrets and "ADMIN_TOKEN" in secrets
    logs = {name: worker.log_text() for name, worker in stack.workers.items()}
    assert "credentials" in logs["processor"], "the refused token should be logged (without the token)"
    for name, value in secrets.items():
        leaks = [body[:200] for body in api.seen if value.encode() in body]
        assert not leaks, f"{name} in an answer: {leaks[0]!r}"
        for worker, text in logs.items():
            lines = [line for line in text.splitlines() if value in line]
            assert not lines, f"{name} in the {worker} log: {lines[0][:200]!r}"
