"""Browser test of the admin panel (GET /admin on the image processor), driven by Playwright.

Uses Debian's Chromium (`apt-get install chromium`, /usr/bin/chromium) rather than a browser
downloaded by `playwright install`. A missing Playwright or Chromium FAILS the test (never a skip).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dev.client import seed_vehicles
from tests.settings import ARTIFACTS

try:
    from playwright.sync_api import expect, sync_playwright

    PLAYWRIGHT_ERROR = None
except ImportError as error:  # fail, don't skip: the browser test is part of the suite
    PLAYWRIGHT_ERROR = error

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT = ARTIFACTS / "admin-panel.png"
VEHICLES, PHOTOS = 12, 3


@pytest.fixture
def browser_page():
    if PLAYWRIGHT_ERROR is not None:
        pytest.fail(
            f"Playwright for Python is not importable ({PLAYWRIGHT_ERROR}); install it with "
            "`.venv/bin/pip install playwright` (no `playwright install` needed: Debian's Chromium is used)",
            pytrace=False,
        )
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: `apt-get install -y chromium` (or set CHROMIUM_PATH)", pytrace=False
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(30_000)
        expect.set_options(timeout=30_000)  # expect() keeps its own 5 s default otherwise
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        try:
            yield page, errors
        finally:
            context.close()
            browser.close()


def log_in(page, token: str) -> None:
    page.fill("#token", token)
    page.click("#login-button")


def test_admin_panel_login_process_and_thumbnails(fresh, database, browser_page):
    stack = fresh
    page, page_errors = browser_page
    seed_vehicles(stack, database, VEHICLES, PHOTOS)

    page.goto(f"{stack.processor_url}/admin")
    expect(page.locator("#login")).to_be_visible()

    # 1. A wrong token is refused in words and the login form comes back; the right one gets in.
    log_in(page, "definitely-not-the-admin-token")
    expect(page.locator("#error")).to_contain_text("Wrong or expired admin token")
    expect(page.locator("#login")).to_be_visible()
    expect(page.locator("#panel")).to_be_hidden()
    assert page.evaluate("sessionStorage.length") == 0

    token = stack.secrets["ADMIN_TOKEN"]
    log_in(page, token)
    expect(page.locator("#panel")).to_be_visible()
    expect(page.locator("#login")).to_be_hidden()
    assert token not in page.url

    # 2. The figures of the seeded backlog.
    expect(page.locator("#stat-total")).to_have_text(str(VEHICLES))
    expect(page.locator("#stat-needing")).to_have_text(str(VEHICLES))
    expect(page.locator("#stat-fully")).to_have_text("0")
    expect(page.locator("#img-pending")).to_have_text(str(VEHICLES * PHOTOS))
    expect(page.locator("#img-uploaded")).to_have_text("0")
    expect(page.locator("#img-failed")).to_have_text("0")
    expect(page.locator("#progress")).to_contain_text(f"0 / {VEHICLES * PHOTOS} images uploaded (0%)")
    expect(page.locator("#vehicles img.vendor")).to_have_count(VEHICLES * PHOTOS)
    expect(page.locator("#vehicles .badge", has_text="vendor").first).to_be_visible()

    # 3. Process 5 vehicles: the buttons lock during the run, then the results table shows 5 rows.
    page.click("#process-5")
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(5, timeout=120_000)
    expect(page.locator("#process-5")).to_be_enabled()
    for index in range(5):
        cells = rows.nth(index).locator("td")
        assert cells.nth(0).inner_text().strip(), "every row names its vehicle"
        assert cells.nth(1).inner_text().strip() == str(PHOTOS), cells.nth(1).inner_text()
        assert cells.nth(2).inner_text().strip() == "0"
    done = 5 * PHOTOS
    expect(page.locator("#img-uploaded")).to_have_text(str(done))
    expect(page.locator("#stat-fully")).to_have_text("5")
    expect(page.locator("#stat-needing")).to_have_text(str(VEHICLES - 5))
    expect(page.locator("#img-pending")).to_have_text(str((VEHICLES - 5) * PHOTOS))
    pct = done * 100 // (VEHICLES * PHOTOS)
    expect(page.locator("#progress")).to_contain_text(
        f"{done} / {VEHICLES * PHOTOS} images uploaded ({pct}%)"
    )
    expect(page.locator("#error")).to_have_text("")
    expect(page.locator("#storage")).to_contain_text(f"Storage: {done} images stored")
    expect(page.locator("#storage")).to_contain_text("no cleanup yet")

    # The listing feeds: a link to each and its counts (the seeded vehicles have no price, so none is listed).
    for feed, path in (("google", "/api/feeds/google.xml"), ("meta", "/api/feeds/meta.csv")):
        row = page.locator(f"#feed-{feed}")
        expect(row.locator("td").nth(1)).to_have_text("0")
        expect(row.locator("td").nth(2)).to_have_text(str(VEHICLES))
        expect(row).to_contain_text(f"no price: {VEHICLES}")
        assert row.locator("a").get_attribute("href") == stack.processor_url + path

    # 4. Thumbnails of uploaded photos come from the Images stand-in's delivery URLs and load.
    uploaded = page.locator("#vehicles img.uploaded")
    expect(uploaded).to_have_count(done)
    expect(page.locator("#vehicles img.vendor")).to_have_count((VEHICLES - 5) * PHOTOS)
    page.wait_for_function(
        "() => [...document.querySelectorAll('#vehicles img.uploaded')].every(i => i.complete && "
        "i.naturalWidth > 0)",
        timeout=30_000,
    )
    for index in range(uploaded.count()):
        image = uploaded.nth(index)
        src = image.get_attribute("src")
        assert src.startswith(stack.images_url), src
        assert src.endswith("/thumbnail"), src
        assert image.evaluate("i => i.naturalWidth") > 0, src

    # 5. A screenshot of the panel after the run.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 0

    # Sign out forgets the token.
    page.click("#sign-out")
    expect(page.locator("#login")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0
    assert not page_errors, page_errors


def test_admin_panel_errors_in_words_and_escaped_text(fresh, database, browser_page):
    """503/429, a network failure and a 401 mid-session each show words (never a blank page), and
    text from the database is shown as text, not markup."""
    stack = fresh
    page, page_errors = browser_page
    ids = seed_vehicles(stack, database, 2, 1)
    hostile = '<img src=x onerror="window.__pwned=1">'
    database.execute("UPDATE vehicles SET model = ? WHERE id = ?", (hostile, ids[0]))
    # A deletion that failed 10 times (issue 23): shown with its last error, as text.
    database.execute(
        "INSERT INTO photo_removals (vehicle_id, source_url, image_id, removed_at, reason, attempts, "
        "last_error, last_attempt_at) VALUES (?, 'http://cdn/x.png', 'lambert-stuck-1', "
        "'2026-01-01T00:00:00Z', 'removed', 10, ?, '2026-01-02T00:00:00Z')",
        (ids[0], f"Images API error: 500 {hostile}"),
    )

    page.goto(f"{stack.processor_url}/admin")
    log_in(page, stack.secrets["ADMIN_TOKEN"])
    expect(page.locator("#panel")).to_be_visible()
    expect(page.locator("#vehicles h3", has_text=hostile)).to_have_count(1)
    stuck = page.locator("#stuck-deletions")
    expect(stuck).to_contain_text("1 deletion failed 10 times and are tried again once a day")
    expect(stuck.locator("tbody tr")).to_have_count(1)
    expect(stuck.locator("td", has_text="lambert-stuck-1")).to_have_count(1)
    expect(stuck.locator("td.reasons")).to_have_text(f"Images API error: 500 {hostile}")
    expect(stuck).to_contain_text("2026-01-03T00:00:00Z")
    assert page.evaluate("window.__pwned") is None

    page.route(
        "**/api/process-images",
        lambda route: route.fulfill(
            status=503,
            json={"success": False, "error": "not configured for uploads: CF_IMAGES_TOKEN missing"},
        ),
    )
    page.click("#process-5")
    expect(page.locator("#error")).to_have_text(
        "Processor busy or not configured: not configured for uploads: CF_IMAGES_TOKEN missing"
    )
    expect(page.locator("#process-5")).to_be_enabled()
    page.unroute("**/api/process-images")

    page.route("**/api/process-images", lambda route: route.abort("connectionrefused"))
    page.click("#process-10")
    expect(page.locator("#error")).to_have_text("Network down: cannot reach the image processor")
    expect(page.locator("#panel")).to_be_visible()
    page.unroute("**/api/process-images")

    # The token stops working mid-session (rotated): back to the login form, with the reason.
    page.evaluate("sessionStorage.setItem('imageProcessorAdminToken', 'rotated-away')")
    page.click("#retry-failed")
    expect(page.locator("#error")).to_contain_text("Wrong or expired admin token")
    expect(page.locator("#error")).to_contain_text("wrong admin token")
    expect(page.locator("#login")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0
    assert not page_errors, page_errors
