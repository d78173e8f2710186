"""A vehicle's gallery: one entry per photo, the largest size of each, no placeholders or stock art.

Size variants of one photo (`?w=640`, `/640x480/`, WordPress `-300x200.jpg`, Shopify `_1024x.jpg`,
`thumbnails/small/`) share an identity: the URL with its size markers taken out. They collapse to
one entry at the position of the first, holding the largest variant (a URL without size markers is
the original, so the largest). Dropped: `data:` and `javascript:` values, non-http(s) URLs, SVG files,
placeholders ("coming soon", "no photo", a lazy page's `loading.gif`, ...) and what the profile
lists as placeholders or stock art. Every drop is recorded with its reason, for `extract --explain`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import SplitResult, parse_qsl, urlencode, urljoin

SIZE_PARAMETERS = frozenset(("w", "width", "h", "height", "impolicy", "size", "resize", "quality", "q"))
_PLACEHOLDER = re.compile(
    r"(?<![a-z])coming[-_]?soon|(?<![a-z0-9])no[-_]?(?:photo|image)|placeholder|image[-_]?unavailable"
    r"|photo[-_]?coming|plchldr"
)
# What a lazy-loading page shows until the real photo loads: `loading.gif`, `spacer.png`, `blank-1x1.gif`.
_LOADER_FILE = re.compile(
    r"(?:loading|loader|spinner|blank|spacer|pixel|transparent|lazy|lazyload)(?:[-_.][a-z0-9]+)?"
    r"\.(?:gif|png|svg|webp)$"
)
_DIMENSIONS = re.compile(r"(\d{2,5})[x×](\d{2,5})")
# WordPress `-300x200.jpg`, Shopify `_1024x1024.jpg` and `_2048x.jpg` (a width alone)
_NAME_SIZE = re.compile(r"[-_](\d{2,5})x(\d{2,5})?(?=\.[A-Za-z0-9]{2,5}$)")
_THUMBNAIL_FOLDERS = frozenset(("thumbnails", "thumbnail", "thumbs", "thumb"))
_NAMED_SIZES = {
    "xs": 1,
    "thumb": 1,
    "thumbnail": 1,
    "small": 2,
    "sm": 2,
    "s": 2,
    "medium": 3,
    "md": 3,
    "m": 3,
    "large": 4,
    "lg": 4,
    "l": 4,
    "xl": 5,
    "xlarge": 5,
}
_NUMBERS = re.compile(r"\d{1,5}")
_PATH_SIZE_HINT = re.compile(r"\d{2,5}[x×](?:\d{2,5}|\.)|/thumb", re.I)
ORIGINAL = (1, 0, 0)  # sorts above every (0, width, height)
# A looser form of what makes a rule apply to a lower-cased path (placeholder words, size markers,
# loader files), cheap to search: a photo URL it does not match, without a query and without profile
# rules, is kept as written. It may match more than the rules do (those URLs take the general path),
# never less: tests/unit check it against the rules.
_RULE_HINT = re.compile(
    r"coming|no[-_]?(?:photo|image)|placeholder|unavailable|plchldr|[x×](?:\d|\.)|thumb"
    r"|(?:loading|loader|spinner|blank|spacer|pixel|transparent|lazy)[^/]*$"
)
_REJECTED_ENDINGS = (".svg", ".svgz")


@dataclass(frozen=True)
class GalleryRules:
    """The profile's part: its placeholder and stock-art patterns and its full-size rewrites."""

    placeholders: tuple[str, ...] = ()
    stock_art: tuple[str, ...] = ()
    full_size: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (host pattern, query names to drop)


@dataclass
class Gallery:
    photos: list[str] = field(default_factory=list)
    dropped: list[dict] = field(default_factory=list)  # {"url", "reason"}


@lru_cache(maxsize=64)
def _compiled(patterns: tuple[str, ...]):
    return tuple(re.compile(pattern, re.I) for pattern in patterns)


def _any_match(patterns: tuple[str, ...], url: str) -> bool:
    return bool(patterns) and any(pattern.search(url) for pattern in _compiled(patterns))


def rules_from_profile(profile: dict) -> GalleryRules:
    entries = profile.get("full_size", ())
    rewrites = tuple((entry["host"], tuple(entry.get("drop_query", ()))) for entry in entries)
    return GalleryRules(tuple(profile.get("placeholders", ())), tuple(profile.get("stock_art", ())), rewrites)


