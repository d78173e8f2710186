"""What a source read about one vehicle, before the sources are merged."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Record:
    """One source's view of one vehicle: raw field values (field name -> value) and photo values."""

    source: str  # e.g. "1:jsonld", "2:cards div.srp-card"
    rank: int = 0  # the source's position in the profile
    values: dict = field(default_factory=dict)
    photos: list = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # warnings about this vehicle, from the source

    def set(self, name: str, value) -> None:
        """Keep the first value given for a field (a node's own property before additionalProperty)."""
        if value not in (None, "", [], {}) and self.values.get(name) in (None, ""):
            self.values[name] = value


@dataclass
class SourceResult:
    records: list[Record] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)  # {"reason", "entry"}
    warnings: list[dict] = field(default_factory=list)
