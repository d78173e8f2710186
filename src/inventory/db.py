"""All the SQL of the project, in one place. Works on any adapter with this interface:

    await d1.all(sql, params) -> list[dict]            one round trip
    await d1.batch([(sql, params), ...]) -> list[list[dict]]   one round trip, one transaction

`inventory.runtime.D1` adapts Cloudflare D1; `tests/sqlite_d1.py` adapts sqlite3 for unit tests.
"""

from __future__ import annotations

import asyncio
import json
import time

from . import iso_utc

MAX_PARAMS = 100  # D1's limit of bound parameters per statement

# "database is locked": another writer held the database, and the statement or batch (one
# transaction) was not applied, so running it again is safe. Locally the two Workers and the tests
# share one SQLite file; D1 itself can answer busy under load. wrangler dev sometimes masks the
# busy error as "internal error; reference = <id>"; D1 documents its internal errors as retryable.
BUSY_MARKERS = ("SQLITE_BUSY", "database is locked", "internal error; reference =")
BUSY_WAITS_S = (0.05, 0.2, 0.5, 1.0, 2.0)


async def retry_when_busy(operation, *, sleep=asyncio.sleep, log=print):
    """`await operation()`, again after a short wait while D1 answers that the database is busy."""
    for wait in (*BUSY_WAITS_S, None):
        try:
            return await operation()
        except Exception as error:
            if wait is None or not any(marker in str(error) for marker in BUSY_MARKERS):
                raise
            log(f"⏳ D1 busy (database is locked); trying again in {wait} s")
            await sleep(wait)


# Replace every vendor URL of a vehicle's list that the images table knows as uploaded by its
# image id, keeping the order. Used after every write so no race can leave a stale URL behind.
_REWRITE_IMAGES = """
UPDATE vehicles SET images = (
  SELECT json_group_array(entry) FROM (
    SELECT CASE WHEN i.image_id IS NOT NULL THEN i.image_id ELSE j.value END AS entry
    FROM json_each(vehicles.images) j
    LEFT JOIN images i ON i.source_url = j.value AND i.state = 'uploaded' AND j.value LIKE 'http%'
    ORDER BY j.key))"""

_VENDOR_URLS_OF = "(SELECT COUNT(*) FROM json_each({col}) WHERE value LIKE 'http%')"

_VEHICLE_COLUMNS = tuple(
    "vehicle_key vin vin_valid stock_number year make model trim price mileage exterior_color detail_url "
    "featured images source_images content_hash gallery gallery_signature gallery_since".split()
)


def _chunks(items: list, size: int = MAX_PARAMS - 5):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _marks(count: int) -> str:
    return ",".join("?" * count)


# --- the scraper's side ----------------------------------------------------------------------


async def load_vehicles_for_merge(d1, listed: dict[str, str]) -> list[dict]:
    """Every vehicle row, for the merge with `listed` (vehicle key -> content hash of the listing).
    The photo lists come only with the rows the merge rewrites: listed with another hash, or inactive."""
    rewritten = "listed.value IS NOT NULL AND (v.status != 'active' OR v.content_hash IS NOT listed.value)"
    return await d1.all(
        "SELECT v.id, v.vehicle_key, v.status, v.content_hash, "
        "v.gallery, v.gallery_signature, v.gallery_since, "
        "json_array_length(v.source_images) AS photo_count, "
        f"CASE WHEN {rewritten} THEN v.images END AS images, "
        f"CASE WHEN {rewritten} THEN v.source_images END AS source_images "
        "FROM vehicles v LEFT JOIN json_each(?) listed ON listed.key = v.vehicle_key",
        [json.dumps(listed)],
    )


async def load_page_memo(d1) -> dict[str, str]:
    """The stored result of each listing page the last scrape read: digest -> JSON."""
    rows = await d1.all("SELECT digest, extract FROM listing_page_memo", [])
    return {row["digest"]: row["extract"] for row in rows}


async def load_scrape_memory(d1, site_url: str) -> tuple[dict[str, str], dict | None]:
    """What a scrape starts from, in one round trip: the page memo (as load_page_memo), and the
    mapping discovery found for this site on an earlier scrape ({"profile", "vehicles",
    "discovered_at"}, the profile checked again; None when there is none or it no longer loads)."""
    pages, remembered = await d1.batch(
        [
            ("SELECT digest, extract FROM listing_page_memo", []),
            (
                "SELECT profile, vehicles, discovered_at FROM discovered_profiles WHERE site_url = ?",
                [site_url],
            ),
        ]
    )
    return {row["digest"]: row["extract"] for row in pages}, _remembered(remembered)


def _remembered(rows: list[dict]) -> dict | None:
    from .dealer_site.profiles import normalise_profile

    if not rows:
        return None
    try:
        profile = normalise_profile(json.loads(rows[0]["profile"]))
    except ValueError as error:
        print(f"⚠️ The remembered site mapping no longer loads ({error}): discovering again")
        return None
    return {"profile": profile, "vehicles": rows[0]["vehicles"], "discovered_at": rows[0]["discovered_at"]}


def remember_profile_statement(site_url: str, profile_json: str, vehicles: int, now: str):
    """Remember (or refresh) the mapping that read the site; discovered_at moves only when it changed."""
    return (
        "INSERT INTO discovered_profiles (site_url, profile, vehicles, discovered_at, used_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (site_url) DO UPDATE SET "
        "discovered_at = CASE WHEN discovered_profiles.profile = excluded.profile "
        "THEN discovered_profiles.discovered_at ELSE excluded.discovered_at END, "
        "profile = excluded.profile, vehicles = excluded.vehicles, used_at = excluded.used_at",
        [site_url, profile_json, vehicles, now, now],
    )


def page_memo_statements(fresh: dict[str, tuple[str, str]], keep: list[str], now: str):
    """Store the pages read afresh and drop every row this scrape did not see."""
    store = "INSERT OR REPLACE INTO listing_page_memo (digest, page_url, extract, saved_at) VALUES (?,?,?,?)"
    statements = [(store, [digest, url, extract, now]) for digest, (url, extract) in fresh.items()]
    forget = "DELETE FROM listing_page_memo WHERE digest NOT IN (SELECT value FROM json_each(?))"
    return [*statements, (forget, [json.dumps(keep)])]


