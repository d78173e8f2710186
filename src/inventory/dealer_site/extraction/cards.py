"""The `cards` source (one vehicle per HTML element matching a selector) and FIELD_SPECs on HTML.

A FIELD_SPEC (normalised by profiles.load_profile) is
`{"selector": ".price" | None, "attr": ["data-src", "src"], "regex": "...", "type": "int", "all": False}`:
the elements matching the selector inside the card (None: the card itself), the first attribute
present (none listed: the element's text), the regex's group, the type. `srcset` attributes give
their largest candidate.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html import unescape

from ... import safe_json
from .fields import IMAGE_FILE, absolute_url, clean_text, read_bool
from .html_tree import VOID_ELEMENTS, Node
from .numbers import parse_number, whole_number
from .records import Record, SourceResult
from .scripts import decoded_attributes, iter_start_tags
from .selectors import MAX_ANCESTOR_STEPS, descendant_elements, select, select_each, simple_selector

MAX_CARDS = 10_000
_SRCSET_SPLIT = re.compile(r",\s+|(?<=\d[wx]),")


@lru_cache(maxsize=256)
def compiled_regex(pattern: str):
    return re.compile(pattern)


def largest_in_srcset(value: str) -> str | None:
    """The candidate of a srcset with the largest width (or density) descriptor."""
    best, best_size = None, -1.0
    for url, descriptor in srcset_candidates(value):
        size = parse_number(descriptor[:-1]) or 0
        if size > best_size:
            best, best_size = url, size
    return best


def apply_spec(value, spec: dict, page_url: str):
    """A value with the spec's regex (one group; no match = no value) and type applied."""
    if value is None:
        return None
    if spec.get("regex"):
        match = compiled_regex(spec["regex"]).search(str(value))
        if not match:
            return None
        value = match[1] if match.groups() else match[0]
    kind = spec.get("type")
    if kind == "int":
        return whole_number(parse_number(value))
    if kind == "number":
        return parse_number(value)
    if kind == "bool":
        return read_bool(value)
    if kind == "url":
        return absolute_url(value, page_url)
    if kind == "text" or isinstance(value, str):
        return clean_text(value)
    return value


TEXT = "#text"  # in an attribute list: the element's own text
LINKED_PHOTO = "#linked"  # in an attribute list: the full-size photo the element (or its link) points to
# Where a gallery keeps a thumbnail's full-size copy: zoom and lightbox plugins' attributes
FULL_SIZE_ATTRIBUTES = (
    "data-zoom-image",
    "data-zoom",
    "data-zoom-src",
    "data-full",
    "data-full-src",
    "data-fullsize",
    "data-large",
    "data-large-src",
    "data-large-image",
    "data-hires",
    "data-highres",
)


def linked_photo(element) -> str | None:
    """The full-size photo behind a thumbnail: a zoom attribute of the element or of the link around
    it, or that link's address when it is an image file (a lightbox's `<a href="big.jpg"><img>`)."""
    parent = getattr(element, "parent", None)
    for node in (element, parent) if getattr(parent, "name", None) == "a" else (element,):
        value = next((node.get(a) for a in FULL_SIZE_ATTRIBUTES if (node.get(a) or "").strip()), None)
        href = node.get("href") if node.name == "a" else None
        if value or (href and IMAGE_FILE.search(href.strip())):
            return (value or href).strip()
    return None


def _element_value(element, attrs: list[str]):
    if not attrs:
        return clean_text(element.get_text(" "))
    for name in attrs:
        if name == LINKED_PHOTO:
            value = linked_photo(element)
        else:
            value = clean_text(element.get_text(" ")) if name == TEXT else element.get(name)
        if isinstance(value, list):
            value = " ".join(value)
        if value and value.strip():
            if name == "style" or name in BACKGROUND_ATTRIBUTES:
                value = background_url(value)  # None when the style holds no image: try the next
                if value is None:
                    continue
            value = largest_in_srcset(value) if "srcset" in name else value
            if name in PICTURE_IMAGE_ATTRIBUTES and getattr(element.parent, "name", None) == "picture":
                return largest_in_picture(element, value)
            return value
    return None


# An image's own attributes (not one a profile names for a full-size copy): inside a <picture>, the
# picture's <source> candidates may hold larger sizes of the same photo.
PICTURE_IMAGE_ATTRIBUTES = frozenset(("src", "srcset", "data-src", "data-srcset", "data-lazy-src"))
_SOURCE_SETS = ("srcset", "data-srcset")
_NEWER_FORMAT = re.compile(r"\.(?:webp|avif)(?:[?#]|$)", re.I)


