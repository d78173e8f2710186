"""The local stack starts cleanly again and again on a fresh state folder (issue 10, item 11): once in
three tries a start right after a stop failed, when both workerd processes opened the new local D1
database at the same moment ("database is locked: SQLITE_BUSY"). Runs beside the session's stack,
on other ports."""

import json
import urllib.request

from dev.launcher import Stack

CYCLES = 20


def answers(url: str) -> dict:
    with urllib.request.urlopen(url + "/", timeout=10) as answer:
        return json.loads(answer.read())


def test_twenty_stop_start_cycles_on_a_fresh_state_folder_all_answer(tmp_path):
    services = []
    for cycle in range(CYCLES):
        with Stack(state_dir=tmp_path / f"state-{cycle}", quiet=True, port_offset=1000) as stack:
            services.append((answers(stack.scraper_url)["service"], answers(stack.processor_url)["service"]))
    assert services == [("lambert-scraper", "image-processor")] * CYCLES