JSON_ROWS_CHARS = 500_000  # characters of rows per JSON parameter: D1 takes strings of up to 2 MB


def upsert_vehicle_statements(rows: list[dict], now: str) -> list[tuple[str, list]]:
    """Insert or update the vehicles (reactivating them), then map their uploaded photos to their ids.
    The rows travel as one JSON parameter per statement (a few hundred rows each): a statement per
    vehicle made the save batch cost as much CPU as reading the pages."""
    columns = ", ".join(_VEHICLE_COLUMNS)
    values = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(_VEHICLE_COLUMNS)))
    updates = ", ".join(f"{c} = excluded.{c}" for c in _VEHICLE_COLUMNS[1:])
    upsert = (
        f"INSERT INTO vehicles ({columns}, status, first_seen_at, updated_at) "
        f"SELECT {values}, 'active', ?2, ?2 FROM json_each(?1) WHERE true "  # WHERE: SQLite's upsert rule
        f"ON CONFLICT(vehicle_key) DO UPDATE SET {updates}, status = 'active', updated_at = "
        "excluded.updated_at, inactive_since = NULL, images_released_at = NULL"
    )
    lists = [[row[c] for c in _VEHICLE_COLUMNS] for row in rows]
    statements = [(upsert, [rows_json, now]) for rows_json in _json_rows(lists)]
    if rows:
        keys = json.dumps([row["vehicle_key"] for row in rows])
        statements.append(
            (_REWRITE_IMAGES + " WHERE vehicle_key IN (SELECT value FROM json_each(?))", [keys])
        )
    return statements


def _json_rows(rows) -> list[str]:
    """The rows as JSON arrays of rows, each at most about JSON_ROWS_CHARS long (one parameter each)."""
    texts, runs, run, size = [json.dumps(row, allow_nan=False) for row in rows], [], [], 0
    for text in texts:
        if run and size + len(text) > JSON_ROWS_CHARS:
            runs.append(run)
            run, size = [], 0
        run.append(text)
        size += len(text) + 1
    return [f"[{','.join(run)}]" for run in (*runs, run) if run]


def deactivate_statements(ids: list[int], now: str) -> list[tuple[str, list]]:
    return [
        (
            "UPDATE vehicles SET status = 'inactive', updated_at = ?, inactive_since = ? "
            f"WHERE id IN ({_marks(len(chunk))})",
            [now, now, *chunk],
        )
        for chunk in _chunks(ids)
    ]


def record_run_statement(kind: str, trigger: str, started_at: str, finished_at: str, summary: dict):
    return (
        "INSERT INTO runs (kind, trigger, started_at, finished_at, summary) VALUES (?, ?, ?, ?, ?)",
        [kind, trigger, started_at, finished_at, json.dumps(summary)],
    )


async def active_vendor_urls(d1) -> tuple[list[int], int]:
    """The active vehicles that still list vendor URLs (in work order), and how many URLs that is;
    a vehicle whose gallery is still to be read is left to the gallery reader's hand-off."""
    rows = await d1.all(
        f"SELECT id, urls FROM (SELECT id, featured, first_seen_at, {_VENDOR_URLS_OF.format(col='images')} "
        "AS urls FROM vehicles WHERE status = 'active' AND gallery != 'pending') WHERE urls > 0 "
        "ORDER BY featured DESC, first_seen_at DESC, id DESC",
        [],
    )
    return [r["id"] for r in rows], sum(r["urls"] for r in rows)


async def list_vehicles(d1, status: str | None, limit: int, offset: int) -> tuple[list[dict], int]:
    where, params = ("WHERE status = ?", [status]) if status else ("", [])
    rows, count = await d1.batch(
        [
            (
                f"SELECT * FROM vehicles {where} ORDER BY featured DESC, id LIMIT ? OFFSET ?",
                [*params, limit, offset],
            ),
            (f"SELECT COUNT(*) AS n FROM vehicles {where}", params),
        ]
    )
    return rows, count[0]["n"]


# --- the gallery reader's side (dealer_site/galleries.py) -------------------------------------

# Due: never read, or the listing changed, or read longer ago than GALLERY_MAX_AGE_HOURS.
_GALLERY_DUE = (
    "v.status = 'active' AND v.detail_url IS NOT NULL AND (v.gallery IN ('pending', 'stale') "
    "OR (v.gallery IN ('read', 'gone') AND v.gallery_read_at < ?))"
)


async def galleries_due(d1, read_before: str, limit: int) -> list[dict]:
    """Vehicles whose detail page is due: the fewest failed tries first (a page that keeps failing
    does not hold up the rest), then never read, featured and newest first."""
    return await d1.all(
        "SELECT v.id, v.vehicle_key, v.detail_url, v.images, v.source_images, v.gallery, "
        f"v.gallery_signature FROM vehicles v WHERE {_GALLERY_DUE} "
        "ORDER BY v.gallery_attempts, v.gallery = 'pending' DESC, v.featured DESC, v.first_seen_at DESC, "
        "v.id DESC LIMIT ?",
        [read_before, limit],
    )


async def galleries_due_count(d1, read_before: str) -> int:
    rows = await d1.all(f"SELECT COUNT(*) AS n FROM vehicles v WHERE {_GALLERY_DUE}", [read_before])
    return rows[0]["n"]


_SAME_LISTING = "WHERE id = ? AND gallery_signature IS ?"  # a scrape since has not changed the vehicle


def gallery_read_statements(row: dict, sources: list[str], images: list[str], now: str) -> list:
    """The gallery becomes the vehicle's list (uploaded ids kept in place); the uploaded photos it no
    longer lists are recorded in photo_removals."""
    key = [row["id"], row["gallery_signature"]]
    kept = set(sources)
    removed = [url for url in json.loads(row["source_images"]) if url not in kept]
    update = (
        "UPDATE vehicles SET source_images = ?, images = ?, gallery = 'read', gallery_read_at = ?, "
        f"gallery_attempts = 0, gallery_error = NULL, updated_at = ? {_SAME_LISTING}",
        [json.dumps(sources), json.dumps(images), now, now, *key],
    )
    record = photo_removal_statement(row["id"], removed, now)
    record = (
        record[0] + " AND EXISTS (SELECT 1 FROM vehicles WHERE id = ? AND gallery_read_at = ?)",
        [*record[1], row["id"], now],
    )
    return [update, (_REWRITE_IMAGES + " WHERE id = ?", [row["id"]]), record]


