"""Discovery in a page's HTML: repeated cards (or table rows) that each hold a vehicle.

Sibling elements of one shape (same tag, same first class) are a candidate group; a member counts
when it holds a VIN with a valid check digit, or a link to a page together with a price. For the
best groups a selector is built, and each field's spec is chosen by trying the candidates the cards
offer (data-* attributes, class names, labelled values such as `Mileage: 12,345 mi`, table columns
under their headers, text patterns) on every card and keeping the one whose values pass that field's
judge (values.py) on the most cards. A page of one vehicle (a detail page) is one card: the page.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..extraction.cards import (
    BACKGROUND_ATTRIBUTES,
    FULL_SIZE_ATTRIBUTES,
    LINKED_PHOTO,
    labelled_value,
    listed_items,
    record_from_card,
)
from ..extraction.fields import absolute_url
from ..extraction.html_tree import Node
from ..extraction.selectors import select, simple_selector
from .synonyms import LABELS, field_for_class, field_for_key
from .values import good, image_url, page_url, valid_vin

VIN_IN_TEXT = re.compile(r"(?<![A-Za-z0-9])([A-HJ-NPR-Za-hj-npr-z0-9]{17})(?![A-Za-z0-9])")
_VIN_REGEX = r"(?<![A-Za-z0-9])([A-HJ-NPR-Za-hj-npr-z0-9]{17})(?![A-Za-z0-9])"
_CURRENCY = re.compile(r"[$€£]\s*\d|\d[\d.,\s\u00a0\u202f]*\s*(?:€|\$|EUR\b|USD\b)")
# An image's attributes, largest copy first: a zoom plugin's full size (on the image or its link),
# a lazy srcset's largest candidate, the lazy loaders' own attributes, then what the browser shows.
LAZY_ATTRIBUTES = [
    *FULL_SIZE_ATTRIBUTES,
    LINKED_PHOTO,
    "data-lazy-srcset",
    "data-srcset",
    "data-src",
    "data-lazy-src",
    "data-lazy",
    "data-original",
    "srcset",
    "src",
]
# Where a card or a gallery shows a photo: an image, a CSS background (`style`, `data-bg`), or a
# lightbox's link to the full-size file (`<a class="fancybox" href="2.jpg">`, often hidden).
PHOTO_ELEMENTS = (
    "img, [style*='background'], [data-bg], [data-background], [data-background-image], "
    + ", ".join(f"a[href$='.{ext}' i]" for ext in ("jpg", "jpeg", "png", "webp"))
)
PHOTO_ATTRIBUTES = [*LAZY_ATTRIBUTES, *BACKGROUND_ATTRIBUTES, "style"]
_AMOUNT = r"(?:[$€£]\s*\d[\d.,\u00a0\u202f ]*\d|\d[\d.,\u00a0\u202f ]*\d\s*(?:€|\$))"
PATTERNS = {  # unlabelled values: the weakest candidates
    # the first amounts with the words around them, so the price rules see "$389/mo", "Total: ...",
    # or "MSRP $52,695 e-Price $47,888" (the price asked, not the list price before it)
    "price": rf"((?:[^\d$€£]{{0,24}}){_AMOUNT}(?:[^\d$€£]{{0,40}}{_AMOUNT}){{0,5}}(?:[^\d$€£]{{0,14}}))",
    # "52,310 mi", "61 250 km", "32.1K mi" (not "$17,495 52,310 mi": a space only between thousands)
    "mileage": r"(?i)((?:\d{1,3}(?:[.,\u00a0\u202f ]\d{3})+|\d+(?:\.\d+)?)\s*k?)\s*(?:mi|miles|km|kms)\b",
    "vin": _VIN_REGEX,
    "year": r"(?<!\d)((?:19[5-9]|20[0-4])\d)(?!\d)",
}
MIN_MEMBERS = 2
SAMPLE = 20
GROUPS_TRIED = 3
_CLASS_OK = re.compile(r"-?[_a-zA-Z][-_a-zA-Z0-9]*")
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_GALLERY = re.compile(r"gallery|photos|slides|slider|carousel|swiper|images|media", re.I)


@dataclass
class CardGroup:
    selector: str | None  # None: the whole page is one vehicle's card
    members: list
    evidenced: int
    fields: dict = field(default_factory=dict)
    rules: dict = field(default_factory=dict)
    placeholders: list = field(default_factory=list)
    vin: str | None = None  # a single vehicle page's VIN (page_vin)

    def to_source(self) -> dict:
        return {"kind": "cards", "selector": self.selector, "fields": dict(self.fields)}


def _elements(node) -> list:
    return [child for child in node.children if type(child) is Node]


def _classes(node) -> list[str]:
    value = node.attrs.get("class") or ""
    return [c for c in value.split() if _CLASS_OK.fullmatch(c)]


def _attribute_text(node) -> str:
    parts = [v for k, v in node.attrs.items() if k not in ("class", "style")]
    for element in node.descendants:
        parts += [v for k, v in element.attrs.items() if k not in ("class", "style", "src", "srcset")]
    return " ".join(parts)


def _links(node) -> list[str]:
    links = [node] if node.name == "a" else []
    links += [e for e in node.descendants if e.name == "a"]
    return [e.attrs["href"] for e in links if page_url(e.attrs.get("href"))]


def is_evidenced(node) -> bool:
    """A VIN with a valid check digit, or a link to a page and a price."""
    text = node.get_text(" ")
    found = VIN_IN_TEXT.findall(text + " " + _attribute_text(node))
    if any(valid_vin(candidate) for candidate in found):
        return True
    return bool(_links(node)) and bool(_CURRENCY.search(text))


def _groups(tree) -> list[tuple[Node, list, bool]]:
    """(parent, members, mixed): children of one parent sharing a tag and first class; and, where
    such children of one tag differ in class (table rows `odd`/`even`), all of that tag (mixed)."""
    found = []
    pending = [tree]
    while pending:
        parent = pending.pop()
        children = _elements(parent)
        pending += children
        by_shape: dict[tuple, list] = {}
        by_tag: dict[str, list] = {}
        for child in children:
            if child.name in _NOT_CARDS:
                continue
            classes = _classes(child)
            by_shape.setdefault((child.name, classes[0] if classes else None), []).append(child)
            by_tag.setdefault(child.name, []).append(child)
        found += [(parent, members, False) for members in by_shape.values() if len(members) >= MIN_MEMBERS]
        shapes = Counter(name for name, _ in by_shape)
        found += [(parent, by_tag[name], True) for name, count in shapes.items() if count > 1]
    return found


_NOT_CARDS = frozenset(("script", "style", "noscript", "option", "br", "img", "input", "meta", "link"))


# Containers whose own class names their rows (`table.invtable > tr`); a div's class may be a layout
# class that other containers share (`div.row > div`), so a div is named from an ancestor above it.
_LIST_CONTAINERS = frozenset(("table", "tbody", "ul", "ol", "dl"))


def _ancestor_selector(node) -> str | None:
    """A simple selector for `node` from its nearest ancestor with an id or a class, child steps after."""
    steps, current = [], node
    for _ in range(6):
        if current is None or current.name == "#document":
            return None
        if current.attrs.get("id") and _CLASS_OK.fullmatch(current.attrs["id"]):
            return " > ".join([f"{current.name}#{current.attrs['id']}", *reversed(steps)])
        classes = _classes(current)
        if classes and (current is not node or node.name in _LIST_CONTAINERS):
            return " > ".join([f"{current.name}.{classes[0]}", *reversed(steps)])
        steps.append(current.name)
        current = current.parent
    return None


def _selector(parent, members: list, mixed: bool = False) -> str | None:
    first = members[0]
    classes = _classes(first)
    if classes and not mixed:
        return f"{first.name}.{classes[0]}"
    common = set.intersection(*(set(m.attrs) for m in members)) - {"class", "style", "id"}
    data = sorted(a for a in common if a.startswith("data-") and _CLASS_OK.fullmatch(a))
    if data:
        return f"{first.name}[{data[0]}]"
    parent_selector = _ancestor_selector(parent)
    return f"{parent_selector} > {first.name}" if parent_selector else None


# --- candidate specs, strongest kind first -------------------------------------------------------


def _spec(selector=None, attr=(), regex=None, **extra) -> dict:
    return {"selector": selector, "attr": list(attr), "regex": regex, "type": None, "all": False, **extra}


def _photo_list(value) -> bool:
    """Whether an attribute lists photo addresses: a JSON array (`data-photos='["https://.../1.jpg"]'`)
    or two or more separated ones (one address alone is an image's own attribute, `data-src`)."""
    items = listed_items(value) if isinstance(value, str) and len(value) > 10 else []
    listed = len(items) >= 2 or (len(items) == 1 and value.lstrip().startswith("["))
    return listed and all(image_url(item) for item in items)


def _attribute_candidates(member):
    for name, value in member.attrs.items():
        if name.startswith("data-") and _photo_list(value):
            yield "photos", (0, 0), _spec(attr=[name], type="list"), f"the photos the card lists in {name}"
        elif (found := field_for_key(name)) and name.startswith("data-"):
            yield found[0], (0, found[1]), _spec(attr=[name]), f"the card's attribute {name}"
        elif name.startswith("data-") and valid_vin(value):
            yield "vin", (0, 9), _spec(attr=[name]), f"the card's attribute {name} (it holds a VIN)"
    for element in member.descendants:
        for name, value in element.attrs.items():
            if not (name.startswith("data-") and _CLASS_OK.fullmatch(name)):
                continue
            if _photo_list(value):
                where = f"the photos listed in attribute {name} inside the card"
                yield "photos", (1, 0), _spec(f"[{name}]", [name], type="list"), where
            elif found := field_for_key(name):
                yield found[0], (1, found[1]), _spec(f"[{name}]", [name]), f"attribute {name} inside the card"
            elif valid_vin(value):
                yield "vin", (1, 9), _spec(f"[{name}]", [name]), f"attribute {name} inside the card (a VIN)"


def _class_candidates(member):
    for element in member.descendants:
        for cls in _classes(element):
            if not (found := field_for_class(cls)):
                continue
            name, rank = found
            where = f"the text of .{cls}"
            if name in ("stock_number", "vin"):
                regex = (
                    _VIN_REGEX
                    if name == "vin"
                    else rf"(?i)(?:{LABELS['stock_number']})\s*[:#.]?\s*([A-Z0-9][A-Z0-9-]*)"
                )
                yield name, (2, rank), _spec(f".{cls}", regex=regex), where + " (after its label)"
            if name == "photos":
                yield (
                    name,
                    (2, rank),
                    _spec(photos_in(f".{cls}"), PHOTO_ATTRIBUTES, all=True),
                    f"images in .{cls}",
                )
                continue
            if name == "detail_url":
                yield name, (2, rank), _spec(f"a.{cls}", ["href"], type="url"), f"links a.{cls}"
                continue
            yield name, (2, rank), _spec(f".{cls}"), where
            if name in LABELS:
                after_label = rf"(?i)^\s*(?:{LABELS[name]})\s*[:#.]?\s*(.+)$"
                yield name, (2, rank), _spec(f".{cls}", regex=after_label), where + " (after its label)"


def _labelled(name: str, label: str) -> dict:
    """The spec of the value after a label; a VIN is its first VIN-shaped word ("VIN: X &nbsp; Stock: Y")."""
    return _spec(label=label, regex=_VIN_REGEX if name == "vin" else None)


def _label_candidates():
    for name, label in LABELS.items():
        yield name, (3, 0), _labelled(name, label), f"the value after a label matching /{label}/"


def _heading_candidates(member):
    for element in member.descendants:
        if element.name in _HEADINGS:
            yield (
                "title",
                (2, _HEADINGS.index(element.name)),
                _spec(element.name),
                f"the card's {element.name}",
            )
    # An old or hand-made card titles the vehicle in bold, in its link, or only in its photo's alt.
    yield "title", (3, 0), _spec("b, strong"), "the card's bold text"
    yield "title", (3, 1), _spec("a"), "the text of the card's first link"
    yield "title", (4, 1), _spec("img[alt]", ["alt"]), "the alt text of the card's image"


def _link_candidates(member, page_address: str):
    segments = Counter()
    for href in _links(member):
        path = urlsplit(absolute_url(href, page_address) or "").path
        first = next((part for part in path.split("/") if part), None)
        if first and _CLASS_OK.fullmatch(first):
            segments[first] += 1
    for segment, _ in segments.most_common(2):
        yield "detail_url", (1, 0), _spec(f"a[href*='/{segment}/']", ["href"]), f"links under /{segment}/"
    for element in member.descendants:
        if element.name == "a":
            for cls in _classes(element):
                yield "detail_url", (2, 0), _spec(f"a.{cls}", ["href"]), f"links a.{cls}"
            if element.parent is not None and element.parent.name in _HEADINGS:
                heading = element.parent.name
                yield (
                    "detail_url",
                    (2, 1),
                    _spec(f"{heading} a", ["href"]),
                    f"the link in the card's {heading}",
                )
                yield "title", (2, 0), _spec(f"{heading} a"), f"the link text in the card's {heading}"
    yield "detail_url", (4, 0), _spec("a[href]", ["href"]), "the card's first link"
    yield "vin", (4, 0), _spec("a[href], a[data-href]", ["href"], _VIN_REGEX), "a VIN inside the card's link"


def _pattern_candidates():
    for name, pattern in PATTERNS.items():
        yield name, (5, 0), _spec(attr=[], regex=pattern), f"the pattern /{pattern}/ in the card's text"
    yield (
        "photos",
        (3, 0),
        _spec(PHOTO_ELEMENTS, PHOTO_ATTRIBUTES, all=True),
        "the card's images (lazy attributes first, CSS background images too)",
    )


def _table_candidates(members: list):
    """Columns named by the header row of the table the rows are in."""
    table = members[0].parent
    while table is not None and table.name not in ("table", "#document"):
        table = table.parent
    if table is None or table.name != "table":
        return
    header = next(
        (e for e in table.descendants if e.name == "tr" and any(c.name == "th" for c in _elements(e))), None
    )
    if header is None:
        return
    for number, cell in enumerate(_elements(header), 1):
        text = " ".join(cell.get_text(" ").split()).rstrip(":#").strip()
        found = field_for_key(text) or next(
            ((n, 0) for n, label in LABELS.items() if re.fullmatch(rf"(?i)(?:{label})\s*#?", text)), None
        )
        name = (
            found[0]
            if found
            else ("photos" if re.fullmatch(r"(?i)photos?|images?|pictures?", text) else None)
        )
        if name == "photos":
            yield (
                name,
                (0, 0),
                _spec("img", LAZY_ATTRIBUTES, all=True, cell=number),
                f"images in column {text!r}",
            )
        elif name:
            yield name, (0, 0), _spec(cell=number), f"column {text!r}"
    for number in range(1, len(_elements(header)) + 1):
        yield "detail_url", (0, 1), _spec("a", ["href"], cell=number), f"the link in column {number}"


def _candidates(members: list, page_address: str) -> dict:
    found: dict[str, dict[str, tuple]] = {}
    sources = [_table_candidates(members), _label_candidates(), _pattern_candidates()]
    for member in members[:SAMPLE]:
        sources += [
            _attribute_candidates(member),
            _class_candidates(member),
            _heading_candidates(member),
            _link_candidates(member, page_address),
        ]
    for generator in sources:
        for name, rank, spec, why in generator:
            key = repr(sorted(spec.items()))
            found.setdefault(name, {}).setdefault(key, (rank, spec, why))
    return found


def _score(name: str, spec: dict, members: list, page_address: str) -> tuple[int, int]:
    """(cards with a good value, distinct values) for one candidate spec."""
    source = {"fields": {name: spec}}
    values = []
    for member in members[:SAMPLE]:
        record = record_from_card(member, source, "", page_address)
        value = record.photos if name == "photos" else record.values.get(name)
        if name == "photos":
            value = [v for v in value if image_url(v)]
        if value not in (None, "", []) and good(name, value):
            values.append(repr(value))
    return len(values), len(set(values))


def choose_fields(members: list, page_address: str) -> tuple[dict, dict]:
    fields, rules = {}, {}
    needed = max(1, len(members[:SAMPLE]) // 3)
    for name, candidates in _candidates(members, page_address).items():
        best = None
        for rank, spec, why in candidates.values():
            hits, distinct = _score(name, spec, members, page_address)
            if name in ("detail_url", "vin", "stock_number") and hits > 1:
                hits = distinct  # one link or id in every card is a menu, not each vehicle's own
            weak = rank[0] >= 4
            if (
                hits
                and (not weak or hits >= needed)
                and (best is None or (hits, _neg(rank)) > (best[0], _neg(best[1])))
            ):
                best = (hits, rank, spec, why)
        if best:
            fields[name], rules[name] = best[2], f"{best[3]}, in {best[0]} of {len(members[:SAMPLE])} cards"
    return fields, rules


def _neg(rank: tuple) -> tuple:
    return tuple(-part for part in rank)


def repeated_photos(members: list, spec: dict | None, page_address: str) -> list[str]:
    """Image addresses in half the cards or more (a badge, a logo): never one vehicle's photo."""
    if not spec or len(members) < 3:
        return []
    counts = Counter()
    for member in members:
        record = record_from_card(member, {"fields": {"photos": spec}}, "", page_address)
        counts.update(set(record.photos))
    return [url for url, count in counts.items() if count >= max(2, len(members) / 2)]


def card_groups(tree, page_address: str) -> list[CardGroup]:
    """The best groups of cards on the page, with their selectors and field specs."""
    scored = []
    for parent, members, mixed in _groups(tree):
        evidenced = sum(1 for member in members if is_evidenced(member))
        if evidenced >= MIN_MEMBERS:
            scored.append((evidenced, _depth(parent), mixed, parent, members))
    scored.sort(key=lambda entry: (-entry[0], -entry[1], entry[2]))
    groups = []
    for evidenced, _, mixed, parent, members in scored[: GROUPS_TRIED * 2]:
        selector = _selector(parent, members, mixed)
        if not selector or simple_selector(selector) is None:
            continue
        group = CardGroup(selector, members, evidenced)
        group.fields, group.rules = choose_fields([m for m in members if is_evidenced(m)], page_address)
        group.placeholders = repeated_photos(members, group.fields.get("photos"), page_address)
        groups.append(group)
        if len(groups) >= GROUPS_TRIED:
            break
    return groups


def _depth(node) -> int:
    depth = 0
    while node.parent is not None:
        node, depth = node.parent, depth + 1
    return depth


def page_vin(tree, page_address: str) -> str | None:
    """The valid VIN a page shows under a label when the page is about that vehicle: the only valid
    VIN on it, or the one its address names (`/used-2018-honda-cr-v-2HKRW2H51JH123456`), whatever
    other VINs its "similar vehicles" show."""
    labelled = VIN_IN_TEXT.findall(labelled_value(tree, LABELS["vin"]) or "")
    vin = labelled[0].upper() if labelled and valid_vin(labelled[0]) else _data_vin(tree)
    if vin is None:
        return None
    text = tree.get_text(" ")
    vins = {v.upper() for v in VIN_IN_TEXT.findall(text + " " + _attribute_text(tree)) if valid_vin(v)}
    return vin if vins == {vin} or vin in page_address.upper() else None


def _data_vin(tree) -> str | None:
    """The page's one valid `data-vin` (a page that masks the VIN in its text: "1HGCR2F3****23456")."""
    vins = {
        str(element.attrs["data-vin"]).strip().upper()
        for element in tree.descendants
        if element.attrs.get("data-vin") and valid_vin(str(element.attrs["data-vin"]).strip())
    }
    return vins.pop() if len(vins) == 1 else None


def single_vehicle(tree, page_address: str) -> CardGroup | None:
    """A page about one vehicle (its detail page): its VIN shown under a label (page_vin)."""
    vin = page_vin(tree, page_address)
    if vin is None:
        return None
    fields, rules = {}, {}
    for name, label in LABELS.items():
        spec = _labelled(name, label)
        if _score(name, spec, [tree], page_address)[0]:
            fields[name], rules[name] = spec, f"the page's value after a label matching /{label}/"
    for name, spec, why in _page_extras(tree, page_address):
        if name not in fields and _score(name, spec, [tree], page_address)[0]:
            fields[name], rules[name] = spec, why
    if len(set(fields) & {"year", "make", "model", "price", "mileage", "title"}) < 2:
        return None
    return CardGroup(None, [tree], 1, fields, rules, vin=vin)


# A next link's text: "Next", "Next Page ›", "Next »", "Weiter", a lone "›" (arrows and all, in any case).
_NEXT_WORDS = re.compile(
    r"^(?P<words>next(?:\s+page)?|more(?:\s+vehicles|\s+results)?|suivant(?:e)?|siguiente|weiter"
    r"|(?:load|show|view|see)\s+more(?:\s+(?:vehicles|results|cars|inventory))?"
    r"|n[aä]chste(?:\s+seite)?)\s*[›»>→]*$|^[›»>→]{1,2}$",
    re.I,
)
_NEXT_ATTRIBUTES = ("data-next-url", "data-next-page-url", "data-next-href", "data-nexturl")
_NEXT_CLASS = re.compile(r"(?:^|[-_])next(?:$|[-_])", re.I)


def next_page_spec(tree) -> str | None:
    """How the listing links its next page, when not by rel=next: the first link whose class,
    label or text says next, told apart from the page's other links by that class, its
    aria-label or title, or its words (`a:-soup-contains("Next")`): the selector must pick it
    out first, not "Previous" or page 1 beside it."""
    for element in tree.descendants:
        for attribute in _NEXT_ATTRIBUTES:  # a "Load more" button: <button data-next-url="?page=2">
            if page_url(element.attrs.get(attribute)):
                return f"[{attribute}]@{attribute}"
        if element.name != "a" or not page_url(element.attrs.get("href")):
            continue
        for selector in _next_link_selectors(element):
            if selector and select(tree, selector, first_only=True) == [element]:
                return f"{selector}@href"
    return None


def _next_link_selectors(link):
    named = [c for c in _classes(link) if _NEXT_CLASS.search(c)]
    yield f"a.{named[0]}" if named else None
    for attribute in ("aria-label", "title"):
        label = " ".join(str(link.attrs.get(attribute, "")).split())
        if _NEXT_WORDS.match(label) and "'" not in label:
            yield f"a[{attribute}='{label}']"
    words = _NEXT_WORDS.match(" ".join(link.get_text(" ").split()))
    if words and words["words"]:
        yield f"a:-soup-contains('{words['words']}')"


def gallery_container(tree):
    """The selector of the images in the page's gallery container (.gallery, .vdp-carousel, ...),
    the one with most images; None when there is none."""
    galleries, elsewhere = Counter(), set()  # elsewhere: the classes of other vehicles' photos
    for element in tree.descendants:
        if _shows_a_photo(element) and element.parent is not None:
            classes = [
                cls
                for ancestor in (element.parent, element.parent.parent)
                for cls in (_classes(ancestor) if ancestor is not None else [])
            ]
            if _among_other_vehicles(element):
                elsewhere.update(cls for ancestor in _ancestors(element, 4) for cls in _classes(ancestor))
            else:
                galleries.update(cls for cls in classes if _GALLERY.search(cls))
    for cls in elsewhere:  # a class the similar-vehicle carousel shares would take its photos too
        galleries.pop(cls, None)
    if not galleries:
        return None
    return photos_in(f".{galleries.most_common(1)[0][0]}")


def photos_in(scope: str) -> str:
    """The selector of the photo elements inside `scope` (`.gallery img, .gallery [data-bg], ...`)."""
    return ", ".join(f"{scope} {part.strip()}" for part in PHOTO_ELEMENTS.split(","))


_OTHER_VEHICLES = re.compile(r"similar|related|recommend|also[-_]?(?:like|viewed)|recently[-_]?viewed", re.I)


def _ancestors(element, levels: int):
    ancestor = element.parent
    for _ in range(levels):
        if ancestor is None:
            return
        yield ancestor
        ancestor = ancestor.parent


def _among_other_vehicles(element) -> bool:
    """Inside a "similar vehicles" (related, recommended, recently viewed) section of the page."""
    ancestor, steps = element.parent, 0
    while ancestor is not None and steps < 12:
        if any(_OTHER_VEHICLES.search(cls) for cls in _classes(ancestor)) or _OTHER_VEHICLES.search(
            str(ancestor.attrs.get("id", ""))
        ):
            return True
        ancestor, steps = ancestor.parent, steps + 1
    return False


def _shows_a_photo(element) -> bool:
    if element.name == "img":
        return True
    style = element.attrs.get("style")
    return bool(style and "url(" in style) or any(element.attrs.get(a) for a in BACKGROUND_ATTRIBUTES)


def _page_extras(tree, page_address: str):
    yield "title", _spec("h1"), "the page's h1"
    yield "vin", _spec("[data-vin]", ["data-vin"]), "the page's data-vin"
    yield "detail_url", _spec("link[rel=canonical]", ["href"]), "the page's canonical link"
    for element in tree.descendants:
        for cls in _classes(element):
            found = field_for_class(cls)
            if found and found[0] in ("price", "mileage", "exterior_color", "stock_number"):
                yield found[0], _spec(f".{cls}"), f"the text of .{cls}"
    if selector := gallery_container(tree):
        yield "photos", _spec(selector, PHOTO_ATTRIBUTES, all=True), f"images in {selector.split()[0]}"
