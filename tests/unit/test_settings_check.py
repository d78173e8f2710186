"""The configuration check: which settings are still placeholders or out of range, and why."""

import tomllib

import pytest

from inventory.config import settings_of
from inventory.settings_check import WORKERS, check_settings, problems_line
from tests.settings import ROOT

SCRAPER, PROCESSOR = "lambert-scraper", "image-processor"
COMMITTED = {SCRAPER: "wrangler-scraper.toml", PROCESSOR: "wrangler-image-processor.toml"}
# A deployment's settings with every placeholder filled in.
FILLED = {
    "SCRAPE_URL": "https://www.lambertcars.co.uk/used-cars",
    "CLOUDFLARE_ACCOUNT_ID": "0123abcd" * 4,
    "CLOUDFLARE_IMAGES_ACCOUNT_HASH": "Vi7wi5KSItxGFsWRG2Us6Q",
    "ALLOWED_IMAGE_HOSTS": "www.lambertcars.co.uk,*.dealercdn.net",
}


def names_of(worker: str) -> set[str]:
    return {s.name for s in settings_of(WORKERS[worker])}


def committed_vars(worker: str) -> dict:
    return tomllib.loads((ROOT / COMMITTED[worker]).read_text())["vars"]


def filled(worker: str, **changes) -> dict:
    return {**{k: v for k, v in FILLED.items() if k in names_of(worker)}, **changes}


def problems(worker: str, settings: dict) -> dict:
    return {p["setting"]: p["reason"] for p in check_settings(worker, settings)}


def test_the_committed_configs_name_exactly_their_placeholders():
    assert problems(SCRAPER, committed_vars(SCRAPER)) == {
        "SCRAPE_URL": "is still the placeholder 'https://dealer.example.com/inventory'",
        "CLOUDFLARE_ACCOUNT_ID": "is still the placeholder 'your-account-id'",
        "CLOUDFLARE_IMAGES_ACCOUNT_HASH": "is still the placeholder 'your-images-account-hash'",
    }
    assert problems(PROCESSOR, committed_vars(PROCESSOR)) == {
        "CLOUDFLARE_ACCOUNT_ID": "is still the placeholder 'your-account-id'",
        "CLOUDFLARE_IMAGES_ACCOUNT_HASH": "is still the placeholder 'your-images-account-hash'",
        "ALLOWED_IMAGE_HOSTS": "is still the placeholder 'dealer.example.com,cdn.example.com'",
    }


@pytest.mark.parametrize("worker", [SCRAPER, PROCESSOR])
def test_the_committed_configs_with_their_placeholders_filled_in_pass(worker):
    assert check_settings(worker, {**committed_vars(worker), **filled(worker)}) == []


def test_unset_settings_with_defaults_are_fine_and_those_without_are_named():
    assert problems(SCRAPER, {}) == {
        "SCRAPE_URL": "is not set",
        "CLOUDFLARE_ACCOUNT_ID": "is not set",
        "CLOUDFLARE_IMAGES_ACCOUNT_HASH": "is not set: delivery URLs of uploaded photos need it",
    }
    assert set(problems(PROCESSOR, {})) == {"CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_IMAGES_ACCOUNT_HASH"}


def test_secrets_are_never_checked_or_repeated():
    settings = filled(PROCESSOR, CF_IMAGES_TOKEN="", ADMIN_TOKEN="x" * 3, WEBHOOK_SECRET=None)
    assert check_settings(PROCESSOR, settings) == []


