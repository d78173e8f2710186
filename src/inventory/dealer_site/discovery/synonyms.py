"""The names dealer sites give our fields: JSON keys, data-* attributes, class names and labels.

Keys are compared in a folded form (`fold`): accents stripped, lower case, letters and digits only,
a leading "vehicle"/"car" and a trailing "name"/"value"/"text" dropped, so `vehicleVin`, `stock_no`,
`make_name`, `data-ext-color` and `año` meet the table below. Each field's names are in order of
preference: a page with both `salePrice` and `price` gives the sale price.
"""

from __future__ import annotations

import re
import unicodedata

KEY_NAMES: dict[str, tuple[str, ...]] = {
    "vin": ("vin", "vinnumber", "identificationnumber", "bastidor", "numerobastidor", "chassisnumber"),
    "stock_number": (
        "stocknumber",
        "stockno",
        "stock",
        "stocknum",
        "stocknr",
        "stockid",
        "stk",
        "stockcode",
        "referencia",
        "reference",
        "refno",
        "ref",
    ),
    "year": ("modelyear", "year", "yr", "ano", "annee", "anio", "jahr", "baujahr", "millesime"),
    "make": ("make", "brand", "manufacturer", "marque", "marca", "marke"),
    "model": ("model", "modele", "modelo", "modell"),
    "trim": ("trim", "trimlevel", "series", "variant", "version", "finition", "edition", "grade"),
    "price": (
        "finalprice",
        "pricefinal",
        "saleprice",
        "pricesale",
        "internetprice",
        "priceinternet",
        "ourprice",
        "sellingprice",
        "specialprice",
        "advertisedprice",
        "askingprice",
        "currentprice",
        "displayprice",
        "priceamount",
        "price",
        "prix",
        "precio",
        "preis",
        "prezzo",
        "prices",  # an object of prices: its `final`, `sale` or `advertised` (VALUE_KEYS)
        "pricing",
    ),
    "mileage": (
        "mileage",
        "odometer",
        "mileagemiles",
        "miles",
        "km",
        "kms",
        "kilometers",
        "kilometres",
        "kilometros",
        "kilometrage",
        "kilometraje",
        "kilometerstand",
        "odometerreading",
    ),
    "exterior_color": (
        "exteriorcolor",
        "extcolor",
        "colorexterior",
        "exteriorcolour",
        "exterior",
        "ext",
        "color",
        "colour",
        "couleur",
        "farbe",
        "paint",
    ),
    "detail_url": (
        "vdpurl",
        "vdppath",
        "detailurl",
        "detailsurl",
        "detailpath",
        "detailspath",
        "vehicleurl",
        "vehiclepath",
        "vehiclelink",
        "detaillink",
        "detailslink",
        "vdplink",
        "vdp",
        "permalink",
        "pageurl",
        "url",
        "link",
        "href",
        "detail",
        "details",
        "canonicalurl",
        "path",
        "slug",  # Gatsby's `fields.slug`: "/inventory/2021-toyota-rav4-pw1414/"
    ),
    "photos": (
        "photos",
        "images",
        "photourls",
        "imageurls",
        "pictures",
        "gallery",
        "media",
        "fotos",
        "imagenes",
        "photolist",
        "imagelist",
        "pics",
        "galleryimages",
        "photo",
        "image",
        "imageurl",
        "photourl",
        "mainimage",
        "primaryimage",
        "mainphoto",
        "primaryphoto",
        "thumbnail",
        "picture",
    ),
    "title": ("title", "heading", "headline", "displayname", "titre", "titulo", "name"),
    "featured": ("featured", "isfeatured", "special", "isspecial", "spotlight", "isspotlight", "highlighted"),
}
# Keys beside a field's key that hold its value when the field's key names an object
# (`price: {display: ...}`, `color: {exterior: ...}`), best first.
VALUE_KEYS = (
    "value",
    "amount",
    "final",
    "sale",
    "advertised",
    "internet",
    "display",
    "formatted",
    "text",
    "raw",
    "name",
    "label",
    "exterior",
    "ext",
    "miles",
    "km",
)
# Where a photo's address sits inside a photo object, the largest size first.
PHOTO_KEYS = (
    "original",
    "full",
    "fullsize",
    "large",
    "xlarge",
    "xl",
    "lg",
    "big",
    "zoom",
    "hd",
    "hires",
    "highres",
    "url",
    "src",
    "href",
    "uri",
    "path",
    "link",
    "medium",
    "image",
    "photo",
    "file",
)
# Never our price, our colour or a vehicle value at all.
NOT_OUR_FIELD = re.compile(
    r"msrp|retail|original|was|old|list|strike|payment|monthly|lease|finance|down|interior|int|"
    r"tax|fee|savings|discount|rebate|similar|recent|related|dealer|label|icon|badge|logo"
)

