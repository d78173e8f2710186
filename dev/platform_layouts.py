"""The demo dealer site's listing pages in the shapes of the dealer platforms (the `layout` knob), the
inventory APIs of the platforms whose listings are rendered from one, and the bot-protection challenge
pages (the `challenge` knob).

Pure functions of the vehicles: each layout publishes the same vehicles and photo URLs the way its
platform does (DealerOn: a JSON-LD ItemList plus `data-dotagging-item-*` cards, `?pt=N`; Next.js:
`__NEXT_DATA__` results, `?page=N`), so the scraper's `auto` detection and the built-in profiles are
exercised end to end. The two API layouts show only their first page of vehicles (no next link): the
whole inventory is only in their API, as on the platforms, whose pages render the rest in the browser.
Dealer.com: `DDC.dataLayer['vehicles']` plus cards, and `getInventory` (POST, offset paging). DealerInspire:
cards of Algolia hits, and an Algolia-shaped query endpoint (POST, page paging) on the demo site itself,
which the page's search settings name as their `searchHost`.
"""

import html
import json

PLATFORM_LAYOUTS = ("dealer-com", "dealeron", "nextjs", "dealer-inspire")
API_LAYOUTS = ("dealer-com", "dealer-inspire")
CHALLENGES = ("cloudflare", "akamai")
_PAGE_PARAMETER = {"dealer-com": "start", "dealeron": "pt", "nextjs": "page", "dealer-inspire": "page"}

DDC_SITE_ID = "lambertdemo"
DDC_PAGE_ALIAS = "INVENTORY_LISTING_DEFAULT_AUTO_USED"
DDC_INVENTORY_PATH = "/api/widget/ws-inv-data/getInventory"
ALGOLIA_APP_ID = "LAMBERTDEMO1"
ALGOLIA_API_KEY = "0demo0search0only0key0"
ALGOLIA_INDEX = "lambertdemo_production_inventory"
ALGOLIA_QUERY_PATH = f"/1/indexes/{ALGOLIA_INDEX}/query"
_API_PATHS = {"dealer-com": DDC_INVENTORY_PATH, "dealer-inspire": ALGOLIA_QUERY_PATH}


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
        f'DDC.dataLayer[\'site\'] = {{"siteId": "{DDC_SITE_ID}"}};\n'
        f"DDC.dataLayer['vehicles'] = {_script_json(layer)};\n"
        f'DDC.dataLayer[\'page\'] = {{"pageAlias": "{DDC_PAGE_ALIAS}"}};</script>'
    )
    return _page("Used Vehicles", "", f'{script}\n<ul class="vehicle-list">\n{cards}\n</ul>\n{nav}')


def _named_fields(vehicle, **names: str) -> dict:
    """The vehicle's fields under a platform's own names (`names`: ours -> its; "" leaves a field out)."""
    values = {
        "vin": vehicle.vin,
        "stock": vehicle.stock,
        "year": vehicle.year,
        "make": vehicle.make,
        "model": vehicle.model,
        "trim": vehicle.trim,
        "price": vehicle.price,
        "mileage": vehicle.mileage,
        "colour": vehicle.colour,
        "featured": str(vehicle.featured).lower(),
    }
    return {names.get(name, name): value for name, value in values.items() if names.get(name, name)}


def _card_data(vehicle, prefix: str, **names: str) -> str:
    """The vehicle's fields as `prefix`NAME="value" attributes, under the platform's own names."""
    fields = _named_fields(vehicle, **names)
    return " ".join(f'{prefix}{name}="{html.escape(str(value))}"' for name, value in fields.items())


