-- The current D1 (SQLite) schema in one file: what migrations/ add up to, for reading and for the
-- unit tests' SQLite (tests/sqlite_d1.py). tests/unit/test_migrations.py proves it equals the
-- migrations applied to an empty database. Every D1 database, local or deployed, is built by
-- `wrangler d1 migrations apply` (scripts/setup.py, npm run deploy), never from this file.
-- A schema change is a new migration in migrations/ plus the same change here.

-- One row per vehicle the dealer has listed. `images` is the seed's format: a JSON array whose
-- entries are Cloudflare image ids or vendor URLs (all ids, all URLs, or mixed). `source_images`
-- holds the vendor URL of each position, in the same order, so a re-scrape can tell which
-- uploaded id belongs to which source photo.
CREATE TABLE IF NOT EXISTS vehicles (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  vehicle_key TEXT NOT NULL UNIQUE,          -- 'vin:<VIN>' or 'stock:<stock number>'
  vin TEXT,
  vin_valid INTEGER NOT NULL DEFAULT 0,
  stock_number TEXT,
  year INTEGER,
  make TEXT,
  model TEXT,
  trim TEXT,
  price REAL,
  mileage INTEGER,
  exterior_color TEXT,
  detail_url TEXT,
  featured INTEGER NOT NULL DEFAULT 0,
  images TEXT NOT NULL DEFAULT '[]',
  source_images TEXT NOT NULL DEFAULT '[]',
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
  content_hash TEXT,
  first_seen_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  -- Where the photo list comes from (dealer_site/galleries.py): 'listing' (the listing's photos),
  -- 'pending' (the detail page's gallery is to be read; the list holds the listing's stand-ins, which
  -- the processor does not upload unless the gallery stays unread for GALLERY_FALLBACK_HOURS), 'read'
  -- (the list is the gallery), 'stale' (the listing changed: to be read again; the list holds the last
  -- gallery), 'gone' (the detail page answered 404 or 410: listed but gone; the list is kept).
  gallery TEXT NOT NULL DEFAULT 'listing'
    CHECK (gallery IN ('listing', 'pending', 'read', 'stale', 'gone')),
  gallery_signature TEXT,                    -- the listing's price and photos when marked
  gallery_since TEXT,                        -- when it became pending
  gallery_read_at TEXT,
  gallery_attempts INTEGER NOT NULL DEFAULT 0,
  gallery_error TEXT,
  inactive_since TEXT,                       -- when it left the listing (NULL: active)
  images_released_at TEXT                    -- its images deleted, its list back to vendor URLs (retention)
);
CREATE INDEX IF NOT EXISTS vehicles_work_order ON vehicles (status, featured DESC, first_seen_at DESC);
CREATE INDEX IF NOT EXISTS vehicles_gallery_work ON vehicles (gallery, gallery_read_at);

-- One row per source photo the processor has claimed or tried: the upload state machine.
CREATE TABLE IF NOT EXISTS images (
  source_url TEXT PRIMARY KEY,
  image_id TEXT NOT NULL,                    -- deterministic custom id derived from source_url
  vehicle_id INTEGER,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'uploaded', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  permanent INTEGER NOT NULL DEFAULT 0,      -- 1: not retried until requeued
  claimed_by TEXT,
  claim_expires_at INTEGER,                  -- epoch milliseconds; an expired claim is free
  uploaded_at TEXT,
  updated_at TEXT NOT NULL,
  -- What the vendor's host said of the photo (photos/replacements.py): validators (with the bytes'
  -- SHA-256 where the processor downloads them), when last asked, whether it gives none (then it is
  -- never asked again), and the upload's version (ID-vN).
  etag TEXT,
  last_modified TEXT,
  content_length INTEGER,
  content_sha256 TEXT,
  checked_at TEXT,
  no_validators INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS images_by_vehicle ON images (vehicle_id);
CREATE INDEX IF NOT EXISTS images_by_claim ON images (claimed_by);
CREATE INDEX IF NOT EXISTS images_by_image_id ON images (image_id);  -- the lifecycle looks ids up

-- Images API requests spent per minute, shared by every invocation of the processor, so the
-- account's rate limit (1,200 requests per 5 minutes) is never crossed.
CREATE TABLE IF NOT EXISTS api_budget (
  window_start INTEGER PRIMARY KEY,          -- epoch seconds, a multiple of 60
  used INTEGER NOT NULL DEFAULT 0
);

-- One row per scrape or processing run, for the status endpoint and the admin panel.
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,                        -- 'scrape' | 'process'
  trigger TEXT NOT NULL,                     -- 'http' | 'cron' | 'handoff' | 'rpc'
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  summary TEXT NOT NULL                      -- JSON
);

