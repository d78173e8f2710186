-- Migration 0003: galleries read from detail pages in the background (dealer_site/galleries.py).
-- vehicles.gallery says where the vehicle's photo list comes from:
--   listing  the listing's photos (the profile reads no gallery for it)
--   pending  its detail page's gallery is to be read; the list holds the listing's stand-in photos,
--            which the processor does not upload unless the gallery stays unread for GALLERY_FALLBACK_HOURS
--   read     the list is the gallery, read at gallery_read_at
--   stale    the listing changed since: the gallery is to be read again; the list holds the last one
--   gone     the detail page answered 404 or 410: listed but gone; the list is kept
ALTER TABLE vehicles ADD COLUMN gallery TEXT NOT NULL DEFAULT 'listing'
  CHECK (gallery IN ('listing', 'pending', 'read', 'stale', 'gone'));
ALTER TABLE vehicles ADD COLUMN gallery_signature TEXT;  -- the listing's price and photos when marked
ALTER TABLE vehicles ADD COLUMN gallery_since TEXT;      -- when it became pending
ALTER TABLE vehicles ADD COLUMN gallery_read_at TEXT;
ALTER TABLE vehicles ADD COLUMN gallery_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE vehicles ADD COLUMN gallery_error TEXT;
CREATE INDEX IF NOT EXISTS vehicles_gallery_work ON vehicles (gallery, gallery_read_at);

-- Photos a gallery read no longer lists (the dealer removed them), for the photo lifecycle to delete.
CREATE TABLE IF NOT EXISTS photo_removals (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  vehicle_id INTEGER NOT NULL,
  source_url TEXT NOT NULL,
  image_id TEXT,                             -- the uploaded image's id, or NULL if never uploaded
  removed_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS photo_removals_by_source ON photo_removals (source_url);