def largest_in_picture(image, fallback: str) -> str:
    """The largest candidate of the <picture> an <img> is in: by width descriptor when any candidate
    has one, else by density; of equal sizes a JPEG or PNG before WebP or AVIF (what the vehicle-ad
    feeds take), else the first. A <source> without descriptors beats the <img>'s `src` (the fallback
    the browser shows when no source applies is usually the smallest)."""
    candidates = []  # (unit, size, order, url)
    for child in image.parent.children:
        if getattr(child, "name", None) not in ("source", "img") or (
            child.name == "img" and child is not image
        ):
            continue
        value = next((child.get(a) for a in _SOURCE_SETS if (child.get(a) or "").strip()), None)
        for url, descriptor in srcset_candidates(value or ""):
            candidates.append((descriptor[-1:], parse_number(descriptor[:-1]) or 0, -len(candidates), url))
    if not candidates:
        return fallback
    widths = [c for c in candidates if c[0] == "w"]
    return max(widths or candidates, key=lambda c: (c[1], not _NEWER_FORMAT.search(c[3]), c[2]))[3]


def srcset_candidates(value: str) -> list[tuple[str, str]]:
    """(URL, descriptor) of each srcset candidate; "1x" for one written without."""
    found = []
    for candidate in _SRCSET_SPLIT.split(value.strip()):
        parts = candidate.split()
        if parts:
            descriptor = parts[1] if len(parts) > 1 and parts[1][-1:] in ("w", "x") else "1x"
            found.append((parts[0].rstrip(","), descriptor))
    return found


BACKGROUND_ATTRIBUTES = ("data-bg", "data-background", "data-background-image")
_BACKGROUND_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""", re.I)


def background_url(value: str) -> str | None:
    """The image of `style="background-image: url('a.jpg')"` (or of `data-bg="url(a.jpg)"` / `"a.jpg"`)."""
    found = _BACKGROUND_URL.search(value)
    if found:
        return found[2].strip()
    text = value.strip()
    return text if ":" not in text.split("/")[0] or text.startswith(("http:", "https:")) else None


def _alternatives(spec: dict) -> bool:
    """A selector with alternatives ("a, b"): the first element that gives a value wins, not simply
    the first element."""
    return "," in (spec.get("selector") or "")


def spec_values(scope, spec: dict, page_url: str, every: bool = False) -> list:
    """The spec's values inside `scope` (all matches when `every` or the spec says `all`)."""
    many = every or spec.get("all", False)
    selector = spec.get("selector")
    first_only = not many and not _alternatives(spec)
    elements = select(scope, selector, first_only=first_only) if selector else [scope]
    return _values(elements, spec, page_url, many)


# Between the items of a list written in one attribute: a bar, a semicolon, or a comma before an address
_LIST_SEPARATOR = re.compile(r"\s*[|;]\s*|\s*,\s*(?=https?:|//|/)")


def listed_items(value) -> list[str]:
    """The items of a list an attribute holds: a JSON array of texts (`data-photos='["a.jpg", ...]'`),
    or texts separated by bars, semicolons or commas before each address."""
    text = value.strip() if isinstance(value, str) else ""
    if text.startswith("["):
        try:
            items = safe_json.loads(text)
        except ValueError:
            return []
        return [item for item in items if isinstance(item, str)] if isinstance(items, list) else []
    return [item for item in _LIST_SEPARATOR.split(text) if item]


def _values(elements: list, spec: dict, page_url: str, many: bool) -> list:
    values, listed = [], spec.get("type") == "list"
    for element in elements:
        raw = _element_value(element, spec.get("attr") or [])
        for item in listed_items(raw) if listed else (raw,):
            value = apply_spec(item, spec, page_url)
            if value not in (None, ""):
                values.append(value)
                if not many:
                    return values
    return values


def reads_a_start_tag(spec: dict) -> bool:
    """Whether a page-wide spec reads an attribute of a tag one simple compound picks out (so the
    start tags alone answer it, without a tree: `a[rel=next]@href`)."""
    chains = simple_selector(spec["selector"]) if spec.get("selector") else None
    attrs = spec.get("attr") or []
    return (
        bool(chains and attrs)
        and TEXT not in attrs
        and all(len(chain) == 1 and not chain[0][1].texts for chain in chains)  # no text in a start tag
    )


def start_tag_value(html: str, spec: dict, page_url: str):
    """Such a spec's value from the first matching start tag that gives one."""
    compounds = [chain[0][1] for chain in simple_selector(spec["selector"])]
    names = tuple(c.tag for c in compounds) if all(c.tag for c in compounds) else ()
    for name, attrs in iter_start_tags(html, names):
        if any(compound.matches(name, attrs) for compound in compounds):
            value = next((attrs[a] for a in spec["attr"] if attrs.get(a, "").strip()), None)
            value = apply_spec(unescape(value), spec, page_url) if value else None
            if value:
                return value
    return None


