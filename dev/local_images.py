"""The images wrangler dev's local Images binding (`env.IMAGES.hosted`) holds, read straight from its
store on disk, as tests/ read the local D1 database (dev/client.py: Database).

Miniflare keeps them in a KV namespace under `--persist-to`: one SQLite row per image in
v3/images/miniflare-images-KVNamespaceObject/*.sqlite (`_mf_entries`: key = the image id, metadata =
the image's details as `hosted.image(id).details()` gives them) and its bytes in
v3/images/images-data/blobs/<blob id>. Every Worker of a stack persisting there shares it.
"""

from __future__ import annotations

import glob
import json
import secrets
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dev.pngs import make_png

PLANTED_PNG = make_png(8, 8, (128, 128, 128), 1)


def iso_ms(moment: datetime) -> str:
    """The binding's own time format (JavaScript's toISOString)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class LocalImagesStore:
    def __init__(self, state_dir: Path):
        self.root = state_dir / "v3" / "images"

    def _connect(self) -> sqlite3.Connection | None:
        pattern = str(self.root / "miniflare-images-KVNamespaceObject" / "*.sqlite")
        files = [f for f in glob.glob(pattern) if "metadata" not in f]
        return sqlite3.connect(files[0], timeout=30) if files else None  # none before the first upload

    def details(self) -> dict[str, dict]:
        """Every stored image's details by id (a direct upload's expiry key has none)."""
        con = self._connect()
        if con is None:
            return {}
        with con:
            rows = con.execute("SELECT key, metadata FROM _mf_entries WHERE metadata IS NOT NULL").fetchall()
        con.close()
        return {key: json.loads(metadata) for key, metadata in rows}

    def stored_ids(self) -> set[str]:
        return set(self.details())

    def clear(self) -> None:
        """Forget every image (their blobs stay on disk, unreachable, as miniflare's own deletes do
        until it collects them)."""
        con = self._connect()
        if con is None:
            return
        with con:
            con.execute("DELETE FROM _mf_entries")
        con.close()

    def forget(self, image_id: str) -> None:
        """Drop one image (as a deletion outside the processor would)."""
        con = self._connect()
        assert con is not None, "the local Images binding has stored nothing yet"
        with con:
            con.execute("DELETE FROM _mf_entries WHERE key = ?", (image_id,))
        con.close()

    def plant(self, image_id: str, uploaded: str | None = None) -> None:
        """Store an image no upload made (an orphan for the sweep), uploaded at that ISO time
        (default: a year ago), as the binding's upload() would have stored it."""
        self.plant_many([image_id], uploaded)

    def plant_many(self, image_ids: list[str], uploaded: str | None = None) -> None:
        con = self._connect()
        assert con is not None, "the local Images binding has stored nothing yet: no store to plant in"
        when = uploaded or iso_ms(datetime.now(UTC) - timedelta(days=365))
        with con:
            con.executemany(
                "INSERT OR REPLACE INTO _mf_entries (key, blob_id, expiration, metadata) "
                "VALUES (?, ?, NULL, ?)",
                [(image_id, self._new_blob(), json.dumps(planted(image_id, when))) for image_id in image_ids],
            )
        con.close()

    def _new_blob(self) -> str:
        """A blob of a small PNG, under an id like miniflare's (32 random bytes, then the time)."""
        blob_id = secrets.token_hex(32) + f"{int(datetime.now(UTC).timestamp() * 1000):016x}"
        blobs = self.root / "images-data" / "blobs"
        blobs.mkdir(parents=True, exist_ok=True)
        (blobs / blob_id).write_bytes(PLANTED_PNG)
        return blob_id


def planted(image_id: str, uploaded: str) -> dict:
    """A planted image's details, shaped as the binding's upload() stores them."""
    return {
        "id": image_id,
        "filename": "planted.png",
        "uploaded": uploaded,
        "requireSignedURLs": False,
        "meta": {},
        "variants": ["public"],
        "draft": False,
    }
