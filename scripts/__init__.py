"""The project's scripts; `dev.launcher` and the tests import `scripts.setup` for its helpers."""
