"""D1 migrations: wrangler's layout, never edited once committed, and schema.sql what they add up to."""

import hashlib
import re
import sqlite3
import tomllib
from pathlib import Path

from tests.settings import ROOT

MIGRATIONS = ROOT / "migrations"
CHECKSUMS = MIGRATIONS / "SHA256SUMS"
NAME = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")
# Tables SQLite, wrangler (its record of applied migrations) and D1 keep for themselves.
INTERNAL_PREFIXES = ("sqlite_", "d1_migrations", "_cf_")


def migration_files() -> list[Path]:
    return sorted(MIGRATIONS.glob("*.sql"))


def recorded_checksums() -> dict[str, str]:
    """file name -> SHA-256, from SHA256SUMS (the `sha256sum` format, so `sha256sum -c` reads it too)."""
    pairs = (line.split(maxsplit=1) for line in CHECKSUMS.read_text().splitlines() if line.strip())
    return {name.strip().lstrip("*"): digest for digest, name in pairs}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def next_migration_name() -> str:
    return f"{len(migration_files()) + 1:04d}_<what it changes>.sql"


def _normalized(sql: str) -> str:
    """A statement without comments, and with one way of spacing."""
    sql = re.sub(r"--[^\n]*", "", sql)
    sql = re.sub(r"\s+", " ", sql)
    return re.sub(r"\s*([(),])\s*", r"\1", sql).strip()


def schema_objects(con: sqlite3.Connection) -> dict[str, str]:
    """'type name' -> its normalized CREATE statement, for every table, index, view and trigger of ours."""
    rows = con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL").fetchall()
    return {
        f"{kind} {name}": _normalized(sql)
        for kind, name, table, sql in rows
        if not any(n.startswith(INTERNAL_PREFIXES) for n in (name, table))
    }


def migrated_database(files: list[Path]) -> sqlite3.Connection:
    con = sqlite3.connect(":memory:")
    for path in files:
        con.executescript(path.read_text())
    return con


def schema_sql_database() -> sqlite3.Connection:
    con = sqlite3.connect(":memory:")
    con.executescript((ROOT / "schema.sql").read_text())
    return con


def test_migrations_are_named_as_wrangler_applies_them_numbered_from_0001_without_gaps():
    names = [path.name for path in migration_files()]
    assert names, "no migrations in migrations/"
    for name in names:
        assert NAME.fullmatch(name), f"{name}: name migrations NNNN_lowercase_words.sql"
    assert [int(NAME.fullmatch(n).group(1)) for n in names] == list(range(1, len(names) + 1))


def test_no_committed_migration_has_changed():
    for name, digest in recorded_checksums().items():
        path = MIGRATIONS / name
        assert path.exists(), (
            f"migrations/{name} was removed, but deployed databases have applied it: "
            f"restore it (git checkout migrations/{name})"
        )
        assert sha256(path) == digest, (
            f"migrations/{name} changed after it was committed. A database that already applied it never "
            "runs it again, so the change would reach new databases only. Restore it (git checkout "
            f"migrations/{name}) and make the change in a new migration, migrations/{next_migration_name()}."
        )


def test_every_migration_has_its_checksum_recorded():
    unrecorded = [path.name for path in migration_files() if path.name not in recorded_checksums()]
    assert not unrecorded, (
        "record each new migration's checksum once it is final, e.g. "
        f"(cd migrations && sha256sum {unrecorded[0]} >> SHA256SUMS)"
    )


def test_schema_sql_equals_the_migrations_applied_to_an_empty_database():
    expected = schema_objects(migrated_database(migration_files()))
    assert "table vehicles" in expected and "index images_by_claim" in expected
    assert schema_objects(schema_sql_database()) == expected, (
        "schema.sql is not what migrations/ add up to: make the same change in both"
    )


def test_a_column_added_by_a_migration_but_not_to_schema_sql_is_caught(tmp_path):
    """The comparison above can fail: one more column in a migration is a difference."""
    extra = tmp_path / "0099_probe.sql"
    extra.write_text("ALTER TABLE vehicles ADD COLUMN probe_only_in_this_test TEXT NOT NULL DEFAULT '[]';\n")
    migrated = schema_objects(migrated_database([*migration_files(), extra]))
    assert migrated["table vehicles"].endswith(",probe_only_in_this_test TEXT NOT NULL DEFAULT '[]')")
    assert schema_objects(schema_sql_database()) != migrated


def test_both_workers_bind_the_same_database_and_its_migrations():
    databases = [
        tomllib.loads((ROOT / config).read_text())["d1_databases"]
        for config in ("wrangler-scraper.toml", "wrangler-image-processor.toml")
    ]
    assert databases[0] == databases[1]
    assert [(db["binding"], db["migrations_dir"]) for db in databases[0]] == [("DB", "migrations")]