def photo_removal_statement(vehicle_id: int, removed_sources: list[str], now: str) -> tuple[str, list]:
    """Record the uploaded photos among `removed_sources` (a gallery or listing dropped them) for
    deletion after REMOVED_PHOTO_GRACE_DAYS (photos/lifecycle.py)."""
    return (
        "INSERT INTO photo_removals (vehicle_id, source_url, image_id, removed_at) "
        "SELECT ?, j.value, i.image_id, ? FROM json_each(?) j JOIN images i ON i.source_url = j.value "
        "WHERE i.state = 'uploaded'",
        [vehicle_id, now, json.dumps(removed_sources)],
    )


def scrape_failure_statement(now: str, error: str) -> tuple[str, list]:
    """The last scrape failed: retention deletions wait until a scrape succeeds again."""
    return (
        "INSERT INTO scrape_failures (id, failed_at, error) VALUES (1, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET failed_at = excluded.failed_at, error = excluded.error",
        [now, error[:300]],
    )


def gallery_kept_statement(row: dict, state: str, reason: str, now: str) -> tuple[str, list]:
    """Read, but nothing to replace the list with: `gone` (404/410) or `read` (no photos on it)."""
    return (
        "UPDATE vehicles SET gallery = ?, gallery_read_at = ?, gallery_attempts = 0, gallery_error = ? "
        + _SAME_LISTING,
        [state, now, reason, row["id"], row["gallery_signature"]],
    )


def gallery_failed_statement(row: dict, reason: str) -> tuple[str, list]:
    return (
        "UPDATE vehicles SET gallery_attempts = gallery_attempts + 1, gallery_error = ? WHERE id = ?",
        [reason[:300], row["id"]],
    )


# --- the image processor's side --------------------------------------------------------------

# A vehicle has work when one of its vendor URLs has no images row yet, or a row that is neither
# failed for good nor claimed by a live run (uploaded rows only need the list rewritten).
_HAS_WORK = """EXISTS (
  SELECT 1 FROM json_each(v.images) j LEFT JOIN images i ON i.source_url = j.value
  WHERE j.value LIKE 'http%' AND (i.source_url IS NULL OR
        (i.permanent = 0 AND (i.claim_expires_at IS NULL OR i.claim_expires_at < ?))))"""


# A vehicle whose gallery is still to be read holds the listing's stand-in photos: they are not
# uploaded, unless the gallery has stayed unread since before the cutoff (GALLERY_FALLBACK_HOURS).
GALLERY_STATES = ("listing", "pending", "read", "stale", "gone")  # vehicles.gallery (schema.sql)
_GALLERY_SETTLED = "(v.gallery != 'pending' OR v.gallery_since < ?)"


def gallery_cutoff(fallback_hours: float, now_s: float) -> str:
    """The `gallery_cutoff` of the queries below: a gallery pending since before it is given up on."""
    return iso_utc(now_s - fallback_hours * 3600)


async def vehicles_with_work(
    d1, now_ms: int, limit: int, skip_ids: list[int] = (), gallery_cutoff: str = ""
) -> list[dict]:
    """Featured and newest first; `skip_ids` (vehicles a drain already tried) are left out, so a
    vehicle whose photos keep failing does not hold up the rest of the backlog."""
    skip = list(skip_ids)[-(MAX_PARAMS - 5) :]
    not_in = f"AND v.id NOT IN ({_marks(len(skip))}) " if skip else ""
    return await d1.all(
        f"SELECT v.id, v.year, v.make, v.model, v.images FROM vehicles v "
        f"WHERE v.status = 'active' AND {_GALLERY_SETTLED} AND {_HAS_WORK} {not_in}"
        "ORDER BY v.featured DESC, v.first_seen_at DESC, v.id DESC LIMIT ?",
        [gallery_cutoff, now_ms, *skip, limit],
    )


async def released_vehicle_ids(d1, ids: list[int]) -> list[int]:
    """Those of `ids` that are sold and whose images the lifecycle released (photos/lifecycle.py)."""
    rows = await d1.all(
        f"SELECT id FROM vehicles WHERE id IN ({_marks(len(ids))}) AND status = 'inactive' "
        "AND images_released_at IS NOT NULL ORDER BY id",
        list(ids),
    )
    return [row["id"] for row in rows]


_NOT_RELEASED = "(v.images_released_at IS NULL OR v.status = 'active')"


async def vehicles_by_ids(d1, ids: list[int], gallery_cutoff: str = "") -> list[dict]:
    """The vehicles asked for; one whose gallery is still to be read, or a sold one whose images were
    released, comes with no photos to upload."""
    rows = []
    for chunk in _chunks(ids):
        rows += await d1.all(
            f"SELECT v.id, v.year, v.make, v.model, CASE WHEN {_GALLERY_SETTLED} AND {_NOT_RELEASED} "
            "THEN v.images ELSE '[]' END "
            f"AS images FROM vehicles v WHERE v.id IN ({_marks(len(chunk))})",
            [gallery_cutoff, *chunk],
        )
    return rows


async def claim_images(
    d1, wanted: list[tuple[str, str, int]], run_id: str, now_ms: int, expires_ms: int
) -> list[dict]:
    """Claim (source_url, image_id, vehicle_id) rows for this run; answer every wanted photo's row
    (source_url, state, permanent, claimed_by), so the caller knows which are its own.

    D1 has one writer, so of two runs claiming the same photo exactly one statement wins: the
    other finds the row claimed (claim_expires_at in the future) and leaves it.
    """
    claim = (
        "INSERT INTO images (source_url, image_id, vehicle_id, claimed_by, claim_expires_at, updated_at) "
        "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), "
        "?2, ?3, datetime('now') FROM json_each(?1) WHERE true "  # WHERE: SQLite's upsert rule
        "ON CONFLICT(source_url) DO UPDATE SET claimed_by = excluded.claimed_by, image_id = "
        "excluded.image_id, "
        "claim_expires_at = excluded.claim_expires_at, vehicle_id = excluded.vehicle_id "
        "WHERE images.state != 'uploaded' AND images.permanent = 0 "
        "AND (images.claim_expires_at IS NULL OR images.claim_expires_at < ?4)"
    )
    # as JSON: a statement per photo costs more
    statements = [(claim, [rows, run_id, expires_ms, now_ms]) for rows in _json_rows(wanted)]
    urls = list(dict.fromkeys(url for url, _, _ in wanted))
    chunks = list(_chunks(urls))
    for chunk in chunks:
        statements.append(
            (
                f"SELECT source_url, state, permanent, claimed_by FROM images "
                f"WHERE source_url IN ({_marks(len(chunk))})",
                chunk,
            )
        )
    results = await d1.batch(statements)
    return [row for rows in results[len(results) - len(chunks) :] for row in rows]