def card_tag_name(source: dict) -> str | None:
    """The one tag name of a cards source read from start tags alone, or None when it needs the tree:
    its selector is simple compounds of one tag (`div.vehicle-card`), and every field reads an
    attribute of the card itself (`@data-vin`)."""
    chains = simple_selector(source["selector"]) if source.get("selector") else None
    if not chains or any(len(chain) != 1 or chain[0][1].texts for chain in chains):
        return None
    names = {chain[0][1].tag for chain in chains}
    own_attributes = all(
        spec.get("attr")
        and not any(name.startswith("#") for name in spec["attr"])  # the text, a link: the tree's
        and not any(map(spec.get, ("selector", "label", "cell")))
        for spec in source["fields"].values()
    )
    return next(iter(names)) if own_attributes and len(names) == 1 and None not in names else None


def read_card_tags(html: str, source: dict, name: str, label: str, page_url: str) -> SourceResult:
    """read_cards for a source whose `card_tag_name` is `name`, without building the page's tree: the
    cards are the matching start tags not inside another card (tracked by the tag's own nesting)."""
    compounds = [chain[0][1] for chain in simple_selector(source["selector"])]
    cards, depth = [], 0  # depth: elements called `name` open inside the current card
    for tag, attrs in iter_start_tags(html, (name,), end_tags=name not in VOID_ELEMENTS):
        if tag[0] == "/":
            depth = max(depth - 1, 0)
        elif depth:
            depth += 1
        elif any(compound.matches(tag, attrs) for compound in compounds):
            cards.append(Node(tag, decoded_attributes(attrs), None))
            depth = 0 if tag in VOID_ELEMENTS else 1
    return _records_of(cards, source, label, page_url)


def _inside_one_of(card, taken: set[int]) -> bool:
    ancestor, steps = card.parent, 0
    while ancestor is not None and steps < MAX_ANCESTOR_STEPS:
        if id(ancestor) in taken:
            return True
        ancestor, steps = ancestor.parent, steps + 1
    return False


def find_cards(tree, selector: str | None) -> list:
    """The elements matching the card selector, without those nested in another card."""
    if not selector:
        return [tree]
    cards, taken = [], set()
    for card in select(tree, selector):
        if not _inside_one_of(card, taken):
            cards.append(card)
            taken.add(id(card))
    return cards


_VALUE_ENDS = re.compile(r"\s[·|•]\s|\s\|\s|;")


@lru_cache(maxsize=256)
def _label_pattern(label: str):
    return re.compile(rf"^(?:{label})(?![\w])\s*[:#.]?\s*(.*)$", re.I | re.S)


@lru_cache(maxsize=256)
def _later_label_pattern(label: str):
    """The label further on in a line: after a separator ("VIN ... | Stock PW1907"), or written
    with its colon ("Mileage: 21,118 Stock #: OA3120"); never a word in a sentence ("in stock")."""
    after_separator = rf"(?:\s[|·•]\s*|[;,]\s*)(?:{label})(?![\w])\s*[:#.]?\s*(.*)$"
    with_colon = rf"\s(?:{label})(?![\w])\s*[:#]\s*(.*)$"
    return re.compile(f"{after_separator}|{with_colon}", re.I | re.S)


def _value_after(element) -> str:
    """What follows a label element: the text right after it (`<b>Stock #:</b> A1<br>`), else the
    next element's text (`<dt>Stock</dt><dd>A1</dd>`); nothing past a line break."""
    siblings = list(element.parent.children) if element.parent is not None else []
    index = next((i for i, item in enumerate(siblings) if item is element), len(siblings))
    for item in siblings[index + 1 :]:
        if isinstance(item, str):
            if item.strip():
                return clean_text(item) or ""
        elif item.name == "br":
            return ""
        else:
            return clean_text(item.get_text(" ")) or ""
    return ""


LABELLED_TEXT_CHARS = 160  # the longest text a label and its value are read from


def _labelled_texts(element):
    """(text, whether a value may follow the element) to try a label on: the element's own text, and
    each line of text directly inside it (`Miles: 88,000<br>Stock #: 3301<br>`); an element whose
    text is too long to be a label's is left out (not read whole)."""
    text = element.short_text(" ", LABELLED_TEXT_CHARS)
    if text is not None:
        yield clean_text(text) or "", True
    for piece in element.children:
        if isinstance(piece, str) and piece.strip():
            yield clean_text(piece) or "", False


