"""The pure merge of a scrape with the database, and its save in a fixed number of D1 round trips."""

import asyncio
import json

from inventory import db
from inventory.dealer_site.extract import Vehicle
from inventory.dealer_site.saving import content_hashes, merge_images, plan_save
from tests.sqlite_d1 import SqliteD1


def car(stock, photos, **fields):
    return Vehicle(stock_number=stock, make="Ford", model="Focus", year=2018, photos=photos, **fields)


def test_uploaded_photos_keep_their_ids_and_new_ones_enter_as_urls_in_place():
    old_sources = ["http://v/1", "http://v/2", "http://v/3"]
    old_images = ["id-1", "http://v/2", "id-3"]
    assert merge_images(
        ["http://v/1", "http://v/new", "http://v/2", "http://v/3"], old_images, old_sources
    ) == ["id-1", "http://v/new", "http://v/2", "id-3"]
    assert merge_images(["http://v/3"], old_images, old_sources) == ["id-3"]


def save(d1, vehicles, guard=0.5):
    async def go():
        existing = await db.load_vehicles_for_merge(d1, content_hashes(vehicles))
        plan = plan_save(vehicles, existing, guard)
        statements = db.upsert_vehicle_statements(plan.rows, "2026-01-01T00:00:00Z")
        statements += db.deactivate_statements(plan.deactivate_ids, "2026-01-01T00:00:00Z")
        if statements:
            await d1.batch(statements)
        return plan

    return asyncio.run(go())


def test_second_identical_scrape_changes_nothing():
    d1 = SqliteD1()
    vehicles = [car(f"S{i}", [f"http://v/{i}/1"]) for i in range(5)]
    assert save(d1, vehicles).new == 5
    before = d1.rows("SELECT * FROM vehicles")
    plan = save(d1, vehicles)
    assert (plan.new, plan.updated, plan.unchanged, plan.rows) == (0, 0, 5, [])
    assert d1.rows("SELECT * FROM vehicles") == before


def test_vanished_vehicles_are_deactivated_and_come_back():
    d1 = SqliteD1()
    vehicles = [car(f"S{i}", []) for i in range(10)]
    save(d1, vehicles)
    plan = save(d1, vehicles[:8])
    assert len(plan.deactivate_ids) == 2
    assert {
        r["stock_number"] for r in d1.rows("SELECT stock_number FROM vehicles WHERE status='inactive'")
    } == {"S8", "S9"}
    plan = save(d1, vehicles)
    assert plan.reactivated == 2 and not d1.rows("SELECT 1 FROM vehicles WHERE status='inactive'")


def test_empty_or_shrunken_scrape_refuses_to_deactivate():
    d1 = SqliteD1()
    save(d1, [car(f"S{i}", []) for i in range(10)])
    plan = save(d1, [])
    assert plan.deactivation_refused and "no vehicles" in plan.deactivation_refused
    plan = save(d1, [car("S1", [])])
    assert plan.deactivation_refused and "far fewer" in plan.deactivation_refused
    assert len(d1.rows("SELECT 1 FROM vehicles WHERE status='active'")) == 10


def test_save_rewrites_photos_the_images_table_knows_as_uploaded():
    """Closes the race where the processor uploads between the scraper's read and its write."""
    d1 = SqliteD1()
    d1.con.execute(
        "INSERT INTO images (source_url, image_id, state, updated_at) VALUES "
        "('http://v/9/2', 'id-92', 'uploaded', 'now')"
    )
    save(d1, [car("S9", ["http://v/9/1", "http://v/9/2", "http://v/9/3"])])
    (row,) = d1.rows("SELECT images FROM vehicles")
    assert json.loads(row["images"]) == ["http://v/9/1", "id-92", "http://v/9/3"]


def test_the_merge_loads_photo_lists_only_for_the_rows_it_rewrites():
    d1 = SqliteD1()
    vehicles = [car(f"S{i}", [f"http://v/{i}/1", f"http://v/{i}/2"]) for i in range(4)]
    save(d1, vehicles)
    d1.con.execute("UPDATE vehicles SET status = 'inactive' WHERE stock_number = 'S3'")
    listed = content_hashes([vehicles[0], car("S1", ["http://v/1/9"]), vehicles[3]])
    rows = {r["vehicle_key"]: r for r in asyncio.run(db.load_vehicles_for_merge(d1, listed))}
    with_lists = {key for key, row in rows.items() if row["images"] is not None}
    assert with_lists == {"stock:S1", "stock:S3"}  # changed, inactive; not the same one or the unlisted
    assert {row["photo_count"] for row in rows.values()} == {2}


def test_photo_lists_the_guard_kept_are_saved_with_their_own_hash():
    d1 = SqliteD1()
    save(d1, [car(f"S{i}", [f"http://v/{i}/1"]) for i in range(4)])
    emptied = [car(f"S{i}", []) for i in range(4)]
    plan = save(d1, emptied)
    assert plan.photo_lists_kept and plan.unchanged == 4 and plan.rows == []


def test_many_vehicles_travel_in_a_few_json_statements_and_keep_their_values(monkeypatch):
    monkeypatch.setattr(db, "JSON_ROWS_CHARS", 2_000)  # a few rows a statement: several statements
    d1 = SqliteD1()
    photos = [f"https://cdn.example/p/{n}.jpg" for n in range(3)]
    vehicles = [
        car(f"S{i}", photos, price=19995.5 + i, mileage=1000 * i, trim="Sport 'SE'") for i in range(40)
    ]
    vehicles[7].price, vehicles[8].price = float("nan"), float("inf")  # JSON has neither
    plan = plan_save(vehicles, [])
    statements = db.upsert_vehicle_statements(plan.rows, "2026-01-01T00:00:00Z")
    upserts = [sql for sql, _ in statements if sql.startswith("INSERT INTO vehicles")]
    assert 5 < len(upserts) < 40  # neither one per vehicle nor one statement over the size
    asyncio.run(d1.batch(statements))
    rows = d1.rows("SELECT * FROM vehicles ORDER BY id")
    assert [r["stock_number"] for r in rows] == [f"S{i}" for i in range(40)]  # in listing order
    assert rows[3]["price"] == 19998.5 and rows[3]["mileage"] == 3000 and rows[3]["trim"] == "Sport 'SE'"
    assert (rows[7]["price"], rows[8]["price"]) == (None, None)
    assert json.loads(rows[0]["images"]) == photos and rows[0]["status"] == "active"
    assert d1.rows("SELECT typeof(year) AS t, typeof(price) AS p FROM vehicles LIMIT 1") == [
        {"t": "integer", "p": "real"}
    ]
    vehicles[3].price = 15000.0  # a second scrape updates in place, keeping the row's id
    again = plan_save(vehicles, asyncio.run(db.load_vehicles_for_merge(d1, content_hashes(vehicles))))
    asyncio.run(d1.batch(db.upsert_vehicle_statements(again.rows, "2026-01-02T00:00:00Z")))
    row = d1.rows("SELECT id, price, first_seen_at, updated_at FROM vehicles WHERE stock_number = 'S3'")[0]
    assert (row["id"], row["price"]) == (rows[3]["id"], 15000.0)
    assert (row["first_seen_at"], row["updated_at"]) == ("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z")
