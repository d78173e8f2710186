"""The admin panel page served at GET /admin (filled in by the admin panel issue)."""
PAGE = "<!doctype html><title>Image processor</title><p>Admin panel coming soon.</p>"
