"""Try a site profile on saved pages or a live URL, under plain CPython:

    npm run extract -- PAGE_OR_FOLDER_OR_URL [--profile NAME | --profile-file FILE.json] [--explain]
                       [--base-url URL] [--all-pages]

A saved page NAME.html may have NAME.url beside it (the address it was saved from, to resolve its
relative links) and NAME.profile.json (the profile to read it with). Given a FOLDER, every
NAME.html in it is read that way and one result per page is printed. --profile / --profile-file
apply to every page and win over NAME.profile.json; without either, a page uses its
NAME.profile.json, else `generic` in a folder, else `lambert` for a single page or URL.
`--profile auto` detects each page's platform as SITE_PROFILE=auto does; every result then says which
profile was chosen and on what evidence ("profileChosen").

Prints JSON: {"vehicles": [...], "skipped": [{"reason", "entry"}], "warnings": [...], "nextPage": ...,
"counts": {...}} for one page, {"pages": [{"page": NAME, "url", "profile", ...the same...}]} for a
folder. --explain adds an "explain" key to each result: which source gave each field (counts, and
per vehicle), how many vehicles lack each field, and what each gallery dropped and why; for a page read
by discovery, also which discovery rule found each field ("discovery").

--suggest-profile prints, instead, the v2 profile discovery finds for the page (for a folder, one per
page), ready to save as NAME.profile.json and edit; with --explain the rule behind each field goes to
standard error. A page where discovery finds no vehicle is an error (exit code 2).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter
from pathlib import Path

from ..net.urllib_transport import UrllibHttp
from .bot_wall import wall_marker
from .detection import detect_platform
from .discovery import discover
from .extract import PageExtract, extract_page
from .extraction.fields import VEHICLE_VALUES
from .fetching import USER_AGENT, BotWall, SiteError, choose_profile, fetch_inventory
from .profiles import AUTO, PROFILE_CHOICES, get_profile, load_profile

DEFAULT_BASE_URL = "https://dealer.example/inventory"
FIELDS = (*VEHICLE_VALUES, "photos")  # the fields --explain reports on


class UsageError(Exception):
    """A profile or page the command cannot use; printed, exit code 2."""


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="npm run extract --", description=__doc__.splitlines()[0])
    parser.add_argument("page", help="a saved HTML file, a folder of them, or an http(s) URL")
    parser.add_argument("--profile", help=f"one of: {', '.join(sorted(PROFILE_CHOICES))}")
    parser.add_argument("--profile-file", type=Path, help="a profile as JSON (the format in profiles.py)")
    parser.add_argument(
        "--base-url",
        help=f"for a saved file without NAME.url: the URL it came from (default {DEFAULT_BASE_URL})",
    )
    parser.add_argument(
        "--all-pages", action="store_true", help="for a URL: follow pagination, read the whole site"
    )
    parser.add_argument(
        "--suggest-profile",
        action="store_true",
        help="print the profile discovery finds for the page, ready to save as a profile file",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="add where each field came from, what is missing and what galleries dropped",
    )
    return parser.parse_args(argv)


def _chosen_profile(args) -> tuple[str, dict] | None:
    """The profile the options name (None when they name none)."""
    if args.profile_file:
        try:
            return str(args.profile_file), load_profile(args.profile_file)
        except (OSError, ValueError) as error:
            raise UsageError(str(error)) from None
    if args.profile == AUTO:
        return AUTO, None  # detected from each page
    if args.profile:
        try:
            return args.profile, get_profile(args.profile)
        except KeyError as error:
            raise UsageError(error.args[0]) from None
    return None


def _page_profile(page: Path, chosen, fallback: str) -> tuple[str, dict]:
    if chosen:
        return chosen
    own = page.with_suffix(".profile.json")
    if own.exists():
        try:
            return own.name, load_profile(own)
        except ValueError as error:
            raise UsageError(str(error)) from None
    return fallback, get_profile(fallback)


def _page_url(page: Path, base_url: str | None) -> str:
    if base_url:
        return base_url
    own = page.with_suffix(".url")
    return own.read_text(encoding="utf-8").strip() if own.exists() else DEFAULT_BASE_URL


def counts(vehicles, skipped) -> dict:
    return {
        "vehicles": len(vehicles),
        "skipped": len(skipped),
        "invalidVins": sum(1 for v in vehicles if v.vin and not v.vin_valid),
    }


def _missing(vehicles) -> dict:
    dicts = [vehicle.to_dict() for vehicle in vehicles]
    return {name: sum(1 for v in dicts if v[name] in (None, "", [])) for name in FIELDS}


def explain(page: PageExtract) -> dict:
    """Where each field came from, what is missing, and what each gallery dropped."""
    by_field: dict[str, Counter] = {name: Counter() for name in FIELDS}
    for report in page.reports:
        for name, source in report.sources.items():
            if name in by_field:
                by_field[name][source] += 1
    return {
        "fieldSources": {name: dict(counter) for name, counter in by_field.items() if counter},
        "missing": _missing(page.vehicles),
        "vehicles": [
            {"vehicle": v.key, "sources": report.sources, "droppedPhotos": report.dropped_photos}
            for v, report in zip(page.vehicles, page.reports, strict=False)
        ],
        "warnings": page.warnings,
    }


def page_result(page: PageExtract, with_explain: bool) -> dict:
    result = {**({"discovered": page.discovery.to_json()} if page.discovery else {})}
    result |= {
        "vehicles": [v.to_dict() for v in page.vehicles],
        "skipped": page.skipped,
        "warnings": page.warnings,
        "nextPage": page.next_url,
        "counts": counts(page.vehicles, page.skipped),
    }
    if with_explain:
        result["explain"] = explain(page)
        if page.discovery:
            result["explain"]["discovery"] = page.discovery.to_json()
    return result


def suggested_profile(html: str, url: str, args) -> dict:
    """The profile discovery finds on the page; UsageError when it finds no vehicle."""
    found = discover(html, url)
    if found is None:
        raise UsageError(f"{url}: discovery finds no vehicle on this page (no suggestion)")
    detection = detect_platform(html)
    if not detection.fell_back:
        _to_stderr(f"note: SITE_PROFILE=auto reads this page with the built-in {detection.profile!r} profile")
    _to_stderr(f"discovered: {found.how} ({found.where}), {found.vehicles} vehicles")
    if args.explain:
        for name, rule in found.rules.items():
            _to_stderr(f"  {name}: {rule}")
    return found.profile


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr)


def _read_with(profile: dict | None, html: str, url: str, args) -> dict:
    """The page's result; with no profile (auto) the detected one, and what was chosen and why."""
    if profile is not None:
        return page_result(extract_page(html, url, profile), args.explain)
    profile, about = choose_profile(None, html, log=_to_stderr)
    return {"profileChosen": about, **page_result(extract_page(html, url, profile), args.explain)}


