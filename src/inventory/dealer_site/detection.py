"""SITE_PROFILE=auto: which built-in profile reads a site, told from its first page.

Each platform leaves its name in the pages it renders: generator meta tags, the names of its scripts
and globals, its photo hosts, its markup. The first platform whose marker the page carries wins; the
evidence is every marker seen, so a user can check the choice. A page with no marker is read with
`generic` (JSON-LD), and the detection says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# (profile, what the marker is, a literal it holds in lower case, a case-insensitive regex on the
# page), strongest platforms first. The literal is looked for first (a case-insensitive regex scan is
# slow in Pyodide).
MARKERS = (
    ("dealer-com", "script global DDC.dataLayer", "ddc", r"\bDDC\s*\.\s*dataLayer\b"),
    ("dealer-com", "photo host pictures.dealer.com", "//pictures.dealer.com/", r"//pictures\.dealer\.com/"),
    ("dealer-com", "generator meta Dealer.com", "dealer.com", r"<meta[^>]+content=[\"']Dealer\.com"),
    ("dealeron", "script global sdDataLayer", "sddatalayer", r"\bsdDataLayer\b"),
    (
        "dealeron",
        "DealerOn tagging attributes data-dotagging-item-*",
        "data-dotagging-item-",
        r"\bdata-dotagging-item-",
    ),
    ("dealeron", "DealerOn static host cdn.dlron.us", "//cdn.dlron.us/", r"//cdn\.dlron\.us/"),
    (
        "dealeron",
        "vehicle div data-vehicle-information",
        "data-vehicle-information",
        r"<div[^>]+\bdata-vehicle-information\b",
    ),
    ("dealer-inspire", "DealerInspire assets", "dealerinspire", r"dealerinspire"),
    (  # Algolia settings searching an inventory index (a site search of pages is not DealerInspire)
        "dealer-inspire",
        "Algolia inventory search settings",
        "algolia",
        r"algolia[\w-]*(?:AppId|ApplicationId|_app_id)(?=[\s\S]{0,2000}?index\w*[\"']?\s*[:=]\s*[\"'][^\"']*inventory)"
        r"|index\w*[\"']?\s*[:=]\s*[\"'][^\"']*inventory[\s\S]{0,2000}?algolia[\w-]*(?:AppId|ApplicationId|_app_id)",
    ),
    ("nextjs", "script#__NEXT_DATA__ (Next.js)", "__next_data__", r"<script[^>]+id=[\"']__NEXT_DATA__[\"']"),
    ("nextjs", "self.__next_f payload (Next.js App Router)", "self.__next_f", r"self\.__next_f\.push"),
    (
        "wordpress",
        "generator meta WordPress",
        "wordpress",
        r"<meta[^>]+name=[\"']generator[\"'][^>]+content=[\"']WordPress",
    ),
    ("wordpress", "WordPress assets /wp-content/", "/wp-content/", r"/wp-content/"),
    (
        "lambert",
        "Lambert listing cards div.vehicle-card[data-vin]",
        "vehicle-card",
        r"<div[^>]+class=[\"']vehicle-card[\"'][^>]+data-vin=",
    ),
)
_COMPILED = [
    (profile, what, literal, re.compile(pattern, re.IGNORECASE))
    for profile, what, literal, pattern in MARKERS
]
_JSONLD = re.compile(r"<script[^>]+type=[\"']application/ld\+json", re.IGNORECASE)
_SNIFFED_CHARS = 2 * 1024 * 1024


@dataclass
class Detection:
    profile: str  # the built-in profile chosen
    evidence: list[str]  # the markers seen (for the chosen platform first)
    fell_back: bool = False  # no platform marker: generic was chosen for want of a better one

    def to_json(self) -> dict:
        return {"name": self.profile, "detected": True, "evidence": self.evidence, "fallback": self.fell_back}

    def sentence(self) -> str:
        return f"site profile {self.profile!r} detected ({'; '.join(self.evidence)})"


def detect_platform(html: str) -> Detection:
    """The profile for the platform that rendered this page, and the markers that show it."""
    text = html[:_SNIFFED_CHARS]
    lowered = text.lower()
    seen = [
        (profile, what)
        for profile, what, literal, pattern in _COMPILED
        if literal in lowered and pattern.search(text)
    ]
    if seen:
        chosen = seen[0][0]
        return Detection(
            chosen,
            [what for profile, what in seen if profile == chosen]
            + [f"also seen: {what}" for profile, what in seen if profile != chosen],
        )
    if "application/ld+json" in lowered and _JSONLD.search(text):
        return Detection(
            "generic", ["no platform marker; the page has JSON-LD: reading it with generic"], True
        )
    return Detection("generic", ["no platform marker and no JSON-LD: falling back to generic"], True)


def named_profile(name: str) -> dict:
    """What the answer says about a profile that was named, not detected."""
    return {"name": name, "detected": False, "evidence": [f"SITE_PROFILE names {name!r}"], "fallback": False}
