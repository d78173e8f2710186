"""Listing pages that have not changed since the last scrape are not parsed again.

Extraction is pure (extract.py): the same page bytes, URL, API answers, profile and code give the
same vehicles. So each page's result is stored in D1 under a digest of all of them (plus the year,
which bounds a plausible model year), and a page whose digest is stored gives its stored result.
Under Pyodide parsing is most of a scrape's CPU time, so an unchanged re-scrape costs a fraction.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from functools import lru_cache
from pathlib import Path

from .extract import PageExtract, Vehicle, extract_page


@lru_cache(maxsize=1)
def code_digest() -> str:
    """The extraction code's own digest: a deploy that changes how pages are read reads them again."""
    package = Path(__file__).parent
    digest = hashlib.sha256()
    for path in [*sorted(package.rglob("*.py")), package.parent / "safe_json.py"]:  # all it imports
        digest.update(path.relative_to(package.parent).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def page_digest(html: str, page_url: str, profile: dict, api_answers: dict | None) -> str:
    parts = [code_digest(), str(date.today().year), page_url, json.dumps(profile, sort_keys=True)]
    parts.append(json.dumps(api_answers, sort_keys=True) if api_answers else "")
    digest = hashlib.sha256("\0".join(parts).encode())
    digest.update(b"\0" + html.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _to_json(page: PageExtract) -> str:
    return json.dumps(
        {
            "vehicles": [v.to_dict() for v in page.vehicles],
            "skipped": page.skipped,
            "warnings": page.warnings,
            "next_url": page.next_url,
        }
    )


def _from_json(text: str) -> PageExtract:
    data = json.loads(text)
    vehicles = [Vehicle(**values) for values in data["vehicles"]]
    return PageExtract(vehicles, data["skipped"], data["next_url"], data["warnings"])


class PageMemo:
    """One scrape's view of the stored results: `extract` reads a page through it, and afterwards
    `fresh` (digest -> (url, result JSON)) is what to store and `used` what to keep."""

    def __init__(self, stored: dict[str, str] | None = None):
        self.stored = stored or {}
        self.used: set[str] = set()
        self.fresh: dict[str, tuple[str, str]] = {}

    def extract(self, html: str, page_url: str, profile: dict, api_answers: dict | None) -> PageExtract:
        digest = page_digest(html, page_url, profile, api_answers)
        if digest in self.stored:
            try:
                page = _from_json(self.stored[digest])
                self.used.add(digest)
                return page
            except (ValueError, TypeError, KeyError):  # a row from an older shape: read the page
                pass
        page = extract_page(html, page_url, profile, api_answers)
        self.fresh[digest] = (page_url, _to_json(page))
        return page

    @property
    def reused(self) -> int:
        return len(self.used)

    def keep(self) -> list[str]:
        """Every digest this scrape saw: the rows of all others go."""
        return sorted(self.used | set(self.fresh))
