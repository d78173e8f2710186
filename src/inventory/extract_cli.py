"""Try a site profile on a saved page or a live URL, under plain CPython:

    npm run extract -- PAGE_OR_URL [--profile NAME | --profile-file FILE.json] [--all-pages]

Prints {"vehicles": [...], "skipped": [{"reason", "entry"}], "nextPage": ...} as JSON, so whoever
adapts a profile to a new dealer sees at once what it finds and what it drops, and why.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from .extract import extract_page
from .net.urllib_transport import UrllibHttp
from .profiles import PROFILES, get_profile
from .scrape import USER_AGENT, SiteError, fetch_inventory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="npm run extract --", description=__doc__.splitlines()[0])
    parser.add_argument("page", help="a saved HTML file, or an http(s) URL")
    parser.add_argument("--profile", default="lambert", help=f"one of: {', '.join(sorted(PROFILES))}")
    parser.add_argument("--profile-file", type=Path, help="a profile as JSON (same keys as profiles.py)")
    parser.add_argument("--base-url", default="https://dealer.example/inventory",
                        help="for a saved file: the URL it came from (to resolve relative links)")
    parser.add_argument("--all-pages", action="store_true", help="for a URL: follow pagination, read the site")
    args = parser.parse_args(argv)
    try:
        profile = json.loads(args.profile_file.read_text()) if args.profile_file else get_profile(args.profile)
    except (KeyError, OSError, ValueError) as error:
        parser.error(str(error))

    is_url = args.page.startswith(("http://", "https://"))
    if is_url and args.all_pages:
        try:
            inventory = asyncio.run(fetch_inventory(UrllibHttp(), args.page, profile,
                                                    log=lambda line: print(line, file=sys.stderr)))
        except SiteError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        vehicles, skipped, next_page = inventory.vehicles, inventory.skipped, None
    else:
        if is_url:
            answer = asyncio.run(UrllibHttp().request("GET", args.page, headers={"User-Agent": USER_AGENT}))
            if not answer.ok:
                print(f"error: {args.page} answered HTTP {answer.status}", file=sys.stderr)
                return 2
            html, base = answer.text(), args.page
        else:
            html, base = Path(args.page).read_text(encoding="utf-8", errors="replace"), args.base_url
        page = extract_page(html, base, profile)
        vehicles, skipped, next_page = page.vehicles, page.skipped, page.next_url
    print(json.dumps({"vehicles": [v.to_dict() for v in vehicles], "skipped": skipped, "nextPage": next_page,
                      "counts": {"vehicles": len(vehicles), "skipped": len(skipped),
                                 "invalidVins": sum(1 for v in vehicles if v.vin and not v.vin_valid)}}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