def _host_listed(host: str, pattern: str) -> bool:
    pattern = pattern.lower()
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern


def _absolute(value: str, page_url: str) -> tuple[str | None, str | None]:
    """(absolute http(s) URL, None) or (None, why the value is not a photo URL)."""
    if value.startswith(("https://", "http://")):  # most photo URLs, as written: nothing to do
        return value, None
    lowered = value[:11].lower()
    if lowered.startswith("data:"):
        return None, "data: URL"
    if lowered.startswith("javascript:"):
        return None, "javascript: URL"
    url = value if lowered.startswith(("http://", "https://")) else urljoin(page_url, value)
    scheme, _, rest = url.partition(":")
    if scheme.lower() not in ("http", "https") or not rest.startswith("//"):
        return None, "not an http(s) URL"
    return scheme.lower() + ":" + rest, None


def split_url(url: str) -> SplitResult:
    """urlsplit for an absolute http(s) URL, without urlsplit's cost (it is called for every photo)."""
    scheme, _, rest = url.partition("://")
    rest, _, fragment = rest.partition("#")
    rest, _, query = rest.partition("?")
    slash = rest.find("/")
    netloc, path = (rest, "") if slash < 0 else (rest[:slash], rest[slash:])
    return SplitResult(scheme, netloc, path, query, fragment)


_NOT_PHOTOS = (".mp4", ".m4v", ".mov", ".webm", ".m3u8", ".pdf", ".html", ".htm")


def _rejection(url: str, parts, rules: GalleryRules) -> str | None:
    path = parts.path.lower()
    if path.endswith(_REJECTED_ENDINGS):
        return "SVG image"
    if path.endswith(_NOT_PHOTOS):
        return "not a photo (a video or a document)"
    if _PLACEHOLDER.search(path) or _LOADER_FILE.match(path, path.rfind("/") + 1):
        return "placeholder"
    if _any_match(rules.placeholders, url):
        return "placeholder"
    if _any_match(rules.stock_art, url):
        return "stock art"
    return None


def _rewrite(url: str, parts, rules: GalleryRules):
    if not rules.full_size:
        return url, parts
    host = (parts.hostname or "").lower()
    for pattern, names in rules.full_size:
        if _host_listed(host, pattern) and parts.query:
            kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in names]
            parts = parts._replace(query=urlencode(kept))
            return parts.geturl(), parts
    return url, parts


def _query_size(query: str) -> tuple[list, tuple | None]:
    """(the query pairs that are not size markers, (width, height) or None when there is no marker)."""
    kept, width, height, marked = [], 0, 0, False
    for key, value in parse_qsl(query, keep_blank_values=True):
        name = key.lower()
        if name not in SIZE_PARAMETERS:
            kept.append((key, value))
            continue
        marked = True
        numbers = [int(n) for n in _NUMBERS.findall(value)]
        if name in ("w", "width") and numbers:
            width = numbers[0]
        elif name in ("h", "height") and numbers:
            height = numbers[0]
        elif name in ("size", "resize") and numbers:
            width, height = numbers[0], (numbers[1] if len(numbers) > 1 else height)
    return kept, ((width, height) if marked else None)


def _path_size(path: str) -> tuple[str, tuple | None]:
    """(the path without size segments, (width, height) or None when there is none)."""
    if not _PATH_SIZE_HINT.search(path):
        return path, None
    segments, kept, size = path.split("/"), [], None
    index = 0
    while index < len(segments):
        segment = segments[index]
        dimensions = _DIMENSIONS.fullmatch(segment)
        if dimensions:
            size = (int(dimensions[1]), int(dimensions[2]))
        elif segment.lower() in _THUMBNAIL_FOLDERS and index + 2 < len(segments):
            size = _folder_size(segments[index + 1])
            index += 1 if size != (0, 0) else 0
        else:
            kept.append(segment)
        index += 1
    last = _NAME_SIZE.search(kept[-1]) if kept else None
    if last:
        kept[-1] = kept[-1][: last.start()] + kept[-1][last.end() :]
        size = (int(last[1]), int(last[2] or 0))
    return "/".join(kept), size


