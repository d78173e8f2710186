"""Every setting of both Workers, once: its name, which Worker reads it, its default, how it is parsed
and what it means. The entry files, the health answer and the processor read settings only through
`Config`; a unit test holds this table against both wrangler files' [vars] and the README's table.

Values arrive as strings (wrangler [vars], `--var`, secrets). A value that does not parse is a
configuration error the Worker reports (health answer, a 503 on the action that needs it); it is
never replaced by the default behind the operator's back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .api.cors import parse_origins

SCRAPER, PROCESSOR, BOTH = ("scraper",), ("processor",), ("scraper", "processor")
HANDOFF_MODES = ("binding", "queue", "none")  # HANDOFF_MODE and the scrape body's `handoff`
UPLOAD_MODES = ("url", "file", "binding")


class SettingError(ValueError):
    """A setting's value does not parse or is out of range."""


def text(value: str) -> str:
    return value


def flag(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("", "0", "false", "no", "off"):
        return False
    raise SettingError(f"expected true or false, got {value[:40]!r}")


def whole(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        if not (value.strip().isascii() and value.strip().isdigit()) or not low <= int(value) <= high:
            raise SettingError(f"expected a whole number from {low} to {high}, got {value[:40]!r}")
        return int(value)

    return parse


def decimal(low: float, high: float) -> Callable[[str], float]:
    def parse(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            raise SettingError(f"expected a number from {low} to {high}, got {value[:40]!r}") from None
        if not low <= number <= high:
            raise SettingError(f"expected a number from {low} to {high}, got {value[:40]!r}")
        return number

    return parse


def one_of(*choices: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value not in choices:
            raise SettingError(f"expected one of {', '.join(choices)}, got {value[:40]!r}")
        return value

    return parse


def host_list(value: str) -> list[str]:
    return [h.strip().lower() for h in value.split(",") if h.strip()]


def address_parts(value: str) -> tuple[str, ...]:
    """DEALER_ADDRESS: street; city; region; postal code; country code (empty: not set)."""
    if not value.strip():
        return ()
    parts = tuple(part.strip() for part in value.split(";"))
    if len(parts) != 5 or not all(parts):
        raise SettingError(f"expected 'street; city; region; postal code; country', got {value[:60]!r}")
    return parts


def origin_list(value: str) -> list[str]:
    try:
        return parse_origins(value)
    except ValueError as error:
        raise SettingError(str(error)) from None


@dataclass(frozen=True)
class Setting:
    name: str
    workers: tuple[str, ...]
    default: str | None  # the value when unset (None: unset means "not configured")
    parse: Callable[[str], object]
    meaning: str
    secret: bool = False
    placeholder: str | None = None  # the committed value that must be replaced before deploying


SETTINGS = (
    Setting(
        "SCRAPE_URL",
        SCRAPER,
        None,
        text,
        "the inventory listing page (page 1)",
        placeholder="https://dealer.example.com/inventory",
    ),
    Setting(
        "SITE_PROFILE",
        SCRAPER,
        "auto",
        text,
        "which site profile reads the dealer's pages (auto: detected from the first page)",
    ),
    Setting("RESPECT_ROBOTS_TXT", SCRAPER, "true", flag, "honour robots.txt"),
    Setting(
        "DEACTIVATION_GUARD_RATIO",
        SCRAPER,
        "0.5",
        decimal(0, 1),
        "refuse to deactivate anything when a scrape finds fewer than this share of the active vehicles",
    ),
    Setting(
        "MAX_PAGE_BYTES",
        SCRAPER,
        "5242880",
        whole(1024, 100 * 1024 * 1024),
        "a page larger than this is a site error, never read whole",
    ),
    Setting(
        "MAX_VEHICLES",
        SCRAPER,
        "5000",
        whole(1, 100_000),
        "a scrape listing more vehicles is a site error and writes nothing",
    ),
    Setting(
        "GALLERY_MAX_AGE_HOURS",
        SCRAPER,
        "24",
        decimal(0.01, 24 * 365),
        "a detail page's gallery is read again after this long, even if the listing shows no change",
    ),
    Setting(
        "GALLERY_READS_PER_RUN",
        SCRAPER,
        "200",
        whole(1, 5000),
        "detail pages one background gallery run reads at most (the rest wait for the next run)",
    ),
    Setting(
        "GALLERY_FALLBACK_HOURS",
        PROCESSOR,
        "6",
        decimal(0, 24 * 365),
        "after this long unread, a vehicle's gallery no longer holds up uploading its listing photos",
    ),
    Setting(
        "MAX_SUBREQUESTS_PER_INVOCATION",
        BOTH,
        "1000",
        whole(20, 100_000),
        "subrequests one invocation makes at most (1000 on the paid plan; set 50 on the free plan)",
    ),
    Setting(
        "HANDOFF_MODE",
        SCRAPER,
        "binding",
        one_of(*HANDOFF_MODES),
        "how photos reach the processor: binding, queue or none",
    ),
    Setting(
        "IMAGE_PROCESSOR_URL",
        SCRAPER,
        "",
        text,
        "fallback hand-off by HTTP POST when the service binding is absent",
    ),
    Setting(
        "CLOUDFLARE_ACCOUNT_ID",
        BOTH,
        None,
        text,
        "the account of the Images API",
        placeholder="your-account-id",
    ),
    Setting(
        "CLOUDFLARE_IMAGES_ACCOUNT_HASH",
        BOTH,
        "",
        text,
        "the account hash of delivery URLs",
        placeholder="your-images-account-hash",
    ),
    Setting("IMAGE_DELIVERY_BASE", BOTH, "https://imagedelivery.net", text, "the delivery host"),
    Setting("UPLOAD_MODE", PROCESSOR, "url", one_of(*UPLOAD_MODES), "url, file or binding"),
    Setting("IMAGES_BATCH_UPLOADS", PROCESSOR, "false", flag, "upload through a batch token"),
    Setting(
        "IMAGES_API_REQUESTS_PER_MINUTE",
        PROCESSOR,
        "180",
        whole(1, 10_000),
        "the processor's share of the Images API limit",
    ),
    Setting(
        "ALLOWED_IMAGE_HOSTS",
        PROCESSOR,
        "",
        host_list,
        "the only hosts photos are fetched from",
        placeholder="dealer.example.com,cdn.example.com",
    ),
    Setting("BATCH_SIZE", PROCESSOR, "10", whole(1, 50), "vehicles per batch in background runs"),
    Setting("BACKGROUND_TIME_BUDGET_S", PROCESSOR, "20", decimal(1, 900), "how long a background run works"),
    Setting("CLAIM_TTL_S", PROCESSOR, "120", decimal(1, 3600), "how long a claim on a photo lasts"),
    Setting("MAX_IN_FLIGHT", PROCESSOR, "6", whole(1, 6), "uploads at once"),
    Setting("IMAGE_ID_PREFIX", PROCESSOR, "lambert", text, "the prefix of every custom image id"),
    Setting("IMAGES_API_BASE", PROCESSOR, "https://api.cloudflare.com/client/v4", text, "the Images API"),
    Setting("IMAGES_BATCH_API_BASE", PROCESSOR, "https://batch.imagedelivery.net", text, "the batch host"),
    Setting("WEBHOOK_URL", PROCESSOR, "", text, "where to POST signed run summaries"),
    Setting(
        "REMOVED_PHOTO_GRACE_DAYS",
        PROCESSOR,
        "7",
        decimal(0, 3650),
        "the image of a photo the dealer removed from a gallery is deleted this long after",
    ),
    Setting(
        "IMAGE_RETENTION_DAYS",
        PROCESSOR,
        "30",
        decimal(0, 36500),
        "a sold vehicle's images are deleted after this long inactive (its list goes back to vendor URLs); "
        "0 keeps them forever",
    ),
    Setting(
        "ORPHAN_GRACE_HOURS",
        PROCESSOR,
        "24",
        decimal(1, 8760),
        "the orphan sweep deletes only images of ours no row names that were uploaded longer ago than this",
    ),
    Setting(
        "ORPHAN_SWEEP_DAYS",
        PROCESSOR,
        "7",
        decimal(0.01, 365),
        "how often the cron run sweeps the account for orphaned images",
    ),
    Setting(
        "MAX_DELETIONS_PER_DAY",
        PROCESSOR,
        "2000",
        whole(0, 1_000_000),
        "images deleted per UTC day at most, whatever the cause (0: none)",
    ),
    Setting(
        "PHOTO_CHECK_DAYS",
        PROCESSOR,
        "7",
        decimal(0, 365),
        "each uploaded photo's host is asked this often whether the photo was replaced (0: never)",
    ),
    Setting(
        "PHOTO_CHECKS_PER_RUN",
        PROCESSOR,
        "100",
        whole(0, 1000),
        "photos one cleanup run asks about at most (the rest are asked in later runs)",
    ),
    Setting(
        "IMAGES_PRICE_PER_100K",
        PROCESSOR,
        "5",
        decimal(0, 10_000),
        "USD a month per 100,000 stored images, for the storage estimate in /api/image-status",
    ),
    Setting(
        "LOCAL_DEV_PROFILE",
        PROCESSOR,
        "false",
        flag,
        "allow private photo hosts (set only by the local launcher)",
    ),
    Setting(
        "ALLOWED_ORIGINS",
        BOTH,
        "",
        origin_list,
        "the dealer's site origins whose pages may read the read API and feeds (CORS); none by default",
    ),
    Setting("FEED_VENDOR_PHOTOS", BOTH, "false", flag, "feeds may show photos still on the vendor's CDN"),
    Setting("FEED_PHOTO_VARIANT", BOTH, "public", text, "the Cloudflare Images variant of the feeds' photos"),
    Setting("FEED_CONDITION", BOTH, "used", one_of("used", "new"), "the condition feeds give every vehicle"),
    Setting("FEED_CURRENCY", BOTH, "USD", text, "the ISO 4217 currency of the feeds' prices"),
    Setting("FEED_MILEAGE_UNIT", BOTH, "miles", one_of("miles", "km"), "the unit of the feeds' mileage"),
    Setting("GOOGLE_STORE_CODE", BOTH, "", text, "the store code of the Google feed (its Business Profile)"),
    Setting("DEALER_NAME", BOTH, "", text, "the dealer's name, in the feeds"),
    Setting(
        "DEALER_ADDRESS", BOTH, "", address_parts, "street; city; region; postal code; country (Meta's feed)"
    ),
    Setting("ADMIN_TOKEN", BOTH, None, text, "Bearer token of every state-changing endpoint", secret=True),
    Setting("CF_IMAGES_TOKEN", PROCESSOR, None, text, "Cloudflare API token with Images: Edit", secret=True),
    Setting("WEBHOOK_SECRET", PROCESSOR, None, text, "HMAC key of the webhook signature", secret=True),
)
BY_NAME = {setting.name: setting for setting in SETTINGS}


def settings_of(worker: str) -> list[Setting]:
    return [s for s in SETTINGS if worker in s.workers]


class Config:
    """One Worker's settings, read from `raw` (its env as a mapping of strings or None)."""

    def __init__(self, worker: str, raw: Mapping[str, str | None]):
        self.worker = worker
        self.raw = {s.name: raw.get(s.name) for s in settings_of(worker)}

    def is_set(self, name: str) -> bool:
        return bool(self.raw[name])

    def get(self, name: str):
        """The parsed value (the default when unset); SettingError when it does not parse, and when a
        setting without a default is unset."""
        setting = BY_NAME[name]
        value = self.raw[name]
        if value in (None, ""):
            if setting.default is None:
                raise SettingError(f"{name} is not set")
            value = setting.default
        try:
            return setting.parse(value)
        except SettingError as error:
            raise SettingError(f"{name}: {error}") from None
