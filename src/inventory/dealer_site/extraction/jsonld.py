"""The `jsonld` source: schema.org Car / Vehicle / Product nodes from every application/ld+json block.

Blocks are found by a linear scan (scripts.py) and parsed with a nesting limit (safe_json); a
block that does not parse is a skipped entry and the others still count. The parsed data is
walked with an explicit stack, never by recursion: vehicle nodes are collected wherever they sit
(`@graph`, `ItemList.itemListElement`, `ListItem.item`, `Offer.itemOffered`, `WebPage.mainEntity`).
"""

from __future__ import annotations

import re

from ... import safe_json
from ..vin import is_valid_vin
from .makes import known_make
from .records import Record, SourceResult
from .scripts import iter_scripts, unwrap

VEHICLE_TYPES = frozenset(
    (
        "car",
        "vehicle",
        "motorcycle",
        "busorcoach",
        "motorizedbicycle",
        "product",
        "individualproduct",
        "someproducts",
    )
)
# additionalProperty names (lower-case, letters and digits only) -> field
PROPERTY_FIELDS = {
    "vin": "vin",
    "vehicleidentificationnumber": "vin",
    "stock": "stock_number",
    "stocknumber": "stock_number",
    "stockno": "stock_number",
    "stocknum": "stock_number",
    "stockid": "stock_number",
    "sku": "stock_number",
    "year": "year",
    "modelyear": "year",
    "vehiclemodeldate": "year",
    "make": "make",
    "brand": "make",
    "model": "model",
    "trim": "trim",
    "trimlevel": "trim",
    "vehicleconfiguration": "trim",
    "mileage": "mileage",
    "odometer": "mileage",
    "miles": "mileage",
    "kilometers": "mileage",
    "mileagefromodometer": "mileage",
    "color": "exterior_color",
    "colour": "exterior_color",
    "exteriorcolor": "exterior_color",
    "exteriorcolour": "exterior_color",
    "price": "price",
}
_PAYMENT_UNITS = frozenset(("MON", "ANN", "WEE", "DAY", "MTH"))
_PAYMENT_WORDS = re.compile(r"month|lease|payment|/\s*mo\b|weekly|installment|finance", re.I)
_TOTAL_WORDS = re.compile(r"\btotal\b|with\s+fees|out[\s-]the[\s-]door|drive[\s-]?off", re.I)
_NOT_LETTERS = re.compile(r"[^a-z0-9]")
_NOT_ASKED = frozenset(("listprice", "msrp", "strikethroughprice", "invoiceprice", "minimumadvertisedprice"))


def types_of(node: dict) -> set[str]:
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).rsplit("/", 1)[-1].rsplit(":", 1)[-1].lower() for k in kinds if k}


def jsonld_blocks(html: str) -> tuple[list, list[dict]]:
    """The parsed JSON-LD blocks of a page, and a skipped entry for each block that does not parse."""
    blocks, skipped = [], []
    for script in iter_scripts(html):
        if script.type != "application/ld+json":
            continue
        text = unwrap(script.text)
        try:
            blocks.append(safe_json.loads_forgiving(text))
        except ValueError as error:
            unclosed = "" if script.closed else " (its script is never closed)"
            skipped.append(
                {
                    "reason": f"JSON-LD block does not parse{unclosed}: {str(error)[:120]}",
                    "entry": " ".join(text[:80].split()),
                }
            )
    return blocks, skipped


def vehicle_nodes(data) -> list[tuple[dict, dict]]:
    """(vehicle node, context) in document order, walked iteratively. The context holds the
    Offer the node was found in ("offer") and the url of its ListItem ("url"), if any."""
    found, pending = [], [(data, {})]
    while pending:
        item, context = pending.pop()
        if isinstance(item, list):
            pending.extend((child, context) for child in reversed(item))
            continue
        if not isinstance(item, dict):
            continue
        kinds = types_of(item)
        if kinds & VEHICLE_TYPES:
            found.append((item, context))
            continue
        inner = _inner_context(item, kinds, context)
        children = [value for value in item.values() if isinstance(value, (dict, list))]
        pending.extend((child, inner) for child in reversed(children))
    return found


def _inner_context(node: dict, kinds: set[str], context: dict) -> dict:
    if "offer" in kinds or "aggregateoffer" in kinds:
        return {**context, "offer": node}
    if "listitem" in kinds and isinstance(node.get("url"), str):
        return {**context, "url": node["url"]}
    return context


def _first(value, read):
    """`read` applied to a value, or to the items of a list until one gives something."""
    for item in value if isinstance(value, list) else [value]:
        found = read(item)
        if found not in (None, ""):
            return found
    return None


def _plain_name(value):
    if isinstance(value, dict):
        return value.get("name") or value.get("@value") or value.get("value")
    return None if isinstance(value, list) else value


def _plain_quantity(value):
    if isinstance(value, dict):
        return value.get("value", value.get("@value"))
    return None if isinstance(value, list) else value


def _name(value):
    """A property's text: a string or number as is, a Thing's name, a list's first such value."""
    return _first(value, _plain_name)


def _quantity(value):
    return _first(value, _plain_quantity)


def _plain_string(value):
    return value if isinstance(value, str) else None


def _images(image) -> list:
    urls = []
    for item in image if isinstance(image, list) else [image]:
        if isinstance(item, dict):
            item = _first(item.get("contentUrl") or item.get("url"), _plain_string)
        if isinstance(item, str):
            urls.append(item)
    return urls


