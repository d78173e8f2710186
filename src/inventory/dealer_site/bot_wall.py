"""Recognise a bot wall: the challenge or block page a site's bot protection answers instead of the page.

Such a page must never be read as an (empty) inventory. The markers are those the protections publish in
their interstitials. Some are unmistakable on any status (Cloudflare's `cf-mitigated: challenge`
header and challenge script, the Akamai and Imperva block pages, DataDome and PerimeterX captchas);
a plain captcha widget counts only on a refusing status (403, 429, 503), because a dealer's ordinary
page may carry one on its contact form.
"""

from __future__ import annotations

import re

REFUSING_STATUSES = (403, 429, 503)
_SNIFFED_CHARS = 64 * 1024  # an interstitial is small; its markers sit near the top

# (what the marker is called in the error, a literal it holds in lower case, a case-insensitive regex
# on the body). The literal is looked for first: a case-insensitive regex scan of 64 KiB is slow in
# Pyodide, and a page is checked on every request.
_WALL_MARKERS = (
    ("Cloudflare challenge script (_cf_chl_opt)", "_cf_chl_opt", r"window\._cf_chl_opt"),
    (
        "Cloudflare interstitial title (Just a moment...)",
        "just a moment",
        r"<title>\s*Just a moment\.\.\.\s*</title>",
    ),
    (
        "Cloudflare block page (Attention Required!)",
        "attention required",
        r"<title>\s*Attention Required! \| Cloudflare",
    ),
    (
        "Akamai block page (Access Denied, edgesuite reference)",
        "access denied",
        r"<title>\s*Access Denied\s*</title>[\s\S]*(?:errors\.edgesuite\.net|Reference\s*&#32;#|Reference #)",
    ),
    ("Imperva/Incapsula incident page", "incapsula incident id", r"Incapsula incident ID"),
    ("DataDome captcha (captcha-delivery.com)", "captcha-delivery.com", r"captcha-delivery\.com"),
    ("PerimeterX captcha (px-captcha)", "px-captcha", r"id=[\"']px-captcha"),
)
# Also on ordinary pages (a dealer's contact form, Cloudflare's JavaScript detections and Imperva's
# resource script are injected into every page of a protected site): a wall only on a refusing status.
_CAPTCHA_MARKERS = (
    ("Cloudflare challenge platform script", "/cdn-cgi/challenge-platform/", r"/cdn-cgi/challenge-platform/"),
    ("Imperva/Incapsula resource script", "_incapsula_resource", r"_Incapsula_Resource"),
    ("reCAPTCHA widget", "g-recaptcha", r"class=[\"'][^\"']*\bg-recaptcha\b"),
    ("hCaptcha widget", "h-captcha", r"class=[\"'][^\"']*\bh-captcha\b"),
    ("Turnstile widget", "cf-turnstile", r"class=[\"'][^\"']*\bcf-turnstile\b"),
)
_COMPILED = {
    name: re.compile(pattern, re.IGNORECASE) for name, _, pattern in (*_WALL_MARKERS, *_CAPTCHA_MARKERS)
}


def _first_match(markers, text: str, lowered: str) -> str | None:
    return next(
        (name for name, literal, _ in markers if literal in lowered and _COMPILED[name].search(text)), None
    )


def wall_marker(status: int, headers: dict, body: bytes) -> str | None:
    """The marker that shows this answer is a bot wall, or None for an ordinary answer."""
    if str(headers.get("cf-mitigated", "")).lower() == "challenge":
        return "Cloudflare header cf-mitigated: challenge"
    text = body[:_SNIFFED_CHARS].decode("utf-8", errors="replace")
    lowered = text.lower()
    marker = _first_match(_WALL_MARKERS, text, lowered)
    if marker or status not in REFUSING_STATUSES:
        return marker
    return _first_match(_CAPTCHA_MARKERS, text, lowered)