def labelled_value(card, label: str) -> str | None:
    """The value a card writes after a label: `<li>Stock #: A1</li>`, `<dt>Mileage</dt><dd>12,345</dd>`,
    `<span>Mileage:</span> 12,345 mi`, `<b>Stock #:</b> A1<br>`; the smallest text that holds the label
    and a value wins."""
    pattern, best, best_length = _label_pattern(label), None, 10**9
    for element in descendant_elements(card):
        for text, own in _labelled_texts(element):
            if not text or len(text) > LABELLED_TEXT_CHARS or len(text) >= best_length:
                continue
            match = pattern.match(text) or (None if own else _later_label_pattern(label).search(text))
            if not match:
                continue
            found = next(group for group in match.groups() if group is not None)
            value = found.strip() or (_value_after(element) if own else "")
            value = _VALUE_ENDS.split(value)[0].strip() if value else ""
            if value:
                best, best_length = value, len(text)
    return best


def _cell(card, number: int):
    cells = [child for child in card.children if not isinstance(child, str) and child.name in ("td", "th")]
    return cells[number - 1] if 0 < number <= len(cells) else None


def _scoped_values(card, spec: dict, page_url: str, many: bool) -> list:
    """A spec that names a label or a table cell (discovery writes them)."""
    if spec.get("label"):
        value = labelled_value(card, spec["label"])
        value = apply_spec(value, spec, page_url)
        return [value] if value not in (None, "") else []
    scope = _cell(card, spec["cell"])
    if scope is None:
        return []
    elements = select(scope, spec["selector"], first_only=not many) if spec.get("selector") else [scope]
    return _values(elements, spec, page_url, many)


_STRUCK_TAGS = ("del", "s", "strike")
# A price shown struck through, or marked as the list price: `price--old`, `was-price`, `msrp`, `retail`
_STRUCK_CLASS = re.compile(
    r"strike|crossed|line-?through|(?:^|[-_])(?:was|old|msrp|retail|original|compare)(?:$|[-_])", re.I
)


def _only_child(element):
    """The one element an element holds when it holds nothing else (no text of its own), or None."""
    elements = [child for child in element.children if not isinstance(child, str)]
    own_text = any(isinstance(child, str) and child.strip() for child in element.children)
    return elements[0] if len(elements) == 1 and not own_text else None


def struck_through(element) -> bool:
    """Whether a price element shows a price that is not the one asked: struck through (`<del>`, a
    strike class, `text-decoration: line-through`) or marked as the list price, on itself, its parent
    or the one element it holds."""
    for node in (element, element.parent, _only_child(element)):
        if node is None or getattr(node, "name", None) is None:
            continue
        classes = node.get("class") or ""
        classes = " ".join(classes) if isinstance(classes, list) else classes
        if node.name in _STRUCK_TAGS or "line-through" in (node.get("style") or ""):
            return True
        if any(_STRUCK_CLASS.search(cls) for cls in classes.split()):
            return True
    return False


def record_from_card(card, source: dict, label: str, page_url: str) -> Record:
    record = Record(label)
    fields = source["fields"]
    wanted = {
        name: (spec["selector"], not (spec["all"] or name in ("photos", "price") or _alternatives(spec)))
        for name, spec in fields.items()
        if spec.get("selector") and not (spec.get("label") or spec.get("cell"))
    }
    matched = select_each(card, wanted, descendant_elements(card)) if wanted else {}
    if matched.get("price"):
        matched["price"] = [e for e in matched["price"] if not struck_through(e)] or matched["price"]
    for name, spec in fields.items():
        many = spec["all"] or name == "photos"
        if spec.get("label") or spec.get("cell"):
            values = _scoped_values(card, spec, page_url, many)
        else:
            values = _values(matched.get(name, [card]), spec, page_url, many)
        if name == "photos":
            record.photos = values
        else:
            joined = " ".join(map(str, values)) if spec["all"] else None
            record.set(name, joined or (values[0] if values else None))
    return record


def read_cards(tree, source: dict, label: str, page_url: str) -> SourceResult:
    return _records_of(find_cards(tree, source.get("selector")), source, label, page_url)


def _records_of(cards: list, source: dict, label: str, page_url: str) -> SourceResult:
    result = SourceResult()
    if not cards:
        result.warnings.append(
            {"reason": "cards: no element matches the selector", "entry": f"{label} {source.get('selector')}"}
        )
    if len(cards) > MAX_CARDS:
        result.warnings.append(
            {"reason": f"cards: only the first {MAX_CARDS:,} of {len(cards):,} are read", "entry": label}
        )
        cards = cards[:MAX_CARDS]
    result.records = [record_from_card(card, source, label, page_url) for card in cards]
    return result
