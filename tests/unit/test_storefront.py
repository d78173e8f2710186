"""The read API under CPython on SQLite: its query checks, its keyset pages against plain Python
sorting and filtering, the inventory version the triggers keep, and the version-keyed cache."""

import asyncio
import json
import random

import pytest

from inventory import db
from inventory.api.checks import ApiError
from inventory.api.routing import Call
from inventory.storefront import freshness
from inventory.storefront.query import parse_query
from inventory.storefront.routes import list_vehicles, one_vehicle
from tests.sqlite_d1 import SqliteD1

MAKES = ("Toyota", "Honda", "Ford", "Subaru", "Mazda")
NOW = "2026-12-01T00:00:00Z"


def run(coroutine):
    return asyncio.run(coroutine)


def seed(d1: SqliteD1, count: int = 150, seed_value: int = 7) -> None:
    rng = random.Random(seed_value)
    for n in range(1, count + 1):
        price = None if n % 17 == 0 else rng.choice(range(9000, 60000, 500))
        mileage = None if n % 13 == 0 else rng.randrange(0, 150000)
        status = "inactive" if n % 10 == 0 else "active"
        d1.con.execute(
            "INSERT INTO vehicles (vehicle_key, vin, stock_number, year, make, model, trim, price, mileage, "
            "images, source_images, status, first_seen_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?, ?, ?)",
            (
                f"stock:S{n:04d}",
                f"1FAKEVIN{n:09d}",
                f"S{n:04d}",
                rng.randrange(2012, 2027),
                rng.choice(MAKES),
                rng.choice(("Alpha", "Beta", "Gamma")),
                rng.choice(("LX", "Sport", None)),
                price,
                mileage,
                json.dumps(["lambert-abc", "https://cdn.example/p.jpg"]),
                status,
                NOW,
                f"2026-11-{rng.randrange(1, 29):02d}T{rng.randrange(0, 24):02d}:00:00Z",
            ),
        )


class FakeCache:
    def __init__(self):
        self.entries: dict[str, str] = {}

    async def get(self, key):
        return self.entries.get(key)

    async def put(self, key, text, max_age_s):
        self.entries[key] = text

    async def delete(self, key):
        self.entries.pop(key, None)


class FakeWorker:
    """Just what the storefront asks of a Worker: a D1 (a fresh counter per call), settings, a cache."""

    def __init__(self, d1: SqliteD1):
        self.database, self.cache, self.last_d1 = d1, FakeCache(), None

    def d1(self):
        self.database.round_trips = 0
        return self.database

    def edge_cache(self):
        return self.cache

    def setting(self, name):
        return {"CLOUDFLARE_IMAGES_ACCOUNT_HASH": "hash", "IMAGE_DELIVERY_BASE": "https://img.test"}[name]


@pytest.fixture
def worker():
    d1 = SqliteD1()
    seed(d1)
    return FakeWorker(d1)


def read_all(worker, **params) -> list[dict]:
    vehicles, cursor = [], None
    for _ in range(200):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        answer = run(list_vehicles(Call(worker, {k: str(v) for k, v in query.items()})))
        page = json.loads(answer.body)
        vehicles += page["vehicles"]
        cursor = page["nextCursor"]
        if cursor is None:
            assert page["total"] == len(vehicles)
            return vehicles
    raise AssertionError("the cursor never ended")


def expected(worker, sort: str, descending: bool, keep=lambda row: True, status="active") -> list[int]:
    rows = [r for r in worker.database.rows("SELECT * FROM vehicles") if r["status"] == status and keep(r)]
    column = {"updated": "updated_at"}.get(sort, sort)
    known = [r for r in rows if r[column] is not None]
    unknown = [r for r in rows if r[column] is None]
    known.sort(key=lambda r: (r[column], r["id"]), reverse=descending)
    unknown.sort(key=lambda r: r["id"], reverse=descending)
    return [r["id"] for r in known + unknown]


@pytest.mark.parametrize("sort", ["price", "year", "mileage", "updated"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_pages_hold_every_vehicle_once_in_the_asked_order(worker, sort, order):
    got = read_all(worker, sort=sort, order=order, limit=7)
    assert [v["id"] for v in got] == expected(worker, sort, order == "desc")


FILTERS = [
    ({"make": "toyota"}, lambda r: r["make"] == "Toyota"),
    ({"model": "BETA"}, lambda r: r["model"] == "Beta"),
    ({"yearMin": 2018, "yearMax": 2021}, lambda r: 2018 <= r["year"] <= 2021),
    (
        {"priceMin": 20000, "priceMax": 40000},
        lambda r: r["price"] is not None and 20000 <= r["price"] <= 40000,
    ),
    ({"mileageMax": 50000}, lambda r: r["mileage"] is not None and r["mileage"] <= 50000),
    ({"q": "honda sport"}, lambda r: r["make"] == "Honda" and r["trim"] == "Sport"),
    ({"q": "S0042"}, lambda r: r["stock_number"] == "S0042"),
]


@pytest.mark.parametrize(("params", "keep"), FILTERS, ids=[json.dumps(f[0]) for f in FILTERS])
def test_each_filter_keeps_exactly_the_vehicles_it_names(worker, params, keep):
    got = read_all(worker, **params, sort="price", order="asc", limit=10)
    assert got, "the seed should hold matching vehicles"
    assert [v["id"] for v in got] == expected(worker, "price", False, keep)


def test_sold_vehicles_are_listed_apart_and_photos_follow_the_seed_rule(worker):
    sold = read_all(worker, status="sold", sort="year", variant="thumb")
    assert {v["status"] for v in sold} == {"sold"}
    assert [v["id"] for v in sold] == expected(worker, "year", True, status="inactive")
    assert sold[0]["photos"] == [
        {"url": "https://img.test/hash/lambert-abc/thumb", "onCloudflare": True},
        {"url": "https://cdn.example/p.jpg", "onCloudflare": False},
    ]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"colour": "red"}, "colour"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"priceMin": "cheap"}, "priceMin"),
        ({"yearMin": "2020", "yearMax": "2019"}, "yearMin"),
        ({"sort": "colour"}, "sort"),
        ({"order": "up"}, "order"),
        ({"status": "inactive"}, "status"),
        ({"q": ""}, "q"),
        ({"cursor": "bm90IGEgY3Vyc29y"}, "cursor"),
        ({"cursor": "%%%"}, "cursor"),
        ({"variant": "a/b"}, "variant"),
    ],
)
def test_a_bad_query_is_a_400_naming_the_parameter(params, named):
    with pytest.raises(ApiError) as refused:
        parse_query(params)
    assert refused.value.status == 400 and named in refused.value.message