def _dealeron_card(vehicle, urls: list) -> str:
    esc = html.escape
    tagging = _card_data(
        vehicle, "data-dotagging-item-", mileage="odometer", colour="exterior-color", featured="is-special"
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


def _dealer_inspire_card(vehicle, urls: list) -> str:
    esc = html.escape
    data = _card_data(vehicle, "data-", mileage="miles", colour="ext-color")
    return (
        f'<div class="vehicle-card hit" {data}><h3 class="vehicle-title">'
        f'<a href="/vehicle/{esc(vehicle.stock)}">{esc(vehicle.title)}</a></h3>'
        f'<div class="vehicle-photos">{_images(urls)}</div></div>'
    )


def _dealer_inspire(vehicles: list, photo_urls, site_url: str) -> str:
    settings = {
        "appId": ALGOLIA_APP_ID,
        "apiKey": ALGOLIA_API_KEY,
        "indexName": ALGOLIA_INDEX,
        "searchHost": site_url,
        "hitsPerPage": len(vehicles),
    }
    head = (
        '<link rel="stylesheet" href="/wp-content/themes/dealerinspire/css/app.min.css">'
        f"<script>var inventoryAlgolia = {_script_json(settings)};</script>"
    )
    cards = "\n".join(_dealer_inspire_card(v, photo_urls(v)) for v in vehicles)
    return _page("Used Vehicles", head, f'<div id="hits" class="ais-Hits">\n{cards}\n</div>')


def platform_listing(
    layout: str, page: int, vehicles: list, has_next: bool, page_size: int, photo_urls, site_url: str
) -> str:
    """Listing page `page` in the layout's platform shape; `photo_urls(vehicle)` gives its photos. The
    API layouts link no next page: the rest of their inventory is only in their API."""
    has_next = has_next and layout not in API_LAYOUTS
    nav = f'<a rel="next" href="{_next_href(layout, page, page_size)}">Next</a>' if has_next else ""
    if layout == "dealer-com":
        nav = nav.replace('rel="next"', 'class="pagination-next" rel="next"')
        return _dealer_com(vehicles, photo_urls, nav)
    if layout == "dealeron":
        return _dealeron(vehicles, photo_urls, f"<li>{nav}</li>" if nav else "", site_url)
    if layout == "dealer-inspire":
        return _dealer_inspire(vehicles, photo_urls, site_url)
    return _nextjs(vehicles, photo_urls, nav)


# ----- the inventory APIs ------------------------------------------------------------------------


def is_api_path(path: str) -> bool:
    return path in _API_PATHS.values() or path.startswith("/1/indexes/")


def _whole_number(value, low: int, high: int) -> int | None:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high else None


def _ddc_item(vehicle, urls: list) -> dict:
    return {
        **_identity(vehicle),
        "year": vehicle.year,
        "link": f"/vehicle/{vehicle.stock}",
        "accountId": DDC_SITE_ID,
        "pricing": {"internetPrice": f"${vehicle.price:,}"},
        "odometer": f"{vehicle.mileage:,}",
        "exteriorColor": vehicle.colour,
        "images": [{"uri": url, "alt": vehicle.title} for url in urls],
    }


def _ddc_inventory(request: dict, vehicles: list, photo_urls) -> tuple[int, dict]:
    """getInventory: the vehicles from `inventoryParameters.start`, `preferences.pageSize` of them."""
    if request.get("siteId") != DDC_SITE_ID or request.get("pageAlias") != DDC_PAGE_ALIAS:
        return 400, {"error": "unknown siteId or pageAlias"}
    start = _whole_number((request.get("inventoryParameters") or {}).get("start", 0), 0, 10**6)
    size = _whole_number((request.get("preferences") or {}).get("pageSize", 18), 1, 100)
    if start is None or size is None:
        return 400, {"error": "bad inventoryParameters.start or preferences.pageSize"}
    items = [_ddc_item(v, photo_urls(v)) for v in vehicles[start : start + size]]
    return 200, {"inventory": items, "pageInfo": {"totalCount": len(vehicles), "pageStart": start}}


def algolia_hit(vehicle, urls: list) -> dict:
    """One Algolia hit of a DealerInspire inventory index."""
    fields = _named_fields(vehicle, price="our_price", mileage="miles", colour="ext_color", featured="")
    return {
        "objectID": vehicle.vin,
        **fields,
        "miles": f"{vehicle.mileage:,}",
        "link": f"/vehicle/{vehicle.stock}",
        "photos": urls,
    }


def _algolia_query(query: dict, request: dict, vehicles: list, photo_urls) -> tuple[int, dict]:
    """An index query: `hitsPerPage` hits of page `page` (from 0), with nbHits and nbPages."""
    credentials = [query.get(f"x-algolia-{name}", [""])[0] for name in ("application-id", "api-key")]
    if credentials != [ALGOLIA_APP_ID, ALGOLIA_API_KEY]:
        return 403, {"message": "Invalid Application-ID or API key", "status": 403}
    size = _whole_number(request.get("hitsPerPage", 20), 1, 1000)
    page = _whole_number(request.get("page", 0), 0, 1000)
    if size is None or page is None:
        return 400, {"message": "hitsPerPage and page must be whole numbers", "status": 400}
    hits = [algolia_hit(v, photo_urls(v)) for v in vehicles[page * size : (page + 1) * size]]
    pages = -(-len(vehicles) // size)
    return 200, {"hits": hits, "nbHits": len(vehicles), "page": page, "nbPages": pages, "hitsPerPage": size}


def api_answer(layout: str, path: str, query: dict, body: bytes, vehicles: list, photo_urls):
    """(status, JSON answer) of a POST to the layout's inventory API; 404 on any other layout."""
    if _API_PATHS.get(layout) != path:
        return 404, {"message": "not found"}
    try:
        request = json.loads(body or b"null")
    except ValueError:
        request = None
    if not isinstance(request, dict):
        return 400, {"message": "the body must be a JSON object"}
    if layout == "dealer-com":
        return _ddc_inventory(request, vehicles, photo_urls)
    return _algolia_query(query, request, vehicles, photo_urls)


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


# ----- a listing rendered in the browser, its vehicles only in the sitemap (knob sitemap_only) ------

SITEMAP_INDEX_PATH, INVENTORY_SITEMAP_PATH = "/sitemap_index.xml", "/inventory-sitemap.xml"
SITEMAP_PATHS = (SITEMAP_INDEX_PATH, INVENTORY_SITEMAP_PATH, "/page-sitemap.xml")
VDP_PREFIX = "/inventory/"


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def vdp_path(vehicle) -> str:
    """A DealerInspire-style detail address: /inventory/used-2021-honda-cr-v-ex-l-VIN/."""
    return f"{VDP_PREFIX}used-{vehicle.year}-{_slug(vehicle.title[5:])}-{vehicle.vin.lower()}/"


def vin_of_vdp_path(path: str) -> str:
    return path.rstrip("/").rsplit("-", 1)[-1].upper()


def browser_rendered_listing() -> str:
    """A DealerInspire listing whose hits the browser fetches: no vehicle and no search settings."""
    head = '<link rel="stylesheet" href="/wp-content/themes/dealerinspire/css/app.min.css">'
    return _page("Used Vehicles", head, '<div id="hits" class="ais-Hits"></div>')


def sitemap_document(path: str, vehicles: list, site_url: str) -> str:
    """The sitemap index (a page sitemap and an inventory sitemap) and the sitemaps it names."""
    if path == SITEMAP_INDEX_PATH:
        entries = [f"{site_url}/page-sitemap.xml", f"{site_url}{INVENTORY_SITEMAP_PATH}"]
        tag, item = "sitemapindex", "sitemap"
    else:
        pages = [f"{site_url}/", f"{site_url}/about-us/"]
        entries = pages if path != INVENTORY_SITEMAP_PATH else [f"{site_url}{vdp_path(v)}" for v in vehicles]
        tag, item = "urlset", "url"
    locations = "".join(f"<{item}><loc>{html.escape(url)}</loc></{item}>" for url in entries)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<{tag} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locations}</{tag}>'
    )
