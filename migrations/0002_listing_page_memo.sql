-- Migration 0002: what each listing page gave, so an unchanged page is not read again.
-- A row is keyed by a digest of everything the extraction depends on (the page's bytes and URL, the
-- API answers it was read with, the profile, the extraction code, the year); a page whose digest is
-- here gives the stored vehicles without being parsed. Rows of pages a scrape no longer sees are
-- deleted in the same batch that saves the scrape.
CREATE TABLE IF NOT EXISTS listing_page_memo (
  digest TEXT PRIMARY KEY,
  page_url TEXT NOT NULL,
  extract TEXT NOT NULL,                     -- JSON: vehicles, skipped, warnings, next_url
  saved_at TEXT NOT NULL
);
