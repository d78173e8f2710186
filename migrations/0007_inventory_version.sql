-- Migration 0007: the stamp the read API and the feeds cache by (storefront/). Every change a
-- reader could see (a vehicle added or deleted, or one of the columns the storefront shows changed)
-- moves `version` on, in the same statement as the change, so no writer can forget it. A write
-- that changes nothing visible (a gallery retry count, a claim) leaves it alone. A lost row comes
-- back at a random version, and readers key by version and changed_at together, so a restored or
-- rebuilt database can never meet an answer cached for another inventory at the same number.
CREATE TABLE IF NOT EXISTS inventory_version (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL,
  changed_at TEXT NOT NULL
);
INSERT OR IGNORE INTO inventory_version (id, version, changed_at)
  VALUES (1, abs(random() % 1000000000), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
CREATE TRIGGER IF NOT EXISTS inventory_version_on_insert AFTER INSERT ON vehicles
BEGIN
  INSERT INTO inventory_version (id, version, changed_at)
    VALUES (1, abs(random() % 1000000000), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    ON CONFLICT (id) DO UPDATE SET version = version + 1, changed_at = excluded.changed_at;
END;
CREATE TRIGGER IF NOT EXISTS inventory_version_on_delete AFTER DELETE ON vehicles
BEGIN
  INSERT INTO inventory_version (id, version, changed_at)
    VALUES (1, abs(random() % 1000000000), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    ON CONFLICT (id) DO UPDATE SET version = version + 1, changed_at = excluded.changed_at;
END;
CREATE TRIGGER IF NOT EXISTS inventory_version_on_update AFTER UPDATE ON vehicles
WHEN OLD.vin IS NOT NEW.vin OR OLD.stock_number IS NOT NEW.stock_number OR OLD.year IS NOT NEW.year
  OR OLD.make IS NOT NEW.make OR OLD.model IS NOT NEW.model OR OLD.trim IS NOT NEW.trim
  OR OLD.price IS NOT NEW.price OR OLD.mileage IS NOT NEW.mileage
  OR OLD.exterior_color IS NOT NEW.exterior_color OR OLD.detail_url IS NOT NEW.detail_url
  OR OLD.featured IS NOT NEW.featured OR OLD.images IS NOT NEW.images OR OLD.status IS NOT NEW.status
  OR OLD.updated_at IS NOT NEW.updated_at
BEGIN
  INSERT INTO inventory_version (id, version, changed_at)
    VALUES (1, abs(random() % 1000000000), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    ON CONFLICT (id) DO UPDATE SET version = version + 1, changed_at = excluded.changed_at;
END;
