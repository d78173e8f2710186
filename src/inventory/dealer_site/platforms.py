"""Built-in profiles for the dealer-site platforms: every site of one platform publishes its inventory
the same way, so one profile reads them all (see the README's platform table).

Written from the platforms' public page shapes. Every source a platform may or may not put on a page
is listed: a source that finds nothing costs a warning, never a vehicle. Field paths in script_json
sources use JMESPath `||` to take the first spelling a site uses.
"""

from __future__ import annotations


def same_names(*fields: str) -> dict:
    """JSON paths for fields the JSON names as we do: same_names("make") == {"make": "make"}."""
    return {field: field for field in fields}


def card_attributes(**attributes: str) -> dict:
    """Field specs reading a card's own attributes: card_attributes(make="data-make|data-brand")."""
    return {field: f"@{names}" for field, names in attributes.items()}


_NEXT_LINK = "a[rel~=next], link[rel~=next]@href"

_QUOTED_KEY = r"[\"']?{key}[\"']?\s*:\s*[\"']"  # a JSON or JavaScript object key and its opening quote


def posted_api(url: str, **source) -> dict:
    """A json_api source POSTing its JSON `body` to `url` (see extraction/json_api.py)."""
    return {"kind": "json_api", "url": url, "method": "POST", **source}


# The inventory JSON a Dealer.com listing is rendered from: POSTed with the site id and page alias the
# page's data layer names, `inventoryParameters.start` the offset, up to `pageInfo.totalCount`.
_DDC_INVENTORY_API = posted_api(
    "/api/widget/ws-inv-data/getInventory",
    values={
        "site_id": _QUOTED_KEY.format(key="siteId") + r"(\w+)",
        "page_alias": _QUOTED_KEY.format(key="(?:pageAlias|pageName)") + r"(\w+)",
    },
    body={
        "siteId": "{site_id}",
        "locale": "en_US",
        "device": "DESKTOP",
        "pageAlias": "{page_alias}",
        "widgetName": "ws-inv-data",
        "inventoryParameters": {"start": "{offset}"},
        "preferences": {"pageSize": "{size}"},
    },
    paging={"by": "offset", "size": 50, "total": "pageInfo.totalCount"},
    vehicles="inventory",
    fields={
        "vin": "vin",
        "stock_number": "stockNumber",
        "year": "year || modelYear",
        **same_names("make", "model", "trim"),
        "price": "pricing.internetPrice || pricing.retailPrice || pricing.askingPrice",
        "mileage": "odometer",
        "exterior_color": "exteriorColor",
        "detail_url": {"path": "link", "type": "url"},
        "store_id": "accountId",
        "photos": "images[*].uri",
    },
)

DEALER_COM = {
    "name": "dealer-com",
    "description": "Dealer.com (Cox Automotive): the getInventory JSON API, DDC.dataLayer['vehicles'], "
    "listing cards, ?start=N pages",
    "sources": [
        _DDC_INVENTORY_API,
        {
            "kind": "script_json",
            "assignment": "DDC.dataLayer['vehicles']",
            "vehicles": "[*]",
            "fields": {
                "vin": "vin",
                "stock_number": "stockNumber",
                "year": "modelYear || year",
                "make": "make",
                "model": "model",
                "trim": "trim",
                "price": "internetPrice || askingPrice || retailPrice",
                "mileage": "odometer",
                "exterior_color": "exteriorColor",
                "store_id": "accountId",
            },
        },
        {
            "kind": "cards",
            "selector": "li.vehicle-card[data-vin], li.vehicle-card[data-stocknum]",
            "fields": {
                "vin": "@data-vin",
                "stock_number": "@data-stocknum",
                "title": ".vehicle-card-title",
                "detail_url": {"selector": ".vehicle-card-title a", "attr": ["href"], "type": "url"},
                "store_id": "@data-accountid",
                "photos": ".vehicle-card-media img@data-src|src",
            },
        },
        {"kind": "jsonld"},
    ],
    "next_page": f"a.pagination-next, {_NEXT_LINK}",
    "detail_pages": "if_no_photos",
    "full_size": [{"host": "pictures.dealer.com", "drop_query": ["impolicy", "w", "h"]}],
    "hosts": ["pictures.dealer.com"],
}

