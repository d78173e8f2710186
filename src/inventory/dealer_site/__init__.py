"""Phase 1, the dealer's site: reading its pages (extraction, profiles, VINs), fetching them
politely, and saving what was found to D1."""
