"""Extraction of vehicles from dealer pages: sources, field rules, galleries (see inventory.dealer_site.extract)."""
