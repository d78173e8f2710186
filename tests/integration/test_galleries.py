"""Galleries on detail pages under workerd: the scrape answers without reading them, the background
reads them, the processor uploads the galleries and never a thumbnail. And with the free plan's
subrequest budget, no invocation passes it while the backlog still drains over several runs."""

import json

import pytest

from dev.client import Api, Database, image_lists, images_stats, site_knobs, wait_for, wait_until_quiet
from tests.settings import TEST_PROCESSOR_VARS

THUMBNAILS = {"thumbnails_only": True, "photos_per_vehicle": 4}


def site_stats(stack, api) -> dict:
    return api.call("GET", stack.site_url + "/__stats", token=None)[1]


def galleries(database) -> list[str]:
    return [r["gallery"] for r in database.rows("SELECT gallery FROM vehicles ORDER BY id")]


def every_photo_uploaded(database) -> bool:
    lists = image_lists(database)
    return bool(lists) and all(images and not any(e.startswith("http") for e in images) for images in lists)


def scrape(stack, api, handoff="binding") -> dict:
    status, body = api.call("POST", stack.scraper_url + "/api/scrape", {"handoff": handoff}, timeout=60)
    assert status == 200, body
    return body


def test_the_scrape_answers_with_every_detail_page_held_then_the_galleries_are_uploaded(fresh, api, database):
    stack = fresh
    site_knobs(stack, api, vehicle_count=12, hold_detail_pages=True, **THUMBNAILS)
    body = scrape(stack, api)  # had it waited for a detail page, it would not answer for 60 s
    assert body["galleriesDue"] == 12 and body["vehiclesWithVendorUrls"] == 0
    assert body["siteRequests"] == 1 + body["pages"]  # robots.txt and the listing, nothing else
    assert set(galleries(database)) == {"pending"}
    assert all(len(images) == 1 and "?w=320" in images[0] for images in image_lists(database))
    assert site_stats(stack, api)["requests"]["detail"] <= 6  # the background's first six, waiting
    site_knobs(stack, api, hold_detail_pages=False)
    wait_for(lambda: every_photo_uploaded(database), 90, "every gallery photo uploaded")
    assert set(galleries(database)) == {"read"} and all(len(i) == 4 for i in image_lists(database))
    sources = images_stats(stack, api)["stored_sources"]
    assert len(sources) == 48 and not any("?w=" in source for source in sources)  # no thumbnail
    assert site_stats(stack, api)["requests"]["detail"] == 12


def test_only_a_changed_listing_gets_its_detail_page_read_again_and_uploads_are_kept(fresh, api, database):
    stack = fresh
    site_knobs(stack, api, vehicle_count=6, **THUMBNAILS)
    scrape(stack, api)
    wait_for(lambda: every_photo_uploaded(database), 90, "every gallery photo uploaded")
    wait_until_quiet(stack, api, database)
    unchanged = scrape(stack, api)
    wait_until_quiet(stack, api, database)
    assert (unchanged["unchanged"], unchanged["galleriesDue"]) == (6, 0)
    assert site_stats(stack, api)["requests"]["detail"] == 6  # none read again
    [stock] = [r["stock_number"] for r in database.rows("SELECT stock_number FROM vehicles LIMIT 1")]
    # The dealer drops photo 2 and puts a new one first: the listing's thumbnail changes with it.
    site_knobs(stack, api, drop_photos={stock: [2]}, insert_photo={stock: 0})
    changed = scrape(stack, api)
    assert (changed["updated"], changed["galleriesDue"]) == (1, 1)

    def new_photo_uploaded():
        [row] = database.rows("SELECT images, source_images FROM vehicles WHERE stock_number = ?", (stock,))
        return "new-1.png" in row["source_images"] and every_photo_uploaded(database) and row

    row = wait_for(new_photo_uploaded, 90, "the changed gallery uploaded")
    assert [s.rsplit("/", 1)[1] for s in json.loads(row["source_images"])] == [
        "new-1.png",
        "1.png",
        "3.png",
        "4.png",
    ]
    assert site_stats(stack, api)["requests"]["detail"] == 7  # that vehicle's page, once
    uploads = images_stats(stack, api)["uploads_by_id"]
    assert set(uploads.values()) == {1}  # the photos it kept were not uploaded again
    removed = database.rows("SELECT source_url, image_id FROM photo_removals")
    assert [r["source_url"].rsplit("/", 1)[1] for r in removed] == ["2.png"] and removed[0]["image_id"]


BUDGET = 50  # the free plan's


@pytest.fixture(scope="module")
def small_budget_stack():
    """A second stack beside the session's, both Workers at MAX_SUBREQUESTS_PER_INVOCATION=50."""
    from dev.launcher import Stack

    budget = {"MAX_SUBREQUESTS_PER_INVOCATION": str(BUDGET)}
    with Stack(
        processor_vars={**TEST_PROCESSOR_VARS, **budget}, scraper_vars=budget, quiet=True, port_offset=2000
    ) as stack:
        yield stack


def run_summaries(database) -> list[dict]:
    return [
        json.loads(r["summary"]) | {"kind": r["kind"]}
        for r in database.rows("SELECT kind, summary FROM runs")
    ]


def test_with_the_free_plans_budget_no_invocation_passes_50_and_the_backlog_drains(small_budget_stack):
    stack = small_budget_stack
    api, database = Api(stack.secrets["ADMIN_TOKEN"]), Database(stack.state_dir)
    site_knobs(stack, api, vehicle_count=30, page_size=10, photos_per_vehicle=3, thumbnails_only=True)
    answers = []
    for run in range(12):
        answers.append(scrape(stack, api, "queue" if run % 3 == 2 else "binding"))
        wait_until_quiet(stack, api, database, timeout=60)
        assert api.call("GET", stack.cron_url, token=None, timeout=120)[0] == 200
        wait_until_quiet(stack, api, database, timeout=60)
        if set(galleries(database)) == {"read"} and every_photo_uploaded(database):
            break
    assert set(galleries(database)) == {"read"} and every_photo_uploaded(database), run_summaries(database)
    assert len(answers) > 1  # it took several runs
    per_invocation = {}
    for url in (stack.site_url, stack.images_url):
        for invocation, count in api.call("GET", url + "/__stats", token=None)[1]["byInvocation"].items():
            per_invocation[invocation] = per_invocation.get(invocation, 0) + count
    assert per_invocation and max(per_invocation.values()) <= BUDGET  # counted by the stand-ins
    reported = [s["subrequests"] for s in run_summaries(database) if "subrequests" in s]
    assert reported and max(reported) <= BUDGET  # counted by the Workers, D1 calls included
    assert {s["kind"] for s in run_summaries(database)} >= {"scrape", "galleries", "process"}
