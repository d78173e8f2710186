"""Site profiles: how to read one dealer platform, as data rather than code paths.

A new dealer means a new entry here (or a JSON file given to the extract command), not a
rewrite. Field specs in `card` use a small notation:
  ".price"            text of the first element matching the CSS selector inside the card
  "@data-vin"         an attribute of the card element itself
  "a.link@href"       an attribute of the first matching element
  ".photos img@src|data-src"   every matching element, the first attribute present (lists only)
"""

PROFILES = {
    # The Lambert dealer site (and the demo site in dev/, which publishes the same markup).
    "lambert": {
        "jsonld": True,                      # read schema.org Car/Vehicle/Product nodes
        "next_page": "a[rel=next]@href",     # pagination: follow this link
        "max_pages": 40,
        "card": {
            "selector": "div.vehicle-card",
            "vin": "@data-vin",
            "stock_number": "@data-stock",
            "featured": "@data-featured",
            "title": ".vehicle-title",
            "detail_url": "a.vehicle-link@href",
            "price": ".price",
            "mileage": ".mileage",
            "exterior_color": ".color",
            "photos": ".photos img@src|data-src",
        },
        # Fetch a vehicle's detail page only when the listing gave no photos for it.
        "detail_pages": "if_no_photos",
        "detail_photos": ".gallery img@data-src|src",
    },
    # A platform that publishes schema.org data only: no HTML rules at all.
    "jsonld-only": {
        "jsonld": True,
        "next_page": "a[rel=next]@href",
        "max_pages": 40,
        "card": None,
        "detail_pages": "never",
    },
}

DEFAULT_PROFILE = "lambert"


def get_profile(name: str | None) -> dict:
    key = name or DEFAULT_PROFILE
    if key not in PROFILES:
        raise KeyError(f"unknown site profile {key!r}; known: {', '.join(sorted(PROFILES))}")
    return PROFILES[key]