# With the validators of the download (file and binding modes) the photo's first check is due a
# PHOTO_CHECK_DAYS later; without (url mode), at once: it gives the validators (photos/replacements.py).
# The outcomes travel as one JSON parameter (rows `o`, one per photo); this run's claims only (?2).
def _from_outcomes(names: str) -> str:
    """Each outcome finds its row by primary key. The unary + keeps SQLite off the claimed_by index:
    with it, the plan walked the run's claimed rows and read the whole JSON for each (a batch of 120
    photos spent 11 ms of CPU there instead of 0.3)."""
    columns = ", ".join(f"json_extract(value, '$[{i}]') AS {name}" for i, name in enumerate(names.split()))
    return (
        f"FROM (SELECT {columns} FROM json_each(?1)) AS o "
        "WHERE images.source_url = o.url AND +images.claimed_by = ?2"
    )


_UPLOADED = (
    "UPDATE images SET state = 'uploaded', attempts = images.attempts + o.attempts, last_error = NULL, "
    "permanent = 0, claimed_by = NULL, claim_expires_at = NULL, uploaded_at = datetime('now'), "
    "updated_at = datetime('now'), etag = o.etag, last_modified = o.last_modified, "
    "content_length = o.content_length, content_sha256 = o.content_sha256, "
    "checked_at = CASE WHEN o.validated THEN strftime('%Y-%m-%dT%H:%M:%SZ', 'now') END "
    + _from_outcomes("url attempts etag last_modified content_length content_sha256 validated")
)
_NOT_UPLOADED = (
    "UPDATE images SET state = CASE WHEN o.permanent THEN 'failed' ELSE 'pending' END, "
    "attempts = images.attempts + o.attempts, last_error = o.error, permanent = o.permanent, "
    "claimed_by = NULL, claim_expires_at = NULL, updated_at = datetime('now') "
    + _from_outcomes("url attempts error permanent")
    + " AND images.state != 'uploaded'"
)


def _outcome_row(outcome: dict) -> list:
    if outcome["ok"]:
        found = outcome.get("validators") or {}
        validators = [found.get(k) for k in ("etag", "last_modified", "content_length", "content_sha256")]
        return [outcome["source_url"], outcome["attempts"], *validators, 1 if found else 0]
    return [outcome["source_url"], outcome["attempts"], outcome["error"], 1 if outcome["permanent"] else 0]


def _outcome_statements(outcomes: list[dict], run_id: str) -> list[tuple[str, list]]:
    """The uploaded photos in one statement, the others in another (more when very many); a photo named
    twice keeps its first outcome, as when each had its own statement."""
    first = list({o["source_url"]: o for o in reversed(outcomes)}.values())[::-1]
    statements = []
    for sql, wanted in ((_UPLOADED, True), (_NOT_UPLOADED, False)):
        rows = [_outcome_row(o) for o in first if bool(o["ok"]) is wanted]
        statements += [(sql, [rows_json, run_id]) for rows_json in _json_rows(rows)]
    return statements


async def write_back(d1, outcomes: list[dict], vehicle_ids: list[int], run_id: str) -> None:
    """Record every image's outcome and rewrite the vehicles' lists, in one transaction.

    Only rows this run still holds are updated: if its claim expired and another run took the
    photo, that run's result stands (an upload of ours is then met as "already exists").

    outcome: {"source_url", "ok": bool, "attempts": n, "error": str|None, "permanent": bool}
    """
    statements = _outcome_statements(outcomes, run_id)
    statements += [
        (_REWRITE_IMAGES + f" WHERE id IN ({_marks(len(chunk))})", chunk) for chunk in _chunks(vehicle_ids)
    ]
    # Anything this run still holds (a photo skipped for lack of time or budget) is set free.
    statements.append(
        ("UPDATE images SET claimed_by = NULL, claim_expires_at = NULL WHERE claimed_by = ?", [run_id])
    )
    await d1.batch(statements)


async def reserve_api_requests(d1, window_start: int, wanted: int, limit: int) -> int:
    """Take up to `wanted` requests from this minute's shared budget; answer how many were granted."""
    results = await d1.batch(
        [
            (
                "INSERT INTO api_budget (window_start, used) VALUES (?, 0) ON CONFLICT(window_start) DO "
                "NOTHING",
                [window_start],
            ),
            ("SELECT used FROM api_budget WHERE window_start = ?", [window_start]),
            (
                "UPDATE api_budget SET used = min(used + ?, max(used, ?)) WHERE window_start = ? RETURNING "
                "used",
                [wanted, limit, window_start],
            ),
            ("DELETE FROM api_budget WHERE window_start < ?", [window_start - 3600]),
        ]
    )
    return max(0, results[2][0]["used"] - results[1][0]["used"])


_VEHICLE_COUNTS = f"""SELECT
  COUNT(*) AS total,
  COALESCE(SUM(CASE WHEN n > 0 AND urls = n THEN 1 ELSE 0 END), 0) AS needing,
  COALESCE(SUM(CASE WHEN urls = 0 THEN 1 ELSE 0 END), 0) AS fully,
  COALESCE(SUM(CASE WHEN urls > 0 AND urls < n THEN 1 ELSE 0 END), 0) AS partially
FROM (SELECT json_array_length(images) AS n, {_VENDOR_URLS_OF.format(col="images")} AS urls
      FROM vehicles WHERE status = 'active')"""

