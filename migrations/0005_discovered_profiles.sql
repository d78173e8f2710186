-- Migration 0005: the mapping discovery found for a site that no built-in profile reads.
-- The first scrape that discovers where a site lists its vehicles stores the v2 profile here; later
-- scrapes read the site with it directly, and discover again when it reads far fewer vehicles than
-- `vehicles`, the count of the last good scrape made with it.
CREATE TABLE IF NOT EXISTS discovered_profiles (
  site_url TEXT PRIMARY KEY,                 -- SCRAPE_URL
  profile TEXT NOT NULL,                     -- JSON: the profile, as load_profile reads it
  vehicles INTEGER NOT NULL,                 -- vehicles the last good scrape with it found
  discovered_at TEXT NOT NULL,               -- when this mapping was first found
  used_at TEXT NOT NULL                      -- the last scrape that used it
);
