"""The queue consumer's decisions, with scripted messages (the real queue runs in test_queue_mode.py)."""

import asyncio

from inventory.photos.queue_jobs import consume_jobs, job_messages, retry_delay_s
from inventory.photos.verdicts import TRANSIENT, Verdict
from tests.sqlite_d1 import SqliteD1
from tests.unit.test_processing import ScriptedTransport, lists, processor, seed


class Message:
    def __init__(self, vehicle_id, attempts=1, featured=False):
        self.body = {"vehicleId": vehicle_id, "featured": featured}
        self.attempts = attempts
        self.acked, self.retried_after = False, None

    def ack(self):
        self.acked = True

    def retry(self, delaySeconds):
        self.retried_after = delaySeconds


def consume(p, messages):
    sent = []

    async def resend(body, delay):
        sent.append((body, delay))

    asyncio.run(consume_jobs(p, messages, resend))
    return sent


def test_settled_vehicles_are_acked_and_a_duplicate_message_uploads_once():
    d1, transport = SqliteD1(), ScriptedTransport()
    seed(d1, 2, 3)
    messages = [Message(1), Message(2), Message(1)]
    assert consume(processor(d1, transport), messages) == []
    assert all(m.acked for m in messages) and len(transport.uploads) == 6


def test_transient_failures_are_retried_on_the_backoff_schedule():
    d1 = SqliteD1()
    seed(d1, 1, 1)
    transport = ScriptedTransport({"http://cdn/0/0.png": [Verdict(TRANSIENT, "503")]})
    message = Message(1, attempts=2)
    p = processor(d1, transport)
    p.settings.attempts_per_run = 1
    consume(p, [message])
    assert not message.acked and message.retried_after == 2
    assert [retry_delay_s(a) for a in (1, 2, 3, 9)] == [1, 2, 4, 4] and retry_delay_s(1, 30.5) == 31


def test_a_spent_budget_defers_the_job_without_using_up_its_retries():
    d1, transport = SqliteD1(), ScriptedTransport()
    seed(d1, 2, 5)
    p = processor(d1, transport, api_requests_per_minute=5)
    first, second = Message(1), Message(2)
    sent = consume(p, [first, second])
    assert first.acked and second.acked and first.retried_after is None
    assert [body["vehicleId"] for body, _ in sent] == [2] and 1 <= sent[0][1] <= 61
    assert sum(e.startswith("http") for images in lists(d1) for e in images) == 5


def test_featured_jobs_go_first():
    bodies = job_messages(
        [
            {"id": 1, "featured": False, "order": 5},
            {"id": 2, "featured": True, "order": 1},
            {"id": 3, "featured": False, "order": 9},
        ]
    )
    assert [m["body"]["vehicleId"] for m in bodies] == [2, 3, 1]


def test_a_vehicle_whose_only_open_photo_failed_for_good_is_acked_not_deferred():
    from inventory.photos.verdicts import PERMANENT

    d1 = SqliteD1()
    seed(d1, 1, 2)
    transport = ScriptedTransport({"http://cdn/0/1.png": [Verdict(PERMANENT, "vendor answered 404")]})
    first, second = Message(1), Message(1)
    assert consume(processor(d1, transport), [first]) == [] and first.acked
    assert consume(processor(d1, transport), [second]) == [] and second.acked  # no endless resend


def test_a_run_stopped_by_a_refused_token_defers_its_jobs_instead_of_dead_lettering():
    from inventory.photos.verdicts import FATAL

    d1 = SqliteD1()
    seed(d1, 1, 1)
    transport = ScriptedTransport(
        {"http://cdn/0/0.png": [Verdict(FATAL, "Images API refused the credentials")]}
    )
    message = Message(1, attempts=3)
    sent = consume(processor(d1, transport), [message])
    assert message.acked and message.retried_after is None and sent[0][1] == 300


def test_jobs_a_batch_had_no_subrequests_left_for_are_deferred_not_dropped():
    from inventory.subrequests import Subrequests

    d1, transport = SqliteD1(), ScriptedTransport()
    seed(d1, 3, 2)
    p = processor(d1, transport)
    p.subrequests = Subrequests(limit=50, used=45)  # no room for a batch at all
    messages = [Message(1), Message(2), Message(3)]
    sent = consume(p, messages)
    assert sorted(body["vehicleId"] for body, _ in sent) == [1, 2, 3]  # each sent again for later
    assert transport.uploads == [] and all(m.acked and m.retried_after is None for m in messages)
