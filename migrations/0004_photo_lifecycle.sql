-- Migration 0004: the photo lifecycle (photos/lifecycle.py): images of removed photos, of vehicles
-- sold past IMAGE_RETENTION_DAYS and orphans are deleted from Cloudflare Images, within a daily cap.
ALTER TABLE vehicles ADD COLUMN inactive_since TEXT;       -- when it left the listing (NULL: active)
ALTER TABLE vehicles ADD COLUMN images_released_at TEXT;   -- its images deleted, its list back to vendor URLs
UPDATE vehicles SET inactive_since = updated_at WHERE status = 'inactive';

-- photo_removals becomes the queue of images to delete: a photo that left its gallery ('removed', after
-- REMOVED_PHOTO_GRACE_DAYS), a sold vehicle's ('retention', at once) or the first upload of a photo the
-- dealer replaced at the same URL ('replaced', once the list shows the new one); attempts say how the
-- tries went.
ALTER TABLE photo_removals ADD COLUMN reason TEXT NOT NULL DEFAULT 'removed'
  CHECK (reason IN ('removed', 'retention', 'replaced'));
ALTER TABLE photo_removals ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE photo_removals ADD COLUMN last_error TEXT;

-- What the vendor's host said of each uploaded photo (photos/replacements.py): its validators, given
-- with the download in file and binding modes (with the bytes' SHA-256) or by the first check, when it
-- was last asked, and the version of the upload (a replaced photo is uploaded as ID-vN). A host that
-- gives no validators is never asked again (no_validators = 1).
ALTER TABLE images ADD COLUMN etag TEXT;
ALTER TABLE images ADD COLUMN last_modified TEXT;
ALTER TABLE images ADD COLUMN content_length INTEGER;
ALTER TABLE images ADD COLUMN content_sha256 TEXT;
ALTER TABLE images ADD COLUMN checked_at TEXT;
ALTER TABLE images ADD COLUMN no_validators INTEGER NOT NULL DEFAULT 0;
ALTER TABLE images ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS images_by_image_id ON images (image_id);  -- the lifecycle looks ids up

-- Every image the lifecycle deleted (a 404 counts: it is gone either way).
CREATE TABLE IF NOT EXISTS image_deletions (
  image_id TEXT PRIMARY KEY,
  reason TEXT NOT NULL CHECK (reason IN ('removed', 'retention', 'orphan', 'replaced')),
  vehicle_id INTEGER,
  deleted_at TEXT NOT NULL
);

-- Deletions per UTC day, shared by every invocation: at most MAX_DELETIONS_PER_DAY, whatever the cause.
CREATE TABLE IF NOT EXISTS deletion_budget (
  day TEXT PRIMARY KEY,                      -- YYYY-MM-DD
  used INTEGER NOT NULL DEFAULT 0
);

-- The last scrape that failed (the site unreadable, a bot wall): retention waits for a good scrape.
CREATE TABLE IF NOT EXISTS scrape_failures (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  failed_at TEXT NOT NULL,
  error TEXT NOT NULL
);
