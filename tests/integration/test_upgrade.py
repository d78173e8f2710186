"""Upgrades: a database with data in it, made by an older version, takes the migrations it lacks,
and the Workers under workerd read and process it with nothing lost.

Two starting points: a database at migration 0001 (wrangler's record says so), and one created
the way the project deployed before it had migrations (schema.sql run by `wrangler d1 execute`,
no record at all). Today migrations/ holds only 0001, so for the first one "the migrations it
lacks" is none yet: the test applies whatever follows 0001, and holds for every migration added
later. The second one gets 0001 itself applied over its tables.

Runs its own stack beside the session's (port_offset 2000), with the processor's config as
committed (binding mode: no queues declared).
"""

import json
import shutil
import sqlite3
import subprocess
import time

from dev.client import Api, Database, images_stats, process
from dev.launcher import Stack
from inventory.photos.display import image_id_for
from scripts import setup as project_setup
from tests.settings import ROOT
from tests.unit.test_migrations import schema_objects, schema_sql_database

MIGRATIONS = sorted((ROOT / "migrations").glob("*.sql"))
LEGACY_ID = "legacy-8-1"  # an upload the older version already made
PHOTOS_PER_VEHICLE = 3  # the demo CDN serves 1.png..3.png for each stock number


def wrangler(*args: str, config: str = "wrangler-scraper.toml") -> str:
    done = subprocess.run(
        [str(ROOT / "node_modules" / ".bin" / "wrangler"), *args, "-c", config],
        cwd=ROOT,
        env=project_setup.wrangler_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def database_at_first_migration(state, scratch) -> None:
    """Only 0001 applied, by wrangler, from a config whose migrations folder holds nothing else."""
    first_only = scratch / "migrations-first-only"
    first_only.mkdir()
    shutil.copy(MIGRATIONS[0], first_only / MIGRATIONS[0].name)
    config = scratch / "wrangler-first-migration.toml"
    config.write_text(
        (ROOT / "wrangler-scraper.toml")
        .read_text()
        .replace('migrations_dir = "migrations"', f'migrations_dir = "{first_only}"')
    )
    wrangler("d1", "migrations", "apply", "DB", "--local", "--persist-to", str(state), config=str(config))


def database_before_migrations(state) -> None:
    """As the README deployed before migrations: schema.sql of that time (0001 is its text) executed."""
    wrangler("d1", "execute", "DB", "--local", "--persist-to", str(state), "--file", str(MIGRATIONS[0]))


def photo(cdn: str, stock: str, n: int) -> str:
    return f"{cdn}/photos/{stock}/{n}.png"


def vehicles_of_the_older_version(cdn: str) -> list[dict]:
    """Vehicles with hand-picked ids: waiting, partly uploaded, one photo failed for good, one photo
    claimed by a run still alive, and an inactive one."""

    def vehicle(vehicle_id, stock, images, status="active", featured=0):
        # A vendor URL is its own source; an uploaded id came from the photo at its position.
        sources = [e if e.startswith("http") else photo(cdn, stock, n) for n, e in enumerate(images, 1)]
        return {
            "id": vehicle_id,
            "vehicle_key": f"stock:{stock}",
            "stock_number": stock,
            "year": 2019,
            "make": "Volkswagen",
            "model": f"Golf {vehicle_id}",
            "price": 14995.0,
            "mileage": 41200,
            "featured": featured,
            "status": status,
            "images": json.dumps(images),
            "source_images": json.dumps(sources),
            "content_hash": f"hash-{vehicle_id}",
            "first_seen_at": "2026-10-01T09:00:00Z",
            "updated_at": "2026-11-02T09:00:00Z",
        }

    return [
        vehicle(7, "L10001", [photo(cdn, "L10001", n) for n in (1, 2, 3)], featured=1),
        vehicle(8, "L10002", [LEGACY_ID, photo(cdn, "L10002", 2), photo(cdn, "L10002", 3)]),
        vehicle(9, "L10003", [photo(cdn, "L10003", 1), photo(cdn, "L10003", 9)]),  # 9.png: a vendor 404
        vehicle(12, "L10004", [photo(cdn, "L10004", 1), photo(cdn, "L10004", 2)]),
        vehicle(15, "L10005", [photo(cdn, "L10005", 1)], status="inactive"),
    ]


def image_rows_of_the_older_version(cdn: str) -> list[dict]:
    now_ms = int(time.time() * 1000)

    def row(url, vehicle_id, **fields):
        return {
            "source_url": url,
            "image_id": image_id_for(url),
            "vehicle_id": vehicle_id,
            "state": "pending",
            "attempts": 0,
            "last_error": None,
            "permanent": 0,
            "claimed_by": None,
            "claim_expires_at": None,
            "uploaded_at": None,
            "updated_at": "2026-11-02T09:00:00Z",
            **fields,
        }

    return [
        row(
            photo(cdn, "L10002", 1),
            8,
            image_id=LEGACY_ID,
            state="uploaded",
            attempts=1,
            uploaded_at="2026-11-02T09:00:05Z",
        ),
        row(
            photo(cdn, "L10003", 9),
            9,
            state="failed",
            attempts=4,
            permanent=1,
            last_error="vendor answered 404 Not Found",
        ),
        row(photo(cdn, "L10004", 1), 12, claimed_by="run-still-alive", claim_expires_at=now_ms + 600_000),
        row(photo(cdn, "L10004", 2), 12, claimed_by="run-that-crashed", claim_expires_at=now_ms - 60_000),
    ]


def insert(con: sqlite3.Connection, table: str, rows: list[dict]) -> None:
    for row in rows:
        con.execute(
            f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values())
        )


