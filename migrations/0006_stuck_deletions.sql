-- Migration 0006: when a queued deletion was last tried. A deletion that failed MAX_DELETION_ATTEMPTS
-- times is "stuck": it is shown in /api/image-status and the admin panel with its last error, and
-- tried again once a day (photos/lifecycle.py) instead of on every run.
ALTER TABLE photo_removals ADD COLUMN last_attempt_at TEXT;