# DealerOn ships two tagging templates. The current one carries each vehicle as data-dotagging-item-*
# attributes (the item id is the VIN there, the number its stock number, the variant its trim, and the
# odometer a plain data-odometer); the older one has one `sdDataLayer = {...}` per detail page with the
# vehicle under `vehicleDetails`, and renders the odometer in an info__item--mileage block.
_VIN_LENGTH = r"^\s*(.{17,}?)\s*$"  # an item id shorter than a VIN (a numeric id) is not one
_DEALERON_ATTRIBUTES = {
    "vin": {"attr": ["data-vin", "data-dotagging-item-vin", "data-dotagging-item-id"], "regex": _VIN_LENGTH},
    "stock_number": "@data-stocknum|data-dotagging-item-stock|data-dotagging-item-number",
    "year": {"attr": ["data-dotagging-item-year", "data-year"], "type": "int"},
    "make": "@data-dotagging-item-make|data-make",
    "model": "@data-dotagging-item-model|data-model",
    "trim": "@data-dotagging-item-trim|data-dotagging-item-variant|data-trim",
    "price": "@data-dotagging-item-price|data-price",
    "mileage": "@data-dotagging-item-odometer|data-odometer|data-mileage",
    "exterior_color": "@data-dotagging-item-exterior-color|data-dotagging-item-color|data-extcolor",
    "featured": {"attr": ["data-dotagging-item-is-special"], "type": "bool"},
    "store_id": "@data-dotagging-item-dealer-id|data-dealerid",
    "detail_url": {"selector": "a.vehicle-title-link", "attr": ["href"], "type": "url"},
    "photos": ".vehicle-card__image img, .vdp-media img@data-src|src",
}

_SD_DATA_LAYER = {
    "kind": "script_json",
    "assignment": "window.sdDataLayer",
    "vehicles": "vehicleDetails",
    "fields": {
        "vin": "vin || vehicleVin",
        "stock_number": "stockNumber || stock",
        "year": {"path": "year || modelYear", "type": "int"},
        **same_names("make", "model", "trim"),
        "price": "internetPrice || price",
        "mileage": {"path": "odometer || mileage", "type": "int"},
        "exterior_color": "exteriorColor || extColor",
    },
}

# The detail page's rendered spec list, read for the odometer the older template keeps out of its data.
_DEALERON_SPEC_LIST = {
    "kind": "cards",
    "selector": "div.vdp[data-vehicle-information]",
    "fields": {
        "vin": "@data-vin",
        "mileage": {
            "selector": ".info__item--mileage .info__value",
            "attr": ["title", "#text"],
            "type": "int",
        },
    },
}

DEALERON = {
    "name": "dealeron",
    "description": "DealerOn: JSON-LD ItemList, data-dotagging-item-* cards, "
    "div.vdp[data-vehicle-information], sdDataLayer's vehicleDetails",
    "sources": [
        {"kind": "jsonld"},
        {
            "kind": "cards",
            "selector": "div.srpVehicle, div.vdp[data-vehicle-information]",
            "fields": _DEALERON_ATTRIBUTES,
        },
        _SD_DATA_LAYER,
        _DEALERON_SPEC_LIST,
    ],
    "discover": True,  # a theme or page shape the sources miss: read by discovery
    "next_page": f"ul.pagination a[rel=next], {_NEXT_LINK}",
    "detail_pages": "if_no_photos",
    "stock_art": [r"cdn\.dlron\.us/static/"],
}

# The Algolia index a DealerInspire listing searches: application id, search-only key and index from the
# page's settings, POSTed to Algolia's query endpoint page by page up to `nbHits`. Algolia answers each
# application at APPID-dsn.algolia.net (hence the profile's `*.algolia.net` host); a page may name its
# search host instead (`searchHost`: a site proxying its search through its own host, or the demo site).
# The names the settings go by: camelCase in the search widget's own config, snake_case where a WordPress
# plugin hands them to the page (wp_localize_script), and the search service's generic "id" and "key".
_ALGOLIA_KEYS = {
    "app_id": "(?:appId|applicationId|applicationID|algoliaAppId|app_id|algolia_app_id|application_id"
    "|searchServiceId|search_service_id)",
    "key": "(?:apiKey|searchOnlyApiKey|searchApiKey|algoliaApiKey|api_key|search_api_key|algolia_api_key"
    "|searchServiceKey|search_service_key)",
    "index": "(?:indexName|inventoryIndex|index_name|inventory_index|algoliaIndex|algolia_index)",
}

_ALGOLIA_SEARCH = posted_api(
    "{search_host}/1/indexes/{index}/query?x-algolia-application-id={app_id}&x-algolia-api-key={key}",
    values={
        "app_id": _QUOTED_KEY.format(key=_ALGOLIA_KEYS["app_id"]) + r"([A-Za-z0-9]+)",
        "key": _QUOTED_KEY.format(key=_ALGOLIA_KEYS["key"]) + r"([\w-]+)",
        "index": _QUOTED_KEY.format(key=_ALGOLIA_KEYS["index"]) + r"([\w.-]+)",
        "search_host": {
            "regex": _QUOTED_KEY.format(key="searchHost") + r"(https?://[\w.-]+(?::\d+)?)",
            "default": "https://{app_id}-dsn.algolia.net",
        },
    },
    body={"query": "", "hitsPerPage": "{size}", "page": "{page}"},
    paging={"by": "page", "first": 0, "size": 100, "total": "nbHits"},
    vehicles="hits",
    fields=dict(
        same_names("vin", "year", "make", "model", "trim"),
        stock_number="stock",
        price="our_price || price",
        mileage="miles || mileage",
        exterior_color="ext_color || exterior_color",
        detail_url={"path": "link", "type": "url"},
        store_id="location",
        photos="photos[*].url || photos",
    ),
)