def write_older_data(database: Database, cdn: str) -> None:
    con = database.connect()
    with con:
        insert(con, "vehicles", vehicles_of_the_older_version(cdn))
        insert(con, "images", image_rows_of_the_older_version(cdn))
        insert(
            con,
            "runs",
            [
                {
                    "kind": "scrape",
                    "trigger": "cron",
                    "started_at": "2026-11-02T09:00:00Z",
                    "finished_at": "2026-11-02T09:00:01Z",
                    "summary": json.dumps({"found": 5}),
                }
            ],
        )
        insert(con, "api_budget", [{"window_start": 1_700_000_000 - 1_700_000_000 % 60, "used": 12}])
    con.close()


def table(database: Database, name: str, order: str) -> list[dict]:
    return database.rows(f"SELECT * FROM {name} ORDER BY {order}")


def everything(database: Database) -> dict:
    return {
        "vehicles": table(database, "vehicles", "id"),
        "images": table(database, "images", "source_url"),
        "runs": table(database, "runs", "id"),
        "api_budget": table(database, "api_budget", "window_start"),
    }


def assert_migrated_keeping(database: Database, before: dict) -> None:
    applied = [r["name"] for r in database.rows("SELECT name FROM d1_migrations ORDER BY id")]
    assert applied == [m.name for m in MIGRATIONS]
    con = database.connect()
    upgraded = schema_objects(con)
    con.close()
    assert upgraded == schema_objects(schema_sql_database()), "the upgraded schema is not schema.sql's"
    after = everything(database)
    for name, rows in before.items():  # a migration may add columns, never change or drop a value
        assert [{k: row[k] for k in old} for old, row in zip(rows, after[name], strict=False)] == rows, name
        assert len(after[name]) == len(rows), name


def test_a_database_made_before_migrations_takes_them_all_and_keeps_every_row(tmp_path):
    state = tmp_path / "state"
    database_before_migrations(state)
    database = Database(state)
    assert database.rows("SELECT name FROM sqlite_master WHERE name = 'd1_migrations'") == []
    write_older_data(database, "http://127.0.0.1:9/cdn")
    before = everything(database)
    project_setup.apply_migrations(state)
    assert_migrated_keeping(database, before)
    project_setup.apply_migrations(state)  # and again: nothing more to apply, nothing changes
    assert_migrated_keeping(database, before)