def test_a_cursor_only_continues_the_listing_it_came_from(worker):
    page = json.loads(run(list_vehicles(Call(worker, {"sort": "price", "limit": "5"}))).body)
    cursor = page["nextCursor"]
    assert parse_query({"sort": "price", "limit": "50", "cursor": cursor}).after is not None
    for other in ({"sort": "year"}, {"sort": "price", "make": "Ford"}, {"sort": "price", "order": "asc"}):
        with pytest.raises(ApiError, match="cursor"):
            parse_query({**other, "cursor": cursor})
    forged = cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")
    with pytest.raises(ApiError, match="cursor"):
        parse_query({"sort": "price", "cursor": forged})


def test_only_changes_a_reader_could_see_move_the_inventory_version():
    d1 = SqliteD1()
    seed(d1, 3)

    def number() -> int:
        return int(run(db.inventory_version(d1)).split("-")[0])

    version = number()
    d1.con.execute("UPDATE vehicles SET gallery_attempts = gallery_attempts + 1, gallery_error = 'x'")
    assert number() == version
    d1.con.execute("UPDATE vehicles SET price = price + 1 WHERE id = 1")
    assert number() == version + 1
    d1.con.execute("UPDATE vehicles SET images = '[]' WHERE id = 2")
    d1.con.execute("DELETE FROM vehicles WHERE id = 3")
    assert number() == version + 3
    stamp = run(db.inventory_version(d1))
    d1.con.execute("DELETE FROM inventory_version")  # a lost row comes back with a stamp of its own
    d1.con.execute("UPDATE vehicles SET price = 5")
    assert run(db.inventory_version(d1)) not in (stamp, "0")


def test_a_repeated_read_reaches_no_d1_and_a_change_is_seen_at_once(worker):
    query = {"sort": "price", "order": "asc", "limit": "100"}
    first = run(list_vehicles(Call(worker, query)))
    assert first.headers["x-cache"] == "MISS" and first.headers["x-d1-round-trips"] == "2"
    again = run(list_vehicles(Call(worker, query)))
    assert again.headers["x-cache"] == "HIT" and again.headers["x-d1-round-trips"] == "0"
    assert again.body == first.body and again.headers["etag"] == first.headers["etag"]
    conditional = Call(worker, query, headers={"if-none-match": first.headers["etag"]})
    assert run(list_vehicles(conditional)).status == 304

    worker.database.con.execute("UPDATE vehicles SET price = 1 WHERE id = 1")
    run(worker.cache.delete(freshness.VERSION_KEY))  # what runtime.D1 does after a write to vehicles
    fresh = run(list_vehicles(Call(worker, query)))
    assert fresh.headers["x-cache"] == "MISS" and fresh.headers["etag"] != first.headers["etag"]
    cheapest = json.loads(fresh.body)["vehicles"][0]
    assert (cheapest["id"], cheapest["price"]) == (1, 1)
    assert (
        run(list_vehicles(Call(worker, query, headers={"if-none-match": first.headers["etag"]}))).status
        == 200
    )


def test_one_vehicle_by_vin_or_id_and_a_404_when_absent(worker):
    by_id = json.loads(run(one_vehicle(Call(worker, {}, path={"vehicle": "42"}))).body)["vehicle"]
    by_vin = json.loads(run(one_vehicle(Call(worker, {}, path={"vehicle": "1fakevin000000042"}))).body)
    assert by_id["stockNumber"] == "S0042" and by_vin["vehicle"] == by_id
    for wanted, status in (("999999", 404), ("1FAKEVIN999999999", 404), ("no-such", 400), ("0", 400)):
        with pytest.raises(ApiError) as refused:
            run(one_vehicle(Call(worker, {}, path={"vehicle": wanted})))
        assert refused.value.status == status
    with pytest.raises(ApiError, match="unknown parameter"):
        run(one_vehicle(Call(worker, {"limit": "3"}, path={"vehicle": "42"})))
