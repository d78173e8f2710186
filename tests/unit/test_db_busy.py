"""D1 answering "database is locked": the statement was not applied, so it is run again."""

import asyncio

import pytest

from inventory.db import BUSY_WAITS_S, retry_when_busy


class Flaky:
    def __init__(self, failures: list[Exception]):
        self.failures, self.calls = list(failures), 0

    async def __call__(self):
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "rows"


def run(operation, waits):
    async def fake_sleep(seconds):
        waits.append(seconds)

    return asyncio.run(retry_when_busy(operation, sleep=fake_sleep, log=lambda *_: None))


def test_a_busy_database_is_tried_again_after_growing_waits():
    busy = Exception("Error: D1_ERROR: database is locked: SQLITE_BUSY")
    operation, waits = Flaky([busy, busy]), []
    assert run(operation, waits) == "rows"
    assert operation.calls == 3 and waits == list(BUSY_WAITS_S[:2])


def test_other_errors_and_a_lasting_lock_are_raised():
    operation, waits = Flaky([Exception("D1_ERROR: no such table: cars")]), []
    with pytest.raises(Exception, match="no such table"):
        run(operation, waits)
    assert operation.calls == 1 and waits == []
    operation = Flaky([Exception("database is locked")] * (len(BUSY_WAITS_S) + 1))
    with pytest.raises(Exception, match="locked"):
        run(operation, [])
    assert operation.calls == len(BUSY_WAITS_S) + 1
