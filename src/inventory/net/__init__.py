"""Talking to the outside world: one HTTP transport contract, its CPython transport, and which
URLs may be fetched."""
