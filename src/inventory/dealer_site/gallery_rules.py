"""Where a vehicle's photo list comes from when its detail page holds the gallery: the scrape's side.

The scrape saves what the listing shows and answers; a vehicle whose gallery lives on its detail
page is marked `pending` (its listing photos stand in) or, once read, keeps its gallery until the
listing shows it changed (`stale`: read again). The columns are described in schema.sql.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from .extract import Vehicle

KEPT_STATES = ("read", "stale", "gone")  # the list holds the last gallery read (or what was kept)


def gallery_mode(profile: dict) -> str:
    """The profile's `gallery`: listing, detail or auto (the default)."""
    return profile.get("gallery", "auto")


def gallery_signature(vehicle: Vehicle) -> str:
    """What makes a detail page worth reading again: the listing's price and photos."""
    seen = json.dumps([vehicle.price, len(vehicle.photos), vehicle.photos])
    return hashlib.sha256(seen.encode()).hexdigest()[:24]


@dataclass
class GalleryUpdate:
    columns: dict  # gallery, gallery_signature, gallery_since
    keeps_list: bool  # the row's photo list (the last gallery) stays, rather than the listing's


def gallery_update(
    old: dict | None, wants_gallery: bool, signature: str, now: str, listing_photos: int = 0
) -> GalleryUpdate:
    """The gallery columns of a vehicle the scrape saves, given its row before (None: new) and how
    many photos its listing shows."""
    if not wants_gallery:
        return GalleryUpdate({"gallery": "listing", "gallery_signature": None, "gallery_since": None}, False)
    if old and old.get("gallery") in KEPT_STATES:
        state = old["gallery"] if old["gallery_signature"] == signature else "stale"
        columns = {"gallery": state, "gallery_signature": signature, "gallery_since": old["gallery_since"]}
        return GalleryUpdate(columns, True)
    since = old["gallery_since"] if old and old.get("gallery") == "pending" else now
    columns = {"gallery": "pending", "gallery_signature": signature, "gallery_since": since}
    # The listing's photo stands in; where it shows none, the list the vehicle had stays instead.
    return GalleryUpdate(columns, keeps_list=bool(old and old["photo_count"] and not listing_photos))