_IMAGE_COUNTS = """SELECT
  COUNT(*) AS total,
  COALESCE(SUM(CASE WHEN j.value NOT LIKE 'http%' THEN 1 ELSE 0 END), 0) AS uploaded,
  COALESCE(SUM(CASE WHEN j.value LIKE 'http%' AND COALESCE(i.permanent, 0) = 0 THEN 1 ELSE 0 END), 0)
    AS pending,
  COALESCE(SUM(CASE WHEN j.value LIKE 'http%' AND i.permanent = 1 THEN 1 ELSE 0 END), 0)
    AS failed_permanently,
  COALESCE(SUM(CASE WHEN j.value LIKE 'http%' AND i.claim_expires_at > ? THEN 1 ELSE 0 END), 0) AS in_progress
FROM vehicles v, json_each(v.images) j LEFT JOIN images i ON i.source_url = j.value
WHERE v.status = 'active'"""

_LAST_RUNS = (
    "SELECT kind, trigger, started_at, finished_at, summary FROM runs r "
    "WHERE id IN (SELECT MAX(id) FROM runs GROUP BY kind)"
)


async def image_status(d1, now_ms: int) -> dict:
    per_vehicle, images, last_runs, inactive, galleries = await d1.batch(
        [
            (_VEHICLE_COUNTS, []),
            (_IMAGE_COUNTS, [now_ms]),
            (_LAST_RUNS, []),
            ("SELECT COUNT(*) AS n FROM vehicles WHERE status = 'inactive'", []),
            ("SELECT gallery, COUNT(*) AS n FROM vehicles WHERE status = 'active' GROUP BY gallery", []),
        ]
    )
    v, i = per_vehicle[0], images[0]
    runs = {
        r["kind"]: {
            "trigger": r["trigger"],
            "startedAt": r["started_at"],
            "finishedAt": r["finished_at"],
            **json.loads(r["summary"]),
        }
        for r in last_runs
    }
    return {
        "totalVehicles": v["total"],
        "needingProcessing": v["needing"],
        "fullyProcessed": v["fully"],
        "partiallyProcessed": v["partially"],
        "inactiveVehicles": inactive[0]["n"],
        "images": {
            "total": i["total"],
            "uploaded": i["uploaded"],
            "pending": i["pending"],
            "failedPermanently": i["failed_permanently"],
            "inProgress": i["in_progress"],
        },
        "galleries": {state: 0 for state in GALLERY_STATES} | {r["gallery"]: r["n"] for r in galleries},
        "lastRun": runs.get("process"),
        "lastScrape": runs.get("scrape"),
        "lastGalleryRun": runs.get("galleries"),
        "runsByKind": runs,
    }


async def failures(d1, limit: int = 200) -> list[dict]:
    return await d1.all(
        "SELECT i.source_url, i.image_id, i.vehicle_id, i.attempts, i.last_error, i.permanent, i.updated_at, "
        "v.year, v.make, v.model FROM images i LEFT JOIN vehicles v ON v.id = i.vehicle_id "
        "WHERE i.state = 'failed' OR (i.state = 'pending' AND i.last_error IS NOT NULL) "
        "ORDER BY i.updated_at DESC LIMIT ?",
        [limit],
    )


async def requeue(d1, source_urls: list[str] | None) -> tuple[int, list[int]]:
    """Make failed photos eligible again (all of them, or the listed ones): (count, their vehicle ids)."""
    base = (
        "UPDATE images SET state = 'pending', permanent = 0, last_error = NULL, attempts = 0, "
        "updated_at = datetime('now') WHERE state = 'failed'"
    )
    groups = [None] if source_urls is None else list(_chunks(source_urls))
    total, vehicles = 0, set()
    for chunk in groups:
        where, params = ("", []) if chunk is None else (f" AND source_url IN ({_marks(len(chunk))})", chunk)
        found, _, changed = await d1.batch(
            [
                ("SELECT DISTINCT vehicle_id FROM images WHERE state = 'failed'" + where, params),
                (base + where, params),
                ("SELECT changes() AS n", []),
            ]
        )
        total += changed[0]["n"]
        vehicles.update(r["vehicle_id"] for r in found if r["vehicle_id"] is not None)
    return total, sorted(vehicles)


async def record_run(d1, kind, trigger, started_at, finished_at, summary) -> None:
    await d1.batch([record_run_statement(kind, trigger, started_at, finished_at, summary)])


async def vehicles_for_jobs(d1, ids: list[int] | None, gallery_cutoff: str = "") -> list[dict]:
    """Active vehicles holding vendor URLs, with what orders their jobs (featured, newest)."""
    query = (
        "SELECT v.id, v.featured, CAST(strftime('%s', v.first_seen_at) AS INTEGER) AS ord FROM vehicles v "
        f"WHERE v.status = 'active' AND {_GALLERY_SETTLED} AND {_HAS_WORK}"
    )
    now_ms = int(time.time() * 1000)
    if ids is None:
        rows = await d1.all(query, [gallery_cutoff, now_ms])
    else:
        rows = []
        for chunk in _chunks(ids):
            params = [gallery_cutoff, now_ms, *chunk]
            rows += await d1.all(query + f" AND v.id IN ({_marks(len(chunk))})", params)
    return [{"id": r["id"], "featured": bool(r["featured"]), "order": r["ord"]} for r in rows]


async def record_dead_letters(d1, vehicle_ids: list[int]) -> int:
    """Mark the vendor-URL photos of these vehicles failed for good, keeping the last error."""
    statements = []
    for chunk in _chunks(vehicle_ids):
        vendor_urls = (
            f"SELECT j.value AS url, v.id AS vid FROM vehicles v, json_each(v.images) j "
            f"WHERE v.id IN ({_marks(len(chunk))}) AND j.value LIKE 'http%'"
        )
        statements.append(
            (
                f"INSERT INTO images (source_url, image_id, vehicle_id, updated_at) SELECT url, '', vid, "
                f"datetime('now') FROM ({vendor_urls}) WHERE true ON CONFLICT(source_url) DO NOTHING",
                chunk,
            )
        )
        statements.append(
            (
                "UPDATE images SET state = 'failed', permanent = 1, claimed_by = NULL, claim_expires_at = "
                "NULL, "
                "last_error = 'dead-lettered after the queue ran out of retries' || "
                "COALESCE(' (last error: ' || last_error || ')', ''), updated_at = datetime('now') "
                f"WHERE state != 'uploaded' AND source_url IN (SELECT url FROM ({vendor_urls}))",
                chunk,
            )
        )
        statements.append(("SELECT changes() AS n", []))
    results = await d1.batch(statements)
    return sum(r[0]["n"] for r in results[2::3])


