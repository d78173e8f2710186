"""The merge rule: records of the same vehicle become one, whichever source or block they came from.

Records describe the same vehicle when they share the VIN, else the absolute detail URL, else the
stock number (a URL or stock match is refused when the two carry different VINs or stock
numbers). A record with none of the three joins the page's only vehicle, if there is exactly one
(a detail page's gallery card), and stands alone otherwise. A field takes the first non-empty
value in source order (then page order); photos are the union of every record's, in that order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urldefrag

from ..vin import has_foreign_characters, vin_identity
from .fields import FIELDS, read_field
from .records import Record

MERGED_FIELDS = tuple(name for name in FIELDS if name != "photos")  # photos merge by union


@dataclass
class Typed:
    """A record with its values read by the field rules."""

    record: Record
    order: int
    values: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def vin(self) -> str | None:
        vin = self.values.get("vin")
        return vin_identity(vin) if vin else None

    @property
    def url(self) -> str | None:
        """The detail URL as an identity: no fragment, no trailing slash, scheme and host lower-case."""
        url = self.values.get("detail_url")
        if not url:
            return None
        scheme, _, rest = urldefrag(url)[0].partition("://")
        host, slash, path = rest.partition("/")
        return f"{scheme.lower()}://{host.lower()}{slash}{path}".rstrip("/")

    @property
    def stock(self) -> str | None:
        return self.values.get("stock_number")


@dataclass
class Group:
    members: list[Typed] = field(default_factory=list)
    vins: set = field(default_factory=set)
    urls: set = field(default_factory=set)
    stocks: set = field(default_factory=set)

    def add(self, typed: Typed) -> None:
        self.members.append(typed)
        for keys, key in ((self.vins, typed.vin), (self.urls, typed.url), (self.stocks, typed.stock)):
            if key:
                keys.add(key)


@dataclass
class Merged:
    """One vehicle as the sources describe it, before the title and VIN fill gaps."""

    values: dict
    sources: dict  # field -> the source that gave it
    photo_values: list
    warnings: list[str]
    photo_sources: list[str] = field(default_factory=list)


def _typed(record: Record, order: int, page_url: str) -> Typed:
    typed = Typed(record, order)
    typed.warnings += record.notes
    for name, raw in record.values.items():
        value, warning = read_field(name, raw, page_url)
        if value is not None:
            typed.values[name] = value
        if warning:
            typed.warnings.append(warning)
    return typed


def _conflicts(group: Group, typed: Typed, check_stock: bool) -> bool:
    if typed.vin and group.vins and typed.vin not in group.vins:
        return True
    return check_stock and bool(typed.stock and group.stocks and typed.stock not in group.stocks)


class Grouper:
    def __init__(self):
        self.groups: list[Group] = []
        self.by_vin, self.by_url, self.by_stock = {}, {}, {}

    def _match(self, typed: Typed) -> Group | None:
        if typed.vin in self.by_vin:
            return self.by_vin[typed.vin]
        group = self.by_url.get(typed.url) if typed.url else None
        if group and not _conflicts(group, typed, check_stock=True):
            return group
        group = self.by_stock.get(typed.stock) if typed.stock else None
        if group and not _conflicts(group, typed, check_stock=False):
            return group
        return None

    def add(self, typed: Typed) -> None:
        group = self._match(typed)
        if group is None:
            group = Group()
            self.groups.append(group)
        group.add(typed)
        for index, key in ((self.by_vin, typed.vin), (self.by_url, typed.url), (self.by_stock, typed.stock)):
            if key:
                index.setdefault(key, group)


def group_records(records: list[Record], page_url: str) -> list[Group]:
    grouper, anonymous = Grouper(), []
    for order, record in enumerate(records):
        typed = _typed(record, order, page_url)
        if typed.vin or typed.url or typed.stock:
            grouper.add(typed)
        else:
            anonymous.append(typed)
    if len(grouper.groups) == 1:
        for typed in anonymous:
            grouper.groups[0].add(typed)
    else:
        grouper.groups += [Group(members=[typed]) for typed in anonymous]
    return sorted(grouper.groups, key=lambda g: min(t.order for t in g.members))


def _take_vin(current: str | None, offered: str) -> bool:
    """Whether an offered VIN replaces the current one: a Latin VIN beats its look-alike spelling."""
    if current is None:
        return True
    return has_foreign_characters(current) and not has_foreign_characters(offered)


def merge_group(group: Group) -> Merged:
    merged = Merged({}, {}, [], [])
    for typed in sorted(group.members, key=lambda t: (t.record.rank, t.order)):
        for name in MERGED_FIELDS:
            value = typed.values.get(name)
            if value is None:
                continue
            if name in merged.values and not (name == "vin" and _take_vin(merged.values[name], value)):
                continue
            merged.values[name] = value
            merged.sources[name] = typed.record.source
        merged.photo_values += typed.record.photos
        if typed.record.photos:
            merged.photo_sources.append(typed.record.source)
        merged.warnings += typed.warnings
    return merged


def merge_records(records: list[Record], page_url: str) -> list[Merged]:
    """The page's vehicles, in the order each was first seen."""
    return [merge_group(group) for group in group_records(records, page_url)]