# Labels a page writes before a value ("Mileage: 12,345 mi", "Stock #", "Kilométrage :").
LABELS: dict[str, str] = {
    "vin": r"vin(?:\s*(?:#|no\.?|number))?|niv|n°\s*de\s*s[ée]rie|bastidor|n[úu]mero\s+de\s+bastidor|fin",
    "stock_number": r"stock(?:\s*(?:#|no\.?|number|num\.?))?|stk\.?\s*#?|r[ée]f(?:[ée]rence)?\.?"
    r"|(?:n[°o]|num[ée]ro|#)\s*(?:de\s+|d')?(?:stock|inventaire)"
    r"|referencia|ref\.?|interne\s+nummer|fahrzeugnummer|angebotsnummer|bestandsnummer",
    "year": r"(?:model\s+)?year|ann[ée]e|a[ñn]o|millésime|baujahr",
    "make": r"make|brand|marque|marca|marke|hersteller",
    "model": r"model|mod[èe]le|modelo",
    "trim": r"trim(?:\s+level)?|finition|versi[óo]n",
    "price": r"(?:our|sale|internet|selling|your|special|final|asking|cash|e-?|today'?s|now)?\s*price"
    r"|prix|precio|preis",
    "mileage": r"mileage|odometer|miles|kilom[ée]trage|kilometraje|kil[óo]metros|km"
    r"|kilometerstand|laufleistung",
    "exterior_color": r"ext(?:erior|\.)?\s*(?:colou?r)?|"
    r"colou?r(?:\s+ext(?:erior|\.)?)?|couleur(?:\s+ext(?:[ée]rieure|\.)?)?|color\s+exterior",
}

_DROP = re.compile(r"[^a-z0-9]")
_AFFIXES = re.compile(r"^(?:vehicle|car|veh|unit)(?=.)|(?<=.)(?:name|value|text|str|display)$")


def fold(name: str) -> str:
    """`vehicleVin` -> "vin", `data-ext-color` -> "extcolor", `año` -> "ano"."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().lower()
    if text.startswith("data-"):
        text = text[5:]
    folded = _DROP.sub("", text)
    return _AFFIXES.sub("", folded) if len(folded) > 4 else folded


_BY_NAME: dict[str, tuple[str, int]] = {}
for _field, _names in KEY_NAMES.items():
    for _rank, _name in enumerate(_names):
        _BY_NAME.setdefault(_name, (_field, _rank))


def field_for_key(name: str) -> tuple[str, int] | None:
    """(field, rank: lower is preferred) a key or attribute name stands for, or None."""
    folded = fold(name)
    if folded in _BY_NAME:
        return _BY_NAME[folded]
    raw = _DROP.sub("", unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().lower())
    return _BY_NAME.get(raw)


def field_for_class(class_name: str) -> tuple[str, int] | None:
    """The field a class names (`car-result__price`, `vehicle-mileage`, `now`), from its last words."""
    words = [w for w in re.split(r"[-_]+", class_name.lower()) if w]
    if not words or any(NOT_OUR_FIELD.fullmatch(w) for w in words):
        return None
    if words[-1] in ("now", "sale"):
        return ("price", 0)
    for size in (3, 2, 1):
        if len(words) >= size and (found := field_for_key("".join(words[-size:]))):
            return found
    return None