# --- the photo lifecycle (photos/lifecycle.py) ------------------------------------------------

# Every image id a vehicle's list holds, active or not: such an image is never deleted.
_HELD_IDS = "SELECT hj.value FROM vehicles hv, json_each(hv.images) hj WHERE hj.value NOT LIKE 'http%'"
# A list entry that is stale: a deleted image, or the first upload of a replaced photo, that no
# uploaded row names any more. A write that raced a cleanup (a gallery read or a scrape that loaded the
# list before the switch or the deletion) can put one back; the repair gives each such entry its
# photo's current id, or its vendor URL (then it is uploaded again).
_STALE = (
    "(j.value IN (SELECT image_id FROM photo_removals WHERE reason = 'replaced' "
    "UNION SELECT image_id FROM image_deletions) "
    "AND NOT EXISTS (SELECT 1 FROM images u WHERE u.image_id = j.value AND u.state = 'uploaded'))"
)
REPAIR_STALE_ENTRIES = (
    "UPDATE vehicles SET images = (SELECT json_group_array(entry) FROM ("
    f"SELECT CASE WHEN {_STALE} THEN COALESCE(i.image_id, s.value, j.value) ELSE j.value END AS entry "
    "FROM json_each(vehicles.images) j LEFT JOIN json_each(vehicles.source_images) s ON s.key = j.key "
    "LEFT JOIN images i ON i.source_url = s.value AND i.state = 'uploaded' ORDER BY j.key)) "
    f"WHERE EXISTS (SELECT 1 FROM json_each(vehicles.images) j WHERE {_STALE})"
)
MAX_DELETION_ATTEMPTS = 10  # then a queued deletion is stuck: shown, and tried again once a day
# A queued deletion is tried on every run until it is stuck, then once a day (retry_before: a day ago).
_TRY_NOW = f"(attempts < {MAX_DELETION_ATTEMPTS} OR last_attempt_at IS NULL OR last_attempt_at < ?)"
_STUCK = f"attempts >= {MAX_DELETION_ATTEMPTS}"


async def deletions_due(
    d1, removed_before: str, limit: int, dry_run: bool = False, retry_before: str = ""
) -> tuple[list[dict], int]:
    """The queued images to delete now (removed before `removed_before`; a sold vehicle's and a
    replaced photo's first upload at once), one row per image id, none that a vehicle's list
    holds: checked in this query, the one that chooses. Stale list entries are repaired first, and
    queued rows that a list holds again (the photo came back) are dropped; how many, too. A dry run
    changes nothing."""
    forget = f"DELETE FROM photo_removals WHERE image_id IS NULL OR image_id IN ({_HELD_IDS})"
    choose = (
        "SELECT image_id, MIN(reason) AS reason, MIN(vehicle_id) AS vehicle_id FROM photo_removals "
        f"WHERE image_id IS NOT NULL AND (reason IN ('retention', 'replaced') OR removed_at < ?) "
        f"AND {_TRY_NOW} AND image_id NOT IN ({_HELD_IDS}) "
        "GROUP BY image_id ORDER BY MIN(id) LIMIT ?"
    )
    params = [removed_before, retry_before, limit]
    if dry_run:
        return await d1.all(choose, params), 0
    statements = [(REPAIR_STALE_ENTRIES, []), (forget, []), ("SELECT changes() AS n", [])]
    results = await d1.batch([*statements, (choose, params)])
    return results[3], results[2][0]["n"]


async def retention_blocked(d1) -> str | None:
    """Why no sold vehicle's images may be deleted now (the last scrape failed, or refused to
    deactivate: its view of what is sold cannot be trusted), or None."""
    last, failure = await d1.batch(
        [
            ("SELECT finished_at, summary FROM runs WHERE kind = 'scrape' ORDER BY id DESC LIMIT 1", []),
            ("SELECT failed_at, error FROM scrape_failures WHERE id = 1", []),
        ]
    )
    scrape = last[0] if last else None
    if failure and (scrape is None or failure[0]["failed_at"] >= scrape["finished_at"]):
        return f"the last scrape failed ({failure[0]['error'][:120]})"
    refused = json.loads(scrape["summary"]).get("deactivationRefused") if scrape else None
    return f"the last scrape refused to deactivate ({refused[:120]})" if refused else None


async def sold_vehicles_due(d1, inactive_before: str, limit: int) -> list[dict]:
    """Vehicles inactive since before `inactive_before` whose images are still stored."""
    return await d1.all(
        "SELECT id, (SELECT COUNT(*) FROM json_each(images) WHERE value NOT LIKE 'http%') AS image_count "
        "FROM vehicles WHERE status = 'inactive' AND images_released_at IS NULL AND inactive_since < ? "
        "ORDER BY inactive_since LIMIT ?",
        [inactive_before, limit],
    )


def release_statements(vehicle_id: int, now: str) -> list[tuple[str, list]]:
    """A sold vehicle's images queued for deletion and its list put back to its vendor URLs, in one
    batch; nothing happens if a scrape has brought the vehicle back meanwhile."""
    still_sold = "v.id = ? AND v.status = 'inactive' AND v.images_released_at IS NULL"
    queue = (
        "INSERT INTO photo_removals (vehicle_id, source_url, image_id, removed_at, reason) "
        "SELECT v.id, s.value, i.value, ?, 'retention' FROM vehicles v, json_each(v.images) i "
        f"JOIN json_each(v.source_images) s ON s.key = i.key WHERE {still_sold} AND i.value NOT LIKE 'http%'",
        [now, vehicle_id],
    )
    release = (
        "UPDATE vehicles SET images = source_images, images_released_at = ?, updated_at = ? "
        f"WHERE {still_sold.replace('v.', '')}",
        [now, now, vehicle_id],
    )
    return [queue, release]


