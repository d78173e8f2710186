"""The one client of the local stack (`dev.launcher.Stack`), used by the tests, the benchmarks and
the demo: JSON calls to the Workers, look-ups in the local D1 database, vehicles seeded straight
into it, the stand-ins' knobs, stats and reset, and waiting for a condition or a log line.

Most helpers take the running `stack`, an `Api` and, where they read D1, a `Database`.
"""

from __future__ import annotations

import glob
import json
import sqlite3
import time
import urllib.error
import urllib.request
from pathlib import Path

TABLES = (
    "vehicles",
    "images",
    "runs",
    "api_budget",
    "listing_page_memo",
    "photo_removals",
    "image_deletions",
    "deletion_budget",
    "scrape_failures",
    "discovered_profiles",
)


class Api:
    """A tiny JSON client: call(method, url, body, token) -> (status, parsed JSON)."""

    def __init__(self, admin_token: str):
        self.admin_token = admin_token
        self.seen = []  # every raw answer body, for the secret-scanning test

    def call(
        self,
        method: str,
        url: str,
        body=None,
        token: str | None = "admin",
        raw: bytes | None = None,
        timeout: float = 120,
    ):
        headers = {"Content-Type": "application/json"}
        if token == "admin":
            token = self.admin_token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                status, text = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read()
        self.seen.append(text)
        try:
            return status, json.loads(text)
        except ValueError:
            return status, {"_text": text.decode(errors="replace")}


class Database:
    """Direct access to the local D1 database file (workerd sees these writes at once)."""

    def __init__(self, state_dir: Path):
        self.state_dir = state_dir

    def connect(self) -> sqlite3.Connection:
        pattern = str(self.state_dir / "v3" / "d1" / "*" / "*.sqlite")
        files = [f for f in glob.glob(pattern) if "metadata" not in f]
        assert files, "no local D1 database file found"
        con = sqlite3.connect(files[0], timeout=30)
        con.row_factory = sqlite3.Row
        return con

    def rows(self, sql: str, params=()) -> list[dict]:
        with self.connect() as con:
            return [dict(r) for r in con.execute(sql, params).fetchall()]

    def execute(self, sql: str, params=()) -> None:
        con = self.connect()
        with con:
            con.execute(sql, params)
        con.close()

    def clear(self) -> None:
        con = self.connect()
        with con:
            for table in TABLES:
                con.execute(f"DELETE FROM {table}")
        con.close()


# ----- waiting -------------------------------------------------------------------------------


def wait_for(condition, timeout: float = 60, what: str = "the condition", every: float = 0.1):
    """Poll `condition` until it returns something truthy (returned), or fail after `timeout` s."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def logged(worker, *texts: str, timeout: float = 15, since: int = 0) -> str:
    """Wait until each text is in the Worker's log (after offset `since`) and return that log.
    Log lines travel workerd -> wrangler -> file, so they can arrive after the HTTP answer."""
    wait_for(
        lambda: all(t in worker.log_text()[since:] for t in texts),
        timeout,
        f"{texts} in the {worker.name} log",
    )
    return worker.log_text()[since:]


def gallery_run_open(stack) -> bool:
    """A scrape said it has galleries to read, and the gallery run it started has not ended yet."""
    log = stack.workers["scraper"].log_text()
    return log.rfind("galleries to read") > log.rfind("🖼️ Galleries")


def wait_until_quiet(stack, api, database, timeout: float = 30, still_s: float = 0.3) -> bool:
    """Wait until no photo is claimed, no request is inside the Images stand-in, no gallery run is
    under way, and the Workers' logs stay still for `still_s` (a hand-off just handed over has not
    claimed anything yet)."""
    deadline = time.time() + timeout

    def busy() -> bool:
        now_ms = int(time.time() * 1000)
        sql = "SELECT COUNT(*) AS n FROM images WHERE claim_expires_at > ?"
        claimed = database.rows(sql, (now_ms,))[0]["n"]
        return bool(claimed) or images_stats(stack, api).get("in_flight", 0) > 0 or gallery_run_open(stack)

    def log_sizes() -> list[int]:
        return [len(worker.log_text()) for worker in stack.workers.values()]

    while time.time() < deadline:
        before = log_sizes()
        if not busy():
            time.sleep(still_s)
            if log_sizes() == before and not busy():
                return True
        else:
            time.sleep(0.2)
    return False  # a test that kept its claims on purpose: clearing the database ends them


# ----- the stand-ins: knobs, stats, reset ------------------------------------------------------


def _post_to_standin(api, url: str, body: dict) -> dict:
    status, answer = api.call("POST", url, body, token=None)
    if status != 200:
        raise AssertionError(f"POST {url} answered {status}: {answer}")
    return answer


def site_knobs(stack, api, **knobs) -> dict:
    return _post_to_standin(api, stack.site_url + "/__control", knobs)


def images_knobs(stack, api, **knobs) -> dict:
    return _post_to_standin(api, stack.images_url + "/__control", knobs)


def images_stats(stack, api) -> dict:
    return api.call("GET", stack.images_url + "/__stats", token=None)[1]


def reset(stack, api, database) -> None:
    """A clean slate: empty database, every stand-in back to its default knobs, counters at zero."""
    database.clear()
    for url in (stack.site_url, stack.images_url, stack.webhooks.url):
        _post_to_standin(api, url + "/__reset", {})


# ----- the Workers and D1 --------------------------------------------------------------------


def process(stack, api, body=None, expect=200, timeout=120) -> dict:
    """POST /api/process-images (default body {"batchSize": 10}) and check the status."""
    status, answer = api.call(
        "POST",
        stack.processor_url + "/api/process-images",
        {"batchSize": 10} if body is None else body,
        timeout=timeout,
    )
    assert status == expect, answer
    return answer


def image_lists(database) -> list[list[str]]:
    """Every vehicle's `images` list, in id order (works on Database and on SqliteD1)."""
    return [json.loads(r["images"]) for r in database.rows("SELECT images FROM vehicles ORDER BY id")]


def all_entries(database) -> list[str]:
    return [e for images in image_lists(database) for e in images]


def vendor_entries(database) -> list[str]:
    return [e for e in all_entries(database) if e.startswith("http")]


def seed_vehicles(
    stack, database, count: int, photos: int, featured: set[int] = frozenset(), images=None
) -> list[int]:
    """Insert `count` active vehicles straight into D1 (no scrape, so no hand-off races the test).

    Their photos are real photos of the demo site's vendor CDN: `{cdn}/photos/L1xxxx/n.png`.
    `images(index, urls) -> list` may replace the image list (ids, URLs or mixed).
    """
    # The CDN serves as many photos per vehicle as the site lists: make that `photos` for everyone.
    stack.standins.site.set_knobs({"photos_per_vehicle": photos})
    ids = []
    con = database.connect()
    with con:
        for index in range(count):
            stock = f"L{10001 + index}"
            urls = [f"{stack.standins.site.cdn_url}/photos/{stock}/{n}.png" for n in range(1, photos + 1)]
            entries = images(index, urls) if images else urls
            cursor = con.execute(
                "INSERT INTO vehicles (vehicle_key, stock_number, year, make, model, featured, images, "
                "source_images, first_seen_at, updated_at) VALUES (?, ?, 2020, 'Test', ?, ?, ?, ?, "
                "datetime('now', ?), datetime('now'))",
                (
                    f"stock:{stock}",
                    stock,
                    f"Model{index}",
                    1 if index in featured else 0,
                    json.dumps(entries),
                    json.dumps(urls),
                    f"-{index} minutes",
                ),
            )
            ids.append(cursor.lastrowid)
    con.close()
    return ids
