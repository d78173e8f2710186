"""A D1 stand-in for unit tests under CPython: the same interface as inventory.runtime.D1, on sqlite3
with the project's schema.sql. The integration tests use the real local D1 under workerd."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from inventory.subrequests import Subrequests

SCHEMA = (Path(__file__).resolve().parent.parent / "schema.sql").read_text()


class SqliteD1:
    def __init__(self, path: str = ":memory:", subrequests: Subrequests | None = None):
        self.con = sqlite3.connect(path, isolation_level=None)
        self.con.row_factory = sqlite3.Row
        self.con.executescript(SCHEMA)
        self.round_trips = 0
        self.subrequests = subrequests or Subrequests()  # each call is one, as under workerd

    async def all(self, sql: str, params: list) -> list[dict]:
        self.round_trips += 1
        self.subrequests.spend()
        return [dict(r) for r in self.con.execute(sql, params).fetchall()]

    async def batch(self, statements) -> list[list[dict]]:
        self.round_trips += 1
        self.subrequests.spend()
        results = []
        self.con.execute("BEGIN")
        try:
            for sql, params in statements:
                results.append([dict(r) for r in self.con.execute(sql, params).fetchall()])
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")
        return results

    def rows(self, sql: str, params=()) -> list[dict]:
        return [dict(r) for r in self.con.execute(sql, params).fetchall()]