async def unreferenced(d1, image_ids: list[str]) -> list[str]:
    """Of these image ids, those no row of D1 names: no vehicle's list, no images row (an upload in
    flight has one), no queued deletion (a stuck one waits a day between tries: the sweep judges its
    image meanwhile, as it would any other)."""
    query = (
        "SELECT c.value AS id FROM json_each(?) c WHERE c.value NOT IN (SELECT image_id FROM images) "
        f"AND c.value NOT IN ({_HELD_IDS}) "
        "AND c.value NOT IN (SELECT image_id FROM photo_removals "
        f"WHERE image_id IS NOT NULL AND NOT {_STUCK})"
    )
    chunks = [image_ids[i : i + 1000] for i in range(0, len(image_ids), 1000)]
    results = await d1.batch([(query, [json.dumps(chunk)]) for chunk in chunks]) if chunks else []
    return [row["id"] for rows in results for row in rows]


async def reserve_deletions(d1, day: str, wanted: int, limit: int) -> int:
    """Take up to `wanted` deletions from the day's shared cap (MAX_DELETIONS_PER_DAY)."""
    results = await d1.batch(
        [
            ("INSERT INTO deletion_budget (day, used) VALUES (?, 0) ON CONFLICT(day) DO NOTHING", [day]),
            ("SELECT used FROM deletion_budget WHERE day = ?", [day]),
            (
                "UPDATE deletion_budget SET used = min(used + ?, max(used, ?)) WHERE day = ? RETURNING used",
                [wanted, limit, day],
            ),
            ("DELETE FROM deletion_budget WHERE day < date(?, '-30 days')", [day]),
        ]
    )
    return max(0, results[2][0]["used"] - results[1][0]["used"])


_SWAP_ENTRY = (
    "UPDATE vehicles SET images = (SELECT json_group_array(entry) FROM ("
    "SELECT CASE WHEN j.value = ? THEN COALESCE(?, s.value) ELSE j.value END AS entry "
    "FROM json_each(vehicles.images) j LEFT JOIN json_each(vehicles.source_images) s ON s.key = j.key "
    "ORDER BY j.key) WHERE entry IS NOT NULL) "
    "WHERE EXISTS (SELECT 1 FROM json_each(vehicles.images) WHERE value = ?)"
)


def swap_entry_statement(image_id: str, new_entry: str | None = None) -> tuple[str, list]:
    """Every list entry `image_id` becomes `new_entry`, or (None) the vendor URL of its position (an
    entry with no vendor URL beside it is dropped: it would name a deleted image)."""
    return _SWAP_ENTRY, [image_id, new_entry, image_id]


def deleted_statements(image_id: str, reason: str, vehicle_id, now: str) -> list[tuple[str, list]]:
    """An image is gone: recorded, unqueued, and forgotten by the upload table; a list that took it
    back meanwhile (a scrape racing the deletion) gets the vendor URL again, so it is uploaded anew."""
    return [
        (
            "INSERT OR REPLACE INTO image_deletions (image_id, reason, vehicle_id, deleted_at) "
            "VALUES (?, ?, ?, ?)",
            [image_id, reason, vehicle_id, now],
        ),
        ("DELETE FROM photo_removals WHERE image_id = ?", [image_id]),
        swap_entry_statement(image_id),
        ("DELETE FROM images WHERE image_id = ?", [image_id]),
    ]


def deletion_failed_statement(image_id: str, error: str, now: str) -> tuple[str, list]:
    return (
        "UPDATE photo_removals SET attempts = attempts + 1, last_error = ?, last_attempt_at = ? "
        "WHERE image_id = ?",
        [error[:300], now, image_id],
    )


_STORAGE_COUNTS = [
    "SELECT COUNT(*) AS n FROM images WHERE state = 'uploaded'",
    "SELECT COUNT(DISTINCT image_id) AS n FROM photo_removals WHERE image_id IS NOT NULL",
    "SELECT COUNT(*) AS n FROM image_deletions",
    "SELECT COUNT(*) AS n FROM image_deletions WHERE deleted_at >= ?",
    "SELECT COUNT(*) AS n FROM vehicles WHERE images_released_at IS NOT NULL",
    f"SELECT COUNT(DISTINCT image_id) AS n FROM photo_removals WHERE {_STUCK}",
]
STUCK_SHOWN = 20
_STUCK_ROWS = (
    "SELECT image_id, MIN(reason) AS reason, MAX(attempts) AS attempts, MAX(last_error) AS last_error, "
    f"MAX(last_attempt_at) AS last_attempt_at FROM photo_removals WHERE {_STUCK} "
    f"GROUP BY image_id ORDER BY MIN(id) LIMIT {STUCK_SHOWN}"
)


async def storage_counts(d1, today: str) -> dict:
    """Images stored by our records, deletions queued and done (all time and today), vehicles released,
    and the stuck deletions (failed MAX_DELETION_ATTEMPTS times): how many, and the oldest STUCK_SHOWN."""
    queries = [(q, [today] if "?" in q else []) for q in _STORAGE_COUNTS]
    *results, stuck_rows = await d1.batch([*queries, (_STUCK_ROWS, [])])
    stored, queued, done, done_today, released, stuck = (rows[0]["n"] for rows in results)
    counts = {"stored": stored, "queued": queued, "done": done, "today": done_today, "released": released}
    return {**counts, "stuck": stuck, "stuckRows": stuck_rows}


async def last_run_finished(d1, kind: str) -> str | None:
    rows = await d1.all("SELECT finished_at FROM runs WHERE kind = ? ORDER BY id DESC LIMIT 1", [kind])
    return rows[0]["finished_at"] if rows else None


# --- replaced photos (photos/replacements.py) -----------------------------------------------


async def photos_to_check(d1, checked_before: str, limit: int) -> list[dict]:
    """Uploaded photos of active vehicles not asked about since `checked_before` (never asked
    first), whose host gives validators."""
    return await d1.all(
        "SELECT i.source_url, i.image_id, v.id AS vehicle_id, i.etag, i.last_modified, i.content_length, "
        "i.content_sha256, i.version "
        "FROM vehicles v, json_each(v.source_images) s JOIN images i ON i.source_url = s.value "
        "WHERE v.status = 'active' AND i.state = 'uploaded' AND i.no_validators = 0 "
        "AND (i.checked_at IS NULL OR i.checked_at < ?) "
        "GROUP BY i.source_url ORDER BY i.checked_at IS NOT NULL, i.checked_at LIMIT ?",
        [checked_before, limit],
    )