def test_a_database_at_the_first_migration_is_upgraded_then_read_and_processed_by_the_workers(tmp_path):
    state = tmp_path / "state"
    database_at_first_migration(state, tmp_path)
    database = Database(state)
    assert [r["name"] for r in database.rows("SELECT name FROM d1_migrations")] == [MIGRATIONS[0].name]
    stack = Stack(state_dir=state, quiet=True, port_offset=2000, queue_mode=False)
    cdn = f"http://127.0.0.1:{stack.ports['cdn']}"
    write_older_data(database, cdn)
    before = everything(database)
    with stack:  # its start applies the migrations after 0001
        stack.standins.site.set_knobs({"vehicle_count": 5, "photos_per_vehicle": PHOTOS_PER_VEHICLE})
        assert stack.standins.site.cdn_url == cdn
        assert_migrated_keeping(database, before)
        api = Api(stack.secrets["ADMIN_TOKEN"])
        assert api.call("GET", stack.processor_url + "/", token=None)[1]["bindings"]["IMAGE_JOBS"] is False
        workers_read_the_older_data(stack, api, cdn)
        workers_process_the_older_data(stack, api, database, before, cdn)


def workers_read_the_older_data(stack, api, cdn: str) -> None:
    stats = api.call("GET", stack.processor_url + "/api/image-status", token=None)[1]["stats"]
    assert (
        stats["totalVehicles"],
        stats["needingProcessing"],
        stats["partiallyProcessed"],
        stats["fullyProcessed"],
        stats["inactiveVehicles"],
    ) == (4, 3, 1, 0, 1)
    assert stats["images"] == {
        "total": 10,
        "uploaded": 1,
        "pending": 8,
        "failedPermanently": 1,
        "inProgress": 1,
    }
    assert stats["lastScrape"]["trigger"] == "cron" and stats["lastScrape"]["found"] == 5
    status, listed = api.call("GET", stack.scraper_url + "/api/vehicle-images?status=all", token=None)
    assert status == 200 and sorted(v["id"] for v in listed["vehicles"]) == [7, 8, 9, 12, 15]
    golf8 = next(v for v in listed["vehicles"] if v["id"] == 8)
    assert golf8["images"][0] == {
        "entry": LEGACY_ID,
        "uploaded": True,
        "url": f"{stack.images_url}/local-hash/{LEGACY_ID}/public",
    }
    failures = api.call("GET", stack.processor_url + "/api/failures")[1]["failures"]
    assert [(f["source_url"], f["last_error"], f["permanent"]) for f in failures] == [
        (photo(cdn, "L10003", 9), "vendor answered 404 Not Found", True)
    ]


def workers_process_the_older_data(stack, api, database: Database, before: dict, cdn: str) -> None:
    answer = process(stack, api, {"batchSize": 10})
    assert answer["imagesUploaded"] == 7, answer  # 3 + 2 + 1 + 1 (the crashed run's expired claim)
    assert images_stats(stack, api)["uploads_received"] == 7
    kept_as_urls = {photo(cdn, "L10003", 9), photo(cdn, "L10004", 1), photo(cdn, "L10005", 1)}
    after = {v["id"]: v for v in table(database, "vehicles", "id")}
    for old in before["vehicles"]:
        new = after[old["id"]]
        assert {k: new[k] for k in old if k not in ("images", "updated_at")} == {
            k: v for k, v in old.items() if k not in ("images", "updated_at")
        }
        for entry, was, source in zip(
            json.loads(new["images"]),
            json.loads(old["images"]),
            json.loads(old["source_images"]),
            strict=False,
        ):
            if not was.startswith("http"):
                assert entry == was  # an upload never made again
            elif source in kept_as_urls:
                assert entry == source  # failed for good, claimed, or inactive
            else:
                assert entry == image_id_for(source)  # uploaded under its deterministic id
        assert len(json.loads(new["images"])) == len(json.loads(old["images"]))
    stats = api.call("GET", stack.processor_url + "/api/image-status", token=None)[1]["stats"]
    assert (stats["fullyProcessed"], stats["partiallyProcessed"], stats["needingProcessing"]) == (2, 2, 0)
    assert stats["images"] == {
        "total": 10,
        "uploaded": 8,
        "pending": 1,
        "failedPermanently": 1,
        "inProgress": 1,
    }