def _payment_or_total(thing: dict) -> str | None:
    """Why an Offer or PriceSpecification is not the vehicle's price, or None when it is."""
    quantity = thing.get("referenceQuantity")
    unit = quantity.get("unitCode") if isinstance(quantity, dict) else thing.get("unitCode")
    words = " ".join(
        str(thing.get(k, ""))
        for k in ("name", "description", "priceType", "unitText", "businessFunction", "@type")
    )
    periodic = str(unit or "").upper() in _PAYMENT_UNITS or thing.get("billingDuration")
    if periodic or _PAYMENT_WORDS.search(words):
        return "is a payment"
    if _TOTAL_WORDS.search(words):
        return "is a total with fees"
    return None


def _dicts(value) -> list[dict]:
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, dict)]


def _all_offers(offers) -> list[dict]:
    """The offers in order, those inside an AggregateOffer's `offers` right after it (no recursion)."""
    flat, pending = [], list(reversed(_dicts(offers)))
    while pending:
        offer = pending.pop()
        flat.append(offer)
        if isinstance(offer.get("offers"), (dict, list)):
            pending.extend(reversed(_dicts(offer["offers"])))
    return flat


def offer_price(offers) -> tuple[object, str | None]:
    """The first plain price among the offers (object or list, AggregateOffer and priceSpecification
    too), and why offers were passed over when none was plain."""
    passed_over = None
    for offer in _all_offers(offers):
        price = offer.get("price", offer.get("lowPrice"))
        why = _payment_or_total(offer) or _specified_as_payment(offer.get("priceSpecification"), price)
        if why is None and price in (None, ""):
            price, why = _specification_price(offer.get("priceSpecification"))
        if why is None and price not in (None, ""):
            return price, None
        passed_over = passed_over or why
    return None, passed_over


def _specified_as_payment(specifications, price) -> str | None:
    """Why an offer's own price is a payment or total by its priceSpecification (None if it is not)."""
    if price in (None, ""):
        return None
    for specification in _dicts(specifications):
        why = _payment_or_total(specification)
        if why and specification.get("price", price) == price:
            return why
    return None


def _specification_price(specifications) -> tuple[object, str | None]:
    """The price the specifications ask: a SalePrice over a ListPrice, MSRP or struck-through price
    (schema.org's priceType), else the first plain one."""
    passed_over, plain = None, []
    for specification in _dicts(specifications):
        why = _payment_or_total(specification)
        if why:
            passed_over = passed_over or why
        elif specification.get("price") not in (None, ""):
            plain.append(specification)
    if not plain:
        return None, passed_over
    kinds = [str(spec.get("priceType", "")).rsplit("/", 1)[-1].lower() for spec in plain]
    asked = [spec for spec, kind in zip(plain, kinds, strict=True) if kind == "saleprice"]
    asked = asked or [spec for spec, kind in zip(plain, kinds, strict=True) if kind not in _NOT_ASKED]
    return (asked or plain)[0]["price"], None


def _properties(record: Record, node: dict) -> None:
    for prop in _dicts(node.get("additionalProperty")):
        name = _NOT_LETTERS.sub("", str(prop.get("name") or prop.get("propertyID") or "").lower())
        if name in PROPERTY_FIELDS:
            record.set(PROPERTY_FIELDS[name], _quantity(prop.get("value")))


def record_from_node(node: dict, context: dict, label: str) -> Record:
    record = Record(label)
    direct = {
        "vin": _name(node.get("vehicleIdentificationNumber")),
        "stock_number": _name(node.get("sku") or node.get("stockNumber")),
        "year": _name(node.get("vehicleModelDate") or node.get("modelDate")),
        "make": _name(node.get("brand") or node.get("manufacturer")),
        "model": _name(node.get("model")),
        "trim": _name(node.get("vehicleConfiguration")),
        "mileage": _quantity(node.get("mileageFromOdometer")),
        "exterior_color": _name(node.get("color")),
        "detail_url": _name(node.get("url")) or context.get("url") or _offer_url(node.get("offers")),
        "title": _name(node.get("name")),
    }
    if direct["make"] and _is_product_only(node) and not known_make(str(direct["make"])):
        direct["make"] = None  # a shop's Product names the shop as its brand: the title has the make
    for name, value in direct.items():
        record.set(name, value)
    _properties(record, node)
    _from_description(record, node.get("description"))
    price, why = offer_price(node.get("offers") if node.get("offers") is not None else context.get("offer"))
    record.set("price", price)
    if why and "price" not in record.values:
        record.notes.append(f"the offer {why}: no price")
    record.photos = _images(node.get("image"))
    return record


_PRODUCT_TYPES = frozenset(("product", "individualproduct", "someproducts"))
_VIN_IN_TEXT = re.compile(r"\b[A-HJ-NPR-Z0-9]{17}\b")
_MILES_IN_TEXT = re.compile(r"\b(\d{1,3}(?:,\d{3})+|\d{1,6})\s*(?:miles|mi)\b", re.I)


def _offer_url(offers) -> str | None:
    """The page an offer is made on (a detail page's Car often has its URL only there)."""
    return next((offer["url"] for offer in _dicts(offers) if isinstance(offer.get("url"), str)), None)


def _is_product_only(node: dict) -> bool:
    return bool(types_of(node)) and types_of(node) <= _PRODUCT_TYPES


def _from_description(record: Record, description) -> None:
    """A VIN (with a valid check digit) and the miles a description states, where no field gave them."""
    if not isinstance(description, str) or not description:
        return
    if "vin" not in record.values:
        record.set("vin", next((v for v in _VIN_IN_TEXT.findall(description) if is_valid_vin(v)), None))
    if "mileage" not in record.values and (miles := _MILES_IN_TEXT.search(description)):
        record.set("mileage", miles[1])


def read_jsonld(html: str, label: str) -> SourceResult:
    result = SourceResult()
    blocks, result.skipped = jsonld_blocks(html)
    for block in blocks:
        result.records += [record_from_node(node, context, label) for node, context in vehicle_nodes(block)]
    return result