def photo_checked_statement(source_url: str, validators: dict | None, now: str) -> tuple[str, list]:
    """What the host said (None: no validators, so the photo is never asked about again)."""
    v = validators or {}
    return (
        "UPDATE images SET etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified), "
        "content_length = COALESCE(?, content_length), checked_at = ?, no_validators = ? "
        "WHERE source_url = ?",
        [
            v.get("etag"),
            v.get("last_modified"),
            v.get("content_length"),
            now,
            int(validators is None),
            source_url,
        ],
    )


def photo_replaced_statements(row: dict, new_id: str, validators: dict, now: str) -> list[tuple[str, list]]:
    """The new upload takes the photo's place, in its row and at its positions in every list, and the
    first upload is queued for deletion: all in one batch, so the old image goes only after the switch."""
    return [
        (
            "UPDATE images SET image_id = ?, version = version + 1, etag = ?, last_modified = ?, "
            "content_length = ?, checked_at = ?, uploaded_at = ?, updated_at = ? "
            "WHERE source_url = ? AND image_id = ?",
            [
                new_id,
                validators.get("etag"),
                validators.get("last_modified"),
                validators.get("content_length"),
                now,
                now,
                now,
                row["source_url"],
                row["image_id"],
            ],
        ),
        swap_entry_statement(row["image_id"], new_id),
        (
            "INSERT INTO photo_removals (vehicle_id, source_url, image_id, removed_at, reason) "
            "VALUES (?, ?, ?, ?, 'replaced')",
            [row["vehicle_id"], row["source_url"], row["image_id"], now],
        ),
    ]


# --- the storefront: the read API and the feeds (storefront/) ----------------------------------

# Columns a reader sees. A change to one of them bumps inventory_version (migration 0007's triggers).
STOREFRONT_COLUMNS = (
    "id, vin, vin_valid, stock_number, year, make, model, trim, price, mileage, exterior_color, detail_url, "
    "featured, images, status, first_seen_at, updated_at"
)
# The sort key of each sort: a missing value sorts last either way (sentinels), so keyset pages
# never skip a vehicle whose price or mileage is unknown.
_LAST_UP, _LAST_DOWN = 1e18, -1e18
_SORT_KEYS = {
    ("price", False): f"COALESCE(price, {_LAST_UP})",
    ("price", True): f"COALESCE(price, {_LAST_DOWN})",
    ("year", False): f"COALESCE(year, {_LAST_UP})",
    ("year", True): f"COALESCE(year, {_LAST_DOWN})",
    ("mileage", False): f"COALESCE(mileage, {_LAST_UP})",
    ("mileage", True): f"COALESCE(mileage, {_LAST_DOWN})",
    ("updated", False): "updated_at",
    ("updated", True): "updated_at",
}
_SEARCHED = (
    "(COALESCE(year, '') || ' ' || COALESCE(make, '') || ' ' || COALESCE(model, '') || ' ' || "
    "COALESCE(trim, '') || ' ' || COALESCE(stock_number, '') || ' ' || COALESCE(vin, ''))"
)


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _storefront_where(query) -> tuple[str, list]:
    """The WHERE of a storefront query (inventory.storefront.query.VehicleQuery), without its cursor."""
    conditions, params = ["status = ?"], [query.status]
    for column, value in (("make", query.make), ("model", query.model)):
        if value is not None:
            conditions.append(f"lower({column}) = lower(?)")
            params.append(value)
    bounds = (
        ("year >= ?", query.year_min),
        ("year <= ?", query.year_max),
        ("price >= ?", query.price_min),
        ("price <= ?", query.price_max),
        ("mileage <= ?", query.mileage_max),
    )
    for condition, value in bounds:
        if value is not None:
            conditions.append(condition)
            params.append(value)
    for word in query.words:
        conditions.append(f"{_SEARCHED} LIKE ? ESCAPE '\\'")
        params.append(_like(word))
    return " AND ".join(conditions), params


async def storefront_page(d1, query) -> tuple[list[dict], int]:
    """One page of the read API (and its total), in one round trip: `query.limit` + 1 rows, so the
    caller knows whether a next page exists. Each row carries its `sort_key` for the next cursor."""
    where, params = _storefront_where(query)
    key = _SORT_KEYS[(query.sort, query.descending)]
    direction, beyond = ("DESC", "<") if query.descending else ("ASC", ">")
    page_where, page_params = where, list(params)
    if query.after is not None:
        page_where += f" AND ({key}, id) {beyond} (?, ?)"
        page_params += list(query.after)
    rows, count = await d1.batch(
        [
            (
                f"SELECT {STOREFRONT_COLUMNS}, {key} AS sort_key FROM vehicles WHERE {page_where} "
                f"ORDER BY sort_key {direction}, id {direction} LIMIT ?",
                [*page_params, query.limit + 1],
            ),
            (f"SELECT COUNT(*) AS n FROM vehicles WHERE {where}", params),
        ]
    )
    return rows, count[0]["n"]


async def storefront_vehicle(d1, vin: str | None, vehicle_id: int | None) -> dict | None:
    """One vehicle by VIN (any letter case) or by id, whatever its status."""
    column, value = ("upper(vin)", vin.upper()) if vin else ("id", vehicle_id)
    rows = await d1.all(f"SELECT {STOREFRONT_COLUMNS} FROM vehicles WHERE {column} = ? LIMIT 1", [value])
    return rows[0] if rows else None


async def inventory_version(d1) -> str:
    """The stamp every change a reader could see moves on (migration 0007's triggers): its number and
    when it moved, so a database restored to an older number still gets a stamp of its own."""
    rows = await d1.all("SELECT version, changed_at FROM inventory_version WHERE id = 1", [])
    if not rows:
        return "0"
    return f"{rows[0]['version']}-" + "".join(c for c in rows[0]["changed_at"] if c.isdigit())


async def storefront_rows_after(d1, after_id: int, limit: int) -> list[dict]:
    """Active vehicles by id after `after_id`: the feeds read D1 in such pages, one round trip each,
    so a feed of thousands never holds more than a page."""
    return await d1.all(
        f"SELECT {STOREFRONT_COLUMNS} FROM vehicles WHERE status = 'active' AND id > ? ORDER BY id LIMIT ?",
        [after_id, limit],
    )
