"""Shared fixtures. The integration tests drive the real Workers under workerd (`wrangler dev`),
started ONCE per test session by the `stack` fixture; unit tests need none of this. What the tests
do with the stack (calls, look-ups, seeding, knobs) is in dev/client.py."""

import sys

import pytest

from dev.client import Api, Database, reset, wait_until_quiet
from tests.settings import ARTIFACTS, TEST_PROCESSOR_VARS

# wrangler dev watches src/ and reloads a Worker when a file there changes: never write .pyc there.
sys.dont_write_bytecode = True


@pytest.fixture(scope="session")
def stack():
    from dev.launcher import Stack

    # The stack's state directory goes away with it: its Workers' logs are kept for a post-mortem.
    logs = ARTIFACTS / "worker-logs"
    with Stack(processor_vars=TEST_PROCESSOR_VARS, quiet=False, keep_logs_in=logs) as running:
        yield running


@pytest.fixture(scope="session")
def api(stack):
    return Api(stack.secrets["ADMIN_TOKEN"])


@pytest.fixture(scope="session")
def database(stack):
    return Database(stack.state_dir)


@pytest.fixture
def fresh(stack, api, database):
    """A clean slate: empty database, stand-ins back to their defaults and counters at zero.

    A test may end while background work it started (a scrape's hand-off, a requeue's jobs) still
    runs; that work is let finish first, so it cannot write into the next test's database. Work not
    yet started (a queued job, a webhook retry) may still arrive later: vehicle ids are never reused,
    so a stale job finds nothing to do, but a late webhook can reach the next test's receiver."""
    wait_until_quiet(stack, api, database)
    reset(stack, api, database)
    return stack
