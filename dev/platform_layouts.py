"""The demo dealer site's listing pages in the shapes of the dealer platforms (the `layout` knob), and
the bot-protection challenge pages (the `challenge` knob).

Pure functions of the vehicles: each layout publishes the same vehicles and photo URLs the way its
platform does (Dealer.com: `DDC.dataLayer['vehicles']` plus cards, `?start=N`; DealerOn: a JSON-LD
ItemList plus `data-dotagging-item-*` cards, `?pt=N`; Next.js: `__NEXT_DATA__` results, `?page=N`),
so the scraper's `auto` detection and the built-in profiles are exercised end to end.
"""

import html
import json

PLATFORM_LAYOUTS = ("dealer-com", "dealeron", "nextjs")
CHALLENGES = ("cloudflare", "akamai")
_PAGE_PARAMETER = {"dealer-com": "start", "dealeron": "pt", "nextjs": "page"}


def _script_json(data) -> str:
    return json.dumps(data, indent=1).replace("</", "<\\/")


def _page(title: str, head: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        f"{head}</head>\n<body>\n{body}\n</body></html>\n"
    )


def page_number(layout: str, query: dict, page_size: int) -> str:
    """The listing page (from 1) a request asks for, read from the layout's own paging parameter."""
    if layout == "dealer-com" and "start" in query:
        start = query["start"][0]
        return str(int(start) // page_size + 1) if start.isdigit() else "0"
    name = _PAGE_PARAMETER.get(layout, "page")
    return query.get(name, query.get("page", ["1"]))[0]


def _next_href(layout: str, page: int, page_size: int) -> str:
    if layout == "dealer-com":
        return f"/inventory?start={page * page_size}"
    return f"/inventory?{_PAGE_PARAMETER[layout]}={page + 1}"


def _images(urls: list, attribute: str = "data-src") -> str:
    return "".join(f'<img {attribute}="{html.escape(u)}" alt="">' for u in urls)


def _dealer_com_card(vehicle, urls: list) -> str:
    esc = html.escape
    return (
        f'<li class="vehicle-card" data-vin="{esc(vehicle.vin)}" data-stocknum="{esc(vehicle.stock)}">'
        f'<h2 class="vehicle-card-title"><a href="/vehicle/{esc(vehicle.stock)}">'
        f"{esc(vehicle.title)}</a></h2>"
        f'<div class="vehicle-card-media">{_images(urls)}</div></li>'
    )


def _identity(vehicle) -> dict:
    """The fields both JSON layouts name alike."""
    return {
        "vin": vehicle.vin,
        "stockNumber": vehicle.stock,
        "make": vehicle.make,
        "model": vehicle.model,
        "trim": vehicle.trim,
    }


def _dealer_com(vehicles: list, photo_urls, nav: str) -> str:
    layer = [
        {
            **_identity(v),
            "modelYear": v.year,
            "internetPrice": v.price,
            "odometer": v.mileage,
            "exteriorColor": v.colour,
        }
        for v in vehicles
    ]
    cards = "\n".join(_dealer_com_card(v, photo_urls(v)) for v in vehicles)
    script = (
        f"<script>window.DDC = window.DDC || {{}}; DDC.dataLayer = DDC.dataLayer || {{}};\n"
        f"DDC.dataLayer['vehicles'] = {_script_json(layer)};\nDDC.dataLayer['page'] = {{}};</script>"
    )
    return _page("Used Vehicles", "", f'{script}\n<ul class="vehicle-list">\n{cards}\n</ul>\n{nav}')


def _dealeron_card(vehicle, urls: list) -> str:
    esc = html.escape
    attributes = {
        "vin": vehicle.vin,
        "stock": vehicle.stock,
        "year": vehicle.year,
        "make": vehicle.make,
        "model": vehicle.model,
        "trim": vehicle.trim,
        "price": vehicle.price,
        "odometer": vehicle.mileage,
        "exterior-color": vehicle.colour,
        "is-special": str(vehicle.featured).lower(),
    }
    tagging = " ".join(
        f'data-dotagging-item-{name}="{esc(str(value))}"' for name, value in attributes.items()
    )
    return (
        f'<div class="vehicle-card srpVehicle" data-vin="{esc(vehicle.vin)}" {tagging}>'
        f'<a class="vehicle-title-link" href="/vehicle/{esc(vehicle.stock)}">{esc(vehicle.title)}</a>'
        f'<div class="vehicle-card__image">{_images(urls)}</div></div>'
    )


def _dealeron(vehicles: list, photo_urls, nav: str, site_url: str) -> str:
    items = [
        {
            "@type": "ListItem",
            "position": n,
            "item": {
                "@type": "Car",
                "name": v.title,
                "vehicleIdentificationNumber": v.vin,
                "sku": v.stock,
                "url": f"{site_url}/vehicle/{v.stock}",
                "brand": {"@type": "Brand", "name": v.make},
                "model": v.model,
                "offers": {"@type": "Offer", "price": v.price, "priceCurrency": "USD"},
            },
        }
        for n, v in enumerate(vehicles, 1)
    ]
    data = {"@context": "https://schema.org", "@type": "ItemList", "itemListElement": items}
    head = (
        '<script>var sdDataLayer = {"pageType": "SRP"};</script>'
        f'<script type="application/ld+json">{_script_json(data)}</script>'
    )
    cards = "\n".join(_dealeron_card(v, photo_urls(v)) for v in vehicles)
    return _page(
        "Used Inventory",
        head,
        f'<div class="srp-results">\n{cards}\n</div>\n<ul class="pagination">{nav}</ul>',
    )


def _nextjs(vehicles: list, photo_urls, nav: str) -> str:
    results = [
        {
            **_identity(v),
            "year": v.year,
            "pricing": {"price": v.price},
            "odometer": v.mileage,
            "colors": {"exterior": v.colour},
            "slug": f"/vehicle/{v.stock}",
            "featured": v.featured,
            "media": {"photos": [{"url": u} for u in photo_urls(v)]},
        }
        for v in vehicles
    ]
    data = {"props": {"pageProps": {"searchResults": {"vehicles": results}}}, "page": "/inventory"}
    script = f'<script id="__NEXT_DATA__" type="application/json">{_script_json(data)}</script>'
    body = f'<div id="__next"></div>\n<nav aria-label="pagination">{nav}</nav>\n{script}'
    return _page("Inventory", "", body)


def platform_listing(
    layout: str, page: int, vehicles: list, has_next: bool, page_size: int, photo_urls, site_url: str
) -> str:
    """Listing page `page` in the layout's platform shape; `photo_urls(vehicle)` gives its photos."""
    nav = f'<a rel="next" href="{_next_href(layout, page, page_size)}">Next</a>' if has_next else ""
    if layout == "dealer-com":
        nav = nav.replace('rel="next"', 'class="pagination-next" rel="next"')
        return _dealer_com(vehicles, photo_urls, nav)
    if layout == "dealeron":
        return _dealeron(vehicles, photo_urls, f"<li>{nav}</li>" if nav else "", site_url)
    return _nextjs(vehicles, photo_urls, nav)


def challenge_page(kind: str) -> tuple[str, dict]:
    """A bot-protection interstitial (made up in the shape the protections publish) and its headers."""
    if kind == "akamai":
        return _page(
            "Access Denied",
            "",
            "<h1>Access Denied</h1>\nYou don't have permission to access "
            "this server.<p>Reference #18.4f2e1002.1718000000.5a1b2c3</p>\n"
            "<p>https://errors.edgesuite.net/18.4f2e1002.1718000000.5a1b2c3</p>",
        ), {}
    script = (
        '<script>(function(){window._cf_chl_opt={cvId: "3", cZone: "dealer.example", cType: "managed"};'
        "}());</script>"
    )
    body = f'<div id="challenge-running">Checking your browser</div>{script}'
    return _page("Just a moment...", "", body), {"cf-mitigated": "challenge"}