-- What each listing page gave, so an unchanged page is not read again (dealer_site/page_memo.py).
-- A row is keyed by a digest of everything the extraction depends on; rows of pages a scrape no
-- longer sees are deleted in the batch that saves the scrape.
CREATE TABLE IF NOT EXISTS listing_page_memo (
  digest TEXT PRIMARY KEY,
  page_url TEXT NOT NULL,
  extract TEXT NOT NULL,                     -- JSON: vehicles, skipped, warnings, next_url
  saved_at TEXT NOT NULL
);

-- The images to delete (photos/lifecycle.py): photos a re-scrape or gallery read no longer lists (the
-- dealer removed them: 'removed', deleted after REMOVED_PHOTO_GRACE_DAYS), a sold vehicle's photos
-- ('retention', at once) and the first upload of a replaced photo ('replaced', once the list shows the
-- new one); never one that a vehicle's list holds.
CREATE TABLE IF NOT EXISTS photo_removals (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  vehicle_id INTEGER NOT NULL,
  source_url TEXT NOT NULL,
  image_id TEXT,                             -- the uploaded image's id, or NULL if never uploaded
  removed_at TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT 'removed' CHECK (reason IN ('removed', 'retention', 'replaced')),
  attempts INTEGER NOT NULL DEFAULT 0,       -- deletion tries
  last_error TEXT,
  last_attempt_at TEXT                       -- stuck after MAX_DELETION_ATTEMPTS: tried again a day later
);
CREATE INDEX IF NOT EXISTS photo_removals_by_source ON photo_removals (source_url);

-- The photo lifecycle (photos/lifecycle.py): every image it deleted (a 404 counts: gone either way),
-- deletions per UTC day (at most MAX_DELETIONS_PER_DAY, whatever the cause), and the last scrape that
-- failed (retention waits for a good scrape).
CREATE TABLE IF NOT EXISTS image_deletions (
  image_id TEXT PRIMARY KEY,
  reason TEXT NOT NULL CHECK (reason IN ('removed', 'retention', 'orphan', 'replaced')),
  vehicle_id INTEGER,
  deleted_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deletion_budget (
  day TEXT PRIMARY KEY,                      -- YYYY-MM-DD
  used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS scrape_failures (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  failed_at TEXT NOT NULL,
  error TEXT NOT NULL
);

-- The mapping discovery found for a site no built-in profile reads (dealer_site/discovery/): the
-- next scrapes read with it, and discover again when it reads far fewer vehicles than last time.
CREATE TABLE IF NOT EXISTS discovered_profiles (
  site_url TEXT PRIMARY KEY,                 -- SCRAPE_URL
  profile TEXT NOT NULL,                     -- JSON: the profile, as load_profile reads it
  vehicles INTEGER NOT NULL,                 -- vehicles the last good scrape with it found
  discovered_at TEXT NOT NULL,               -- when this mapping was first found
  used_at TEXT NOT NULL                      -- the last scrape that used it
);

-- The stamp the read API and the feeds cache by (storefront/): moved on by these triggers on every
-- change a reader could see, in the same statement as the change.
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
