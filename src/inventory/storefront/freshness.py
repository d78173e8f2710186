"""How the read API stays fast without ever answering from an inventory that has moved on.

D1 holds the inventory's version (migration 0007: triggers move it on with every change a reader
could see). Answers are cached in the Workers cache under keys that carry that version, so a changed
inventory can only miss, never hit a stale page. The version itself is cached for VERSION_TTL_S:
a read within that window reaches no D1 at all. Every write to vehicles through this data centre's
Workers drops the cached version at once (runtime.D1), so the next read here is fresh; a write made
elsewhere is seen within VERSION_TTL_S (the Cache API is per data centre).
"""

from __future__ import annotations

import hashlib

from .. import VERSION, db

VERSION_KEY = "https://inventory-storefront.cache/version"
VERSION_TTL_S = 5  # how long a data centre trusts its cached version without asking D1
ANSWER_TTL_S = 24 * 3600  # a versioned answer never goes stale, only out of use
MAX_AGE_S = 10  # what browsers and shared caches may keep without asking (Cache-Control)


async def inventory_version(d1, cache) -> tuple[str, bool]:
    """The inventory's version stamp and whether the cache knew it (no D1 round trip)."""
    cached = await _cached(cache, VERSION_KEY)
    if cached:
        return cached, True
    version = await db.inventory_version(d1)
    await _keep(cache, VERSION_KEY, version, VERSION_TTL_S)
    return version, False


def answer_key(path: str, query: dict, version: str, output: tuple) -> str:
    """The cache key of an answer: its path, its query in a fixed order, the inventory version, and
    what else shapes the answer (delivery host, account hash, code version)."""
    shape = hashlib.sha256(repr((VERSION, *output)).encode()).hexdigest()[:12]
    ordered = "&".join(f"{k}={v}" for k, v in sorted(query.items()))
    return f"https://inventory-storefront.cache/v{version}/{shape}{path}?{ordered}"


def etag_for(key: str) -> str:
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:24] + '"'


def not_modified(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    given = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in given or etag in given


async def cached_answer(cache, key: str) -> str | None:
    return await _cached(cache, key)


async def keep_answer(cache, key: str, text: str) -> None:
    await _keep(cache, key, text, ANSWER_TTL_S)


async def _cached(cache, key: str) -> str | None:
    try:
        return await cache.get(key)
    except Exception as error:  # a cache that fails is a cache that misses
        print(f"⚠️ Cache lookup failed ({type(error).__name__}); reading D1")
        return None


async def _keep(cache, key: str, text: str, ttl_s: int) -> None:
    try:
        await cache.put(key, text, ttl_s)
    except Exception as error:
        print(f"⚠️ Cache write failed ({type(error).__name__}); the next read asks D1 again")