def _folder_size(segment: str) -> tuple[int, int]:
    """The size a `thumbnails/<size>/` folder names; (0, 0) when the segment names no size."""
    dimensions = _DIMENSIONS.fullmatch(segment)
    if dimensions:
        return int(dimensions[1]), int(dimensions[2])
    word = segment.lower().lstrip("w")
    if word.isdigit():
        return int(word), 0
    rank = _NAMED_SIZES.get(segment.lower())
    return (rank, 0) if rank else (0, 0)


def identity_and_size(parts) -> tuple[str, tuple]:
    """What all sizes of one photo share, and how large this one is (ORIGINAL when unmarked)."""
    path, path_size = _path_size(parts.path)
    kept_query, query_size = _query_size(parts.query) if parts.query else ((), None)
    identity = f"{parts.netloc.lower()}{path}?{urlencode(kept_query) if kept_query else ''}"
    sizes = [s for s in (path_size, query_size) if s is not None]
    if not sizes:
        return identity, ORIGINAL
    width = max(s[0] for s in sizes)
    height = max(s[1] for s in sizes)
    return identity, (0, width, height)


def clean_gallery(values, page_url: str, rules: GalleryRules = GalleryRules()) -> Gallery:
    """The photos of one vehicle from every value its sources gave, in order, one per photo."""
    gallery, slots, seen = Gallery(), {}, {}  # identity -> (index, size); value -> its photo index
    has_rules = bool(rules.placeholders or rules.stock_art or rules.full_size)
    for value in values:
        if not isinstance(value, str) or not value.strip():
            continue
        value = value.strip()
        if value in seen:  # the same value again (a card repeating the JSON-LD)
            gallery.dropped.append({"url": value[:200], "reason": f"duplicate of photo {seen[value] + 1}"})
            continue
        identity = None if has_rules else _plain_identity(value)
        if identity is not None:
            seen[value] = _place_original(gallery, slots, value, identity)
            continue
        url, parts, why = _photo(value, page_url, rules)
        if why:
            gallery.dropped.append({"url": (url or value)[:200], "reason": why})
            continue
        seen[value] = _place(gallery, slots, url, parts)
    return gallery


def _plain_identity(value: str) -> str | None:
    """The identity of an absolute photo URL no rule applies to (most of a listing's photos), found
    without the general path's parsing; None when the URL needs that path."""
    if not value.startswith(("https://", "http://")) or "?" in value or "#" in value:
        return None
    rest = value[value.index("//") + 2 :]
    slash = rest.find("/")
    if slash < 0:
        return None
    path = rest[slash:]
    lowered = path.lower()
    if lowered.endswith(_REJECTED_ENDINGS) or lowered.endswith(_NOT_PHOTOS) or _RULE_HINT.search(lowered):
        return None
    return f"{rest[:slash].lower()}{path}?"


def _place_original(gallery: Gallery, slots: dict, url: str, identity: str) -> int:
    """_place for a URL without size markers: an original, which no other size replaces."""
    if identity in slots:
        return _place(gallery, slots, url, split_url(url))
    slots[identity] = (len(gallery.photos), ORIGINAL)
    gallery.photos.append(url)
    return len(gallery.photos) - 1


def _photo(value: str, page_url: str, rules: GalleryRules):
    """(URL, its parts, None) for a photo, or (URL if any, None, why it is not one)."""
    url, why = _absolute(value, page_url)
    if why:
        return None, None, why
    parts = split_url(url)
    why = _rejection(url, parts, rules)
    if why:
        return url, None, why
    url, parts = _rewrite(url, parts, rules)
    return url, parts, None


def _place(gallery: Gallery, slots: dict, url: str, parts) -> int:
    """Put a photo in the gallery (or in the place of a smaller size of it); returns its index."""
    identity, size = identity_and_size(parts)
    if identity not in slots:
        slots[identity] = (len(gallery.photos), size)
        gallery.photos.append(url)
        return len(gallery.photos) - 1
    index, kept_size = slots[identity]
    if size > kept_size:
        gallery.dropped.append({"url": gallery.photos[index], "reason": f"smaller size of photo {index + 1}"})
        gallery.photos[index] = url
        slots[identity] = (index, size)
    else:
        why = "duplicate" if gallery.photos[index] == url else "smaller size"
        gallery.dropped.append({"url": url, "reason": f"{why} of photo {index + 1}"})
    return index
