"""Where an image list's entry is shown, and the deterministic custom id of a source photo."""

from __future__ import annotations

import hashlib

DELIVERY_BASE = "https://imagedelivery.net"


def display_url(
    entry: str, account_hash: str, variant: str = "public", delivery_base: str = DELIVERY_BASE
) -> str:
    """The seed's rule: an entry starting with http is used as is, anything else is an image id."""
    if entry.startswith("http"):
        return entry
    return f"{delivery_base.rstrip('/')}/{account_hash}/{entry.replace('%', '%25')}/{variant}"


def image_id_for(source_url: str, prefix: str = "lambert") -> str:
    """The same source photo always gets the same custom id, so a second upload is recognised."""
    return f"{prefix}-{hashlib.sha256(source_url.encode()).hexdigest()[:32]}"
