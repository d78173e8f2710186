"""Built-in profiles for the dealer-site platforms: every site of one platform publishes its inventory
the same way, so one profile reads them all (see the README's platform table).

Written from the platforms' public page shapes. Every source a platform may or may not put on a page
is listed: a source that finds nothing costs a warning, never a vehicle. Field paths in script_json
sources use JMESPath `||` to take the first spelling a site uses.
"""

from __future__ import annotations


def card_attributes(**attributes: str) -> dict:
    """Field specs reading a card's own attributes: card_attributes(make="data-make|data-brand")."""
    return {field: f"@{names}" for field, names in attributes.items()}


_NEXT_LINK = "a[rel~=next], link[rel~=next]@href"

DEALER_COM = {
    "name": "dealer-com",
    "description": "Dealer.com (Cox Automotive): DDC.dataLayer['vehicles'], listing cards, ?start=N pages",
    "sources": [
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

_DEALERON_ATTRIBUTES = {
    "vin": "@data-vin|data-dotagging-item-vin",
    "stock_number": "@data-stocknum|data-dotagging-item-stock",
    "year": {"attr": ["data-dotagging-item-year", "data-year"], "type": "int"},
    "make": "@data-dotagging-item-make|data-make",
    "model": "@data-dotagging-item-model|data-model",
    "trim": "@data-dotagging-item-trim|data-trim",
    "price": "@data-dotagging-item-price|data-price",
    "mileage": "@data-dotagging-item-odometer|data-mileage",
    "exterior_color": "@data-dotagging-item-exterior-color|data-extcolor",
    "featured": {"attr": ["data-dotagging-item-is-special"], "type": "bool"},
    "store_id": "@data-dotagging-item-dealer-id|data-dealerid",
    "detail_url": {"selector": "a.vehicle-title-link", "attr": ["href"], "type": "url"},
    "photos": ".vehicle-card__image img, .vdp-media img@data-src|src",
}

DEALERON = {
    "name": "dealeron",
    "description": "DealerOn: JSON-LD ItemList, data-dotagging-item-* cards, "
    "div.vdp[data-vehicle-information]",
    "sources": [
        {"kind": "jsonld"},
        {
            "kind": "cards",
            "selector": "div.srpVehicle, div.vdp[data-vehicle-information]",
            "fields": _DEALERON_ATTRIBUTES,
        },
    ],
    "next_page": f"ul.pagination a[rel=next], {_NEXT_LINK}",
    "detail_pages": "if_no_photos",
    "stock_art": [r"cdn\.dlron\.us/static/"],
}

DEALER_INSPIRE = {
    "name": "dealer-inspire",
    "description": "DealerInspire / Cars Commerce: server-rendered Algolia hits (data-* cards) and JSON-LD",
    "sources": [
        {"kind": "jsonld"},
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
    ],
    "next_page": f"a.ais-Pagination-link[aria-label=Next], {_NEXT_LINK}",
    "detail_pages": "if_no_photos",
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
    "next_page": _NEXT_LINK,
    "detail_pages": "if_no_photos",
}

WORDPRESS = {
    "name": "wordpress",
    "description": "WordPress inventory plugins: per-card Vehicle JSON-LD beside SEO-plugin Product nodes",
    "sources": [{"kind": "jsonld"}],
    "next_page": f"a.next.page-numbers, {_NEXT_LINK}",
    "detail_pages": "never",
}

PLATFORM_PROFILES = {
    profile["name"]: profile for profile in (DEALER_COM, DEALERON, DEALER_INSPIRE, NEXTJS, WORDPRESS)
}