# Result cards (and detail pages) carrying the vehicle as JSON in a data-vehicle attribute, plain or
# percent-encoded. The key names vary between templates: each field lists the spellings seen.
_DATA_VEHICLE = {
    "kind": "script_json",
    "selector": "[data-vehicle]",
    "attribute": "data-vehicle",
    "fields": {
        "vin": "vin || VIN",
        "stock_number": "stock || stockNumber || stock_number",
        "year": {"path": "year", "type": "int"},
        "make": "make",
        "model": "model",
        "trim": "trim",
        "exterior_color": "ext_color || exteriorColor || exterior_color || color",
        "price": "our_price || advertised_price || price",
        "mileage": {"path": "miles || mileage || odometer", "type": "int"},
        "detail_url": {"path": "link || url || vdp_url", "type": "url"},
    },
}

# The detail addresses a DealerInspire sitemap lists: /inventory/used-2019-honda-civic-lx-...-VIN/.
_INVENTORY_SITEMAP = {
    "kind": "sitemap",
    "url": "/sitemap_index.xml",
    "children": "inventory|vehicle|vdp",
    "detail_url": r"/inventory/(?:new|used|certified|pre-owned)-(?P<year>(?:19|20)\d\d)-(?P<name>[\w-]+?)"
    r"-(?P<vin>[a-hj-npr-z0-9]{17})/?(?:[?#].*)?$",
}

DEALER_INSPIRE = {
    "name": "dealer-inspire",
    "description": "DealerInspire / Cars Commerce: the page's Algolia search, server-rendered hits "
    "(data-* cards) and JSON-LD; the inventory sitemap when the listing shows none",
    "sources": [
        _ALGOLIA_SEARCH,
        {"kind": "jsonld"},
        _DATA_VEHICLE,
        {
            "kind": "cards",
            "selector": "#hits div.vehicle-card, div.hit div.vehicle-card",
            "fields": {
                **card_attributes(
                    vin="data-vin",
                    stock_number="data-stock",
                    make="data-make",
                    model="data-model",
                    trim="data-trim",
                    price="data-price",
                    mileage="data-miles",
                    exterior_color="data-ext-color",
                    store_id="data-location",
                ),
                "year": {"attr": ["data-year"], "type": "int"},
                "title": "h3.vehicle-title",
                "featured": {"attr": ["data-featured"], "type": "bool"},
                "detail_url": {"selector": "h3.vehicle-title a", "attr": ["href"], "type": "url"},
                "photos": ".vehicle-photos img@data-src|data-lazy-src|srcset|src",
            },
        },
        _INVENTORY_SITEMAP,
    ],
    "next_page": f"a.ais-Pagination-link[aria-label=Next], {_NEXT_LINK}",
    "detail_pages": "if_no_photos",
    "hosts": ["*.algolia.net"],
}

NEXTJS = {
    "name": "nextjs",
    "description": "Next.js dealer platforms (Overfuel and others): the page's __NEXT_DATA__ results",
    "sources": [
        {
            "kind": "script_json",
            "selector": "script#__NEXT_DATA__",
            "vehicles": "props.pageProps.searchResults.vehicles || props.pageProps.results"
            " || props.pageProps.vehicles || props.pageProps.inventory.vehicles"
            " || [props.pageProps.vehicle]",
            "fields": {
                "vin": "vin",
                "stock_number": "stockNumber || stock",
                "year": "year",
                "make": "make",
                "model": "model",
                "trim": "trim",
                "price": "pricing.price || price",
                "mileage": "odometer || mileage",
                "exterior_color": "colors.exterior || exteriorColor",
                "detail_url": {"path": "slug || url", "type": "url"},
                "featured": "featured",
                "store_id": "dealerId || locationId",
                "photos": "media.photos[*].url || photos || images",
            },
        },
        {"kind": "jsonld"},
    ],
    "discover": True,  # a theme or page shape the sources miss: read by discovery
    "next_page": _NEXT_LINK,
    "detail_pages": "if_no_photos",
}

WORDPRESS = {
    "name": "wordpress",
    "description": "WordPress inventory plugins: per-card Vehicle JSON-LD beside SEO-plugin Product nodes",
    "sources": [{"kind": "jsonld"}],
    "discover": True,  # a theme or page shape the sources miss: read by discovery
    "next_page": f"a.next.page-numbers, {_NEXT_LINK}",
    "detail_pages": "never",
}

PLATFORM_PROFILES = {
    profile["name"]: profile for profile in (DEALER_COM, DEALERON, DEALER_INSPIRE, NEXTJS, WORDPRESS)
}