def _saved_page(path: Path, args, chosen, fallback: str) -> dict:
    url = _page_url(path, args.base_url)
    if args.suggest_profile:
        html = path.read_text(encoding="utf-8", errors="replace")
        return {"page": path.name, "url": url, "profile": suggested_profile(html, url, args)}
    name, profile = _page_profile(path, chosen, fallback)
    result = _read_with(profile, path.read_text(encoding="utf-8", errors="replace"), url, args)
    return {
        "page": path.name,
        "url": url,
        "profile": result.get("profileChosen", {}).get("name", name),
        **result,
    }


def _folder(folder: Path, args, chosen) -> dict:
    pages = sorted(folder.glob("*.html"))
    if not pages:
        raise UsageError(f"{folder} holds no NAME.html pages")
    return {"pages": [_saved_page(path, args, chosen, "generic") for path in pages]}


def _url(args, chosen) -> dict:
    profile = (chosen or ("lambert", get_profile("lambert")))[1]
    if args.all_pages:
        inventory = asyncio.run(fetch_inventory(UrllibHttp(), args.page, profile, log=_to_stderr))
        result = {
            "profileChosen": inventory.profile,
            "vehicles": [v.to_dict() for v in inventory.vehicles],
            "skipped": inventory.skipped,
            "warnings": getattr(inventory, "warnings", []),
            "nextPage": None,
            "counts": counts(inventory.vehicles, inventory.skipped),
        }
        if args.explain:
            result["explain"] = {
                "missing": _missing(inventory.vehicles),
                "note": "field sources and gallery drops are given for one page at a time",
            }
        return result
    answer = asyncio.run(UrllibHttp().request("GET", args.page, headers={"User-Agent": USER_AGENT}))
    if marker := wall_marker(answer.status, answer.headers, answer.body):
        raise BotWall(args.page, answer.status, marker)
    if not answer.ok:
        raise SiteError(f"{args.page} answered HTTP {answer.status}")
    if args.suggest_profile:
        return suggested_profile(answer.text(), args.page, args)
    return _read_with(profile, answer.text(), args.page, args)


def run(args) -> dict:
    chosen = _chosen_profile(args)
    if args.page.startswith(("http://", "https://")):
        return _url(args, chosen)
    if args.suggest_profile and chosen:
        raise UsageError("--suggest-profile discovers the profile: give no --profile or --profile-file")
    path = Path(args.page)
    if path.is_dir():
        return _folder(path, args, chosen)
    if not path.is_file():
        raise UsageError(f"{path}: no such file or folder")
    result = _saved_page(path, args, chosen, "lambert")
    if args.suggest_profile:
        return result["profile"]
    return {key: value for key, value in result.items() if key not in ("page", "url", "profile")}


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    try:
        result = run(args)
    except UsageError as error:
        print(f"npm run extract: error: {error}", file=sys.stderr)
        return 2
    except BotWall as wall:
        print(f"error: blocked by the site's bot protection: {wall}", file=sys.stderr)
        return 2
    except SiteError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