@pytest.mark.parametrize(
    "worker, setting, value, reason",
    [
        (SCRAPER, "SCRAPE_URL", "dealer.co.uk/inventory", "is not an http(s) URL"),
        (SCRAPER, "SCRAPE_URL", "ftp://dealer.co.uk/", "is not an http(s) URL"),
        (SCRAPER, "SCRAPE_URL", "https://[::1/", "is not an http(s) URL"),
        (
            SCRAPER,
            "SCRAPE_URL",
            "https://cars.dealer.example/",
            "is still a placeholder host (cars.dealer.exa",
        ),
        (SCRAPER, "SITE_PROFILE", "lambrt", "is not a known profile (known: "),
        (SCRAPER, "RESPECT_ROBOTS_TXT", "ture", "is not valid: expected true or false, got 'ture'"),
        (
            SCRAPER,
            "DEACTIVATION_GUARD_RATIO",
            "1.5",
            "is not valid: expected a number from 0 to 1, got '1.5'",
        ),
        (
            SCRAPER,
            "DEACTIVATION_GUARD_RATIO",
            "nan",
            "is not valid: expected a number from 0 to 1, got 'nan'",
        ),
        (SCRAPER, "MAX_PAGE_BYTES", "5MB", "is not valid: expected a whole number from 1024 to "),
        (
            SCRAPER,
            "MAX_PAGE_BYTES",
            "67108864",
            "is over 33554432: a page is held whole in the Worker's 128 MB",
        ),
        (SCRAPER, "MAX_VEHICLES", "0", "is not valid: expected a whole number from 1 to "),
        (
            SCRAPER,
            "HANDOFF_MODE",
            "queues",
            "is not valid: expected one of binding, queue, none, got 'queues'",
        ),
        (SCRAPER, "IMAGE_PROCESSOR_URL", "image-processor.workers.dev", "is not an http(s) URL"),
        (PROCESSOR, "UPLOAD_MODE", "URL", "is not valid: expected one of url, file, binding, got 'URL'"),
        (PROCESSOR, "IMAGES_BATCH_UPLOADS", "maybe", "is not valid: expected true or false, got 'maybe'"),
        (
            PROCESSOR,
            "IMAGES_API_REQUESTS_PER_MINUTE",
            "240",
            "is over 200: more than 1,200 Images API requests",
        ),
        (
            PROCESSOR,
            "IMAGES_API_REQUESTS_PER_MINUTE",
            "-5",
            "is not valid: expected a whole number from 1 to ",
        ),
        (
            PROCESSOR,
            "ALLOWED_IMAGE_HOSTS",
            "https://cdn.dealer.co.uk",
            "lists host names, not URLs (https://",
        ),
        (PROCESSOR, "ALLOWED_IMAGE_HOSTS", "cdn.dealer.co.uk,*.example.com", "still lists placeholder hosts"),
        (PROCESSOR, "BATCH_SIZE", "51", "is not valid: expected a whole number from 1 to 50, got '51'"),
        (PROCESSOR, "BATCH_SIZE", "١٠", "is not valid: expected a whole number from 1 to 50, got '١٠'"),
        (
            PROCESSOR,
            "BACKGROUND_TIME_BUDGET_S",
            "25",
            "is over 22: with 8 s of retries after it, a run would",
        ),
        (PROCESSOR, "CLAIM_TTL_S", "20", "is shorter than a background run (28 s): a second run could take"),
        (PROCESSOR, "MAX_IN_FLIGHT", "10", "is not valid: expected a whole number from 1 to 6, got '10'"),
        (PROCESSOR, "WEBHOOK_URL", "hooks.dealer.co.uk", "is not an http(s) URL"),
        (PROCESSOR, "IMAGE_DELIVERY_BASE", "imagedelivery.net", "is not an http(s) URL"),
    ],
)
def test_a_wrong_setting_is_named_with_its_reason(worker, setting, value, reason):
    found = problems(worker, filled(worker, **{setting: value}))
    assert list(found) == [setting]
    assert found[setting].startswith(reason)


@pytest.mark.parametrize(
    "worker, settings",
    [
        (
            SCRAPER,
            {
                "RESPECT_ROBOTS_TXT": " FALSE ",
                "DEACTIVATION_GUARD_RATIO": "0",
                "MAX_PAGE_BYTES": "1048576",
                "HANDOFF_MODE": "queue",
                "IMAGE_PROCESSOR_URL": "",
                "SITE_PROFILE": "lambert",
            },
        ),
        (
            PROCESSOR,
            {
                "UPLOAD_MODE": "binding",
                "ALLOWED_IMAGE_HOSTS": "",
                "BATCH_SIZE": "50",
                "MAX_IN_FLIGHT": "1",
                "BACKGROUND_TIME_BUDGET_S": "10",
                "CLAIM_TTL_S": "18",
                "IMAGES_API_REQUESTS_PER_MINUTE": "200",
                "WEBHOOK_URL": "https://hooks.dealer.co.uk/lambert",
                "IMAGE_DELIVERY_BASE": "http://127.0.0.1:8791",
            },
        ),
    ],
)
def test_values_at_the_edges_of_their_range_pass(worker, settings):
    assert check_settings(worker, filled(worker, **settings)) == []


def test_the_claim_must_outlast_the_background_run_it_belongs_to():
    def claim_problem(ttl: str):
        settings = filled(PROCESSOR, BACKGROUND_TIME_BUDGET_S="5", CLAIM_TTL_S=ttl)
        return problems(PROCESSOR, settings).get("CLAIM_TTL_S")

    assert claim_problem("13") is None
    assert claim_problem("12").startswith("is shorter than a background run (13 s)")


def test_both_names_of_a_worker_are_understood_and_an_unknown_one_is_refused():
    assert check_settings("processor", filled(PROCESSOR)) == []
    wrong = {"SCRAPE_URL": "x"}
    assert check_settings("scraper", wrong) == check_settings(SCRAPER, wrong) != []
    with pytest.raises(ValueError, match="unknown Worker 'lambert'"):
        check_settings("lambert", {})


def test_the_log_line_names_each_problem_or_says_all_is_well():
    wrong = filled(PROCESSOR, BATCH_SIZE="0", UPLOAD_MODE="x")
    line = problems_line(PROCESSOR, check_settings(PROCESSOR, wrong))
    assert line.startswith("⚠️ image-processor: 2 settings to fix: ")
    assert (
        "UPLOAD_MODE is not valid: expected one of url, file, binding, got 'x'; "
        "BATCH_SIZE is not valid: expected a whole number"
    ) in line
    assert problems_line(SCRAPER, []) == "✅ lambert-scraper: settings look complete"
