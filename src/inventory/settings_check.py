"""Which of a Worker's plain settings are still placeholders or out of range, and why.

    check_settings("image-processor", {"BATCH_SIZE": "80", ...})
    -> [{"setting": "BATCH_SIZE", "reason": "is not valid: expected a whole number from 1 to 50, got '80'"}]

Pure, for the health answer, a start-up log line and `npm run deploy` (which stops on any). Built
on inventory.config, which holds every setting once (name, default, placeholder, parser), and adds
what parsing alone does not see: hosts reserved for examples, URLs that are no URLs, values that
parse but break a platform limit, and a claim shorter than the run that holds it. Secrets are not
checked here: the health answer says which are set.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from .config import Setting, SettingError, settings_of
from .dealer_site.profiles import PROFILE_CHOICES

# The Workers' names (as deployed) and inventory.config's short names.
WORKERS = {
    "lambert-scraper": "scraper",
    "image-processor": "processor",
    "scraper": "scraper",
    "processor": "processor",
}
# Hosts reserved for examples (RFC 2606): a setting naming one was never filled in.
PLACEHOLDER_DOMAINS = ("example.com", "example.net", "example.org", "example", "invalid")
# Settings whose default is empty but which a deployment cannot do without.
NEEDED = {"CLOUDFLARE_IMAGES_ACCOUNT_HASH": "delivery URLs of uploaded photos need it"}
WAIT_UNTIL_S = 30  # a background run's whole window after the response
RETRY_GRACE_S = 8  # its retries may run this long past the time budget (photos/run.py)
SAFE_API_REQUESTS_PER_MINUTE = 200  # keeps any 5 minutes under the account's 1,200
MAX_PAGE_BYTES_CEILING = 32 * 1024 * 1024  # a page is held whole in the 128 MB isolate, Pyodide included


def check_settings(worker: str, settings: Mapping[str, str | None]) -> list[dict]:
    """[{"setting", "reason"}] for each plain setting of `worker` that needs fixing, in table order.
    `settings` maps names to values as the Worker sees them (strings; None or missing = unset)."""
    if worker not in WORKERS:
        raise ValueError(f"unknown Worker {worker!r}; known: {', '.join(WORKERS)}")
    problems = []
    for setting in settings_of(WORKERS[worker]):
        reason = None if setting.secret else setting_problem(setting, settings)
        if reason:
            problems.append({"setting": setting.name, "reason": reason})
    return problems


def problems_line(worker: str, problems: list[dict]) -> str:
    """One log line: what is wrong, or that nothing is."""
    if not problems:
        return f"✅ {worker}: settings look complete"
    listed = "; ".join(f"{p['setting']} {p['reason']}" for p in problems)
    return f"⚠️ {worker}: {len(problems)} settings to fix: {listed}"


def setting_problem(setting: Setting, settings: Mapping[str, str | None]) -> str | None:
    value = settings.get(setting.name)
    if value in (None, ""):
        if setting.default is None:
            return "is not set"
        return f"is not set: {NEEDED[setting.name]}" if setting.name in NEEDED else None
    if value == setting.placeholder:
        return f"is still the placeholder {value!r}"
    try:
        setting.parse(value)
    except SettingError as error:
        return f"is not valid: {error}"
    beyond_parsing = LIMITS.get(setting.name)
    return beyond_parsing(value, settings) if beyond_parsing else None


# --- what parsing does not see: (value, all settings) -> reason or None ------------------------


def _placeholder_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    return any(host == domain or host.endswith("." + domain) for domain in PLACEHOLDER_DOMAINS)


def url(value: str, settings) -> str | None:
    try:
        parts = urlsplit(value.strip())
        host = parts.hostname
    except ValueError:
        return "is not an http(s) URL"
    if parts.scheme not in ("http", "https") or not host:
        return "is not an http(s) URL"
    return f"is still a placeholder host ({host})" if _placeholder_host(host) else None


def host_names(value: str, settings) -> str | None:
    hosts = [h.strip() for h in value.split(",") if h.strip()]
    urls = [h for h in hosts if "/" in h or ":" in h]
    if urls:
        return f"lists host names, not URLs ({urls[0]})"
    placeholders = [h for h in hosts if _placeholder_host(h.removeprefix("*."))]
    return f"still lists placeholder hosts ({', '.join(placeholders)})" if placeholders else None


def known_profile(value: str, settings) -> str | None:
    known = ", ".join(sorted(PROFILE_CHOICES))
    return None if value in PROFILE_CHOICES else f"is not a known profile (known: {known})"


def _shown(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def at_most(ceiling: float, why: str) -> Callable[[str, Mapping], str | None]:
    def check(value: str, settings) -> str | None:
        return f"is over {_shown(ceiling)}: {why} (is {value!r})" if float(value) > ceiling else None

    return check


def _number_or(value: str | None, default: float) -> float:
    try:
        return float(value) if value else default
    except ValueError:
        return default


def claim_outlasts_its_run(value: str, settings) -> str | None:
    longest_run = _number_or(settings.get("BACKGROUND_TIME_BUDGET_S"), 20) + RETRY_GRACE_S
    if float(value) < longest_run:
        return (
            f"is shorter than a background run ({_shown(longest_run)} s): a second run could take photos "
            "the first still works on"
        )
    return None


LIMITS: dict[str, Callable[[str, Mapping], str | None]] = {
    "SCRAPE_URL": url,
    "IMAGE_PROCESSOR_URL": url,
    "IMAGE_DELIVERY_BASE": url,
    "IMAGES_API_BASE": url,
    "IMAGES_BATCH_API_BASE": url,
    "WEBHOOK_URL": url,
    "ALLOWED_IMAGE_HOSTS": host_names,
    "SITE_PROFILE": known_profile,
    "MAX_PAGE_BYTES": at_most(MAX_PAGE_BYTES_CEILING, "a page is held whole in the Worker's 128 MB"),
    "IMAGES_API_REQUESTS_PER_MINUTE": at_most(
        SAFE_API_REQUESTS_PER_MINUTE,
        "more than 1,200 Images API requests in 5 minutes lock the whole account out for 5 minutes",
    ),
    "BACKGROUND_TIME_BUDGET_S": at_most(
        WAIT_UNTIL_S - RETRY_GRACE_S,
        f"with {RETRY_GRACE_S} s of retries after it, a run would outlast the "
        f"{WAIT_UNTIL_S} s a background run gets",
    ),
    "CLAIM_TTL_S": claim_outlasts_its_run,
}
