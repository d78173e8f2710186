"""Fixtures for the unit tests that need the demo dealer site, served in-process on free ports."""

import pytest

from dev.dealer_site import DealerSite


@pytest.fixture(scope="module")
def site():
    """One demo site per test module (a module's knob changes never reach the next module)."""
    running = DealerSite().start(site_port=0, cdn_port=0)
    yield running
    running.stop()
