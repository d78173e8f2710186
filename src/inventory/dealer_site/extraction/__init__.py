"""Extraction of vehicles from dealer pages: sources, field rules, galleries.

The facade is inventory.dealer_site.extract."""
