"""The demo site as a custom dealer app that no built-in profile knows (the `layout` knob "custom-app").

Only discovery reads it: the listing is an app shell whose vehicles live in inline state
(`window.__LOT_STATE__`, units keyed by id, nested values such as `pricing.askingPrice` beside an MSRP
that is not the price, `odometer.value`, `paint.exterior`), one small photo per vehicle, pages linked
by `a.pager__next`; the detail page shows its facts in a labelled list and its gallery only as a JSON
array in a script. There is no JSON-LD, no microdata and no platform marker.
"""

import html
import json

CUSTOM_LAYOUT = "custom-app"


def _state_json(data) -> str:
    return json.dumps(data).replace("</", "<\\/")


def _unit(vehicle, first_photo: str | None) -> dict:
    return {
        "vehicleVin": vehicle.vin,
        "stockNo": vehicle.stock,
        "modelYear": vehicle.year,
        "makeName": vehicle.make,
        "modelName": vehicle.model,
        "trimLevel": vehicle.trim,
        "pricing": {"askingPrice": vehicle.price, "msrp": vehicle.price + 2500, "currency": "USD"},
        "odometer": {"value": vehicle.mileage, "unit": "mi"},
        "paint": {"exterior": vehicle.colour, "interior": "Black"},
        "detailPath": f"/vehicle/{vehicle.stock}",
        "isSpotlight": vehicle.featured,
        "primaryPhoto": {"url": first_photo, "alt": vehicle.title} if first_photo else None,
    }


def custom_listing(page: int, vehicles: list, has_next: bool, first_photo, shell) -> str:
    """Listing page `page`: `first_photo(vehicle)` gives its one listing photo; `shell(title, body)`
    wraps the page."""
    units = {f"u-{v.stock}": _unit(v, first_photo(v)) for v in vehicles}
    state = {
        "session": {"zip": None, "consent": {"analytics": False}},
        "results": {"page": page, "total": len(units), "units": units, "order": list(units)},
        "dealer": {"name": "Lambert Motors", "phone": "(555) 555-0142"},
    }
    pager = f'<a class="pager__next" href="/inventory?page={page + 1}">Next</a>' if has_next else ""
    return shell(
        f"Cars for sale, page {page}",
        '<div id="lot-app"><div class="lot-loading">Loading our cars...</div></div>\n'
        f'<nav class="pager">{pager}</nav>\n'
        f'<script>window.__LOT_STATE__ = {_state_json(state)};window.__LOT_BUILD__ = "3.4.1";</script>',
    )


def custom_detail(vehicle, photos: list, shell) -> str:
    esc = html.escape
    facts = [
        ("VIN", vehicle.vin),
        ("Stock #", vehicle.stock),
        ("Mileage", f"{vehicle.mileage:,} mi"),
        ("Exterior", vehicle.colour),
    ]
    listed = "".join(f"<dt>{esc(label)}</dt><dd>{esc(str(value))}</dd>" for label, value in facts)
    gallery = [{"src": url, "w": 1600, "h": 1200} for url in photos]
    hero = f'<img class="unit-hero" src="{esc(photos[0])}" alt="">' if photos else ""
    return shell(
        vehicle.title,
        f'<h1 class="unit-title">{esc(vehicle.title)}</h1>\n<dl class="unit-facts">{listed}</dl>\n'
        f'<div class="unit-price">${vehicle.price:,}</div>\n{hero}\n'
        f"<script>var unitGallery = {_state_json(gallery)};</script>",
    )
