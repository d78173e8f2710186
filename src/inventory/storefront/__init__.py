"""Inventory out: the public read API and the listing feeds."""
