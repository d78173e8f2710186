"""The image processor put together from the Worker's settings: its transport, rules and webhooks."""

from __future__ import annotations

from ..api.checks import ApiError
from .lifecycle import LifecycleSettings
from .queue_jobs import enqueue_vehicles
from .run import Processor, Settings
from .transports import BindingTransport, RestFileTransport, RestUrlTransport
from .webhooks import deliver


def transport_for(worker, check_url):
    """The upload transport UPLOAD_MODE asks for; ApiError 503 when what it needs is missing."""
    mode = worker.setting("UPLOAD_MODE")
    if mode == "binding":
        if not worker.has_binding("IMAGES"):
            raise ApiError(503, "UPLOAD_MODE is binding but the IMAGES binding is missing")
        return BindingTransport(worker.binding("IMAGES"), worker.http(), worker.to_python, check_url)
    missing = [
        name for name in ("CLOUDFLARE_ACCOUNT_ID", "CF_IMAGES_TOKEN") if not worker.config.is_set(name)
    ]
    if missing:
        raise ApiError(503, f"not configured for uploads: {', '.join(missing)} missing")
    kind = RestUrlTransport if mode == "url" else RestFileTransport
    batch_base = worker.setting("IMAGES_BATCH_API_BASE") if worker.setting("IMAGES_BATCH_UPLOADS") else None
    return kind(
        worker.http(),
        worker.setting("IMAGES_API_BASE"),
        worker.setting("CLOUDFLARE_ACCOUNT_ID"),
        worker.setting("CF_IMAGES_TOKEN"),
        batch_api_base=batch_base,
        check_url=check_url,
    )


def processor_for(worker, attempts_per_run: int = 4) -> Processor:
    settings = Settings(
        id_prefix=worker.setting("IMAGE_ID_PREFIX"),
        claim_ttl_s=worker.setting("CLAIM_TTL_S"),
        api_requests_per_minute=worker.setting("IMAGES_API_REQUESTS_PER_MINUTE"),
        max_in_flight=worker.setting("MAX_IN_FLIGHT"),
        allowed_hosts=worker.setting("ALLOWED_IMAGE_HOSTS"),
        allow_private_hosts=worker.setting("LOCAL_DEV_PROFILE"),
        attempts_per_run=attempts_per_run,
        gallery_fallback_hours=worker.setting("GALLERY_FALLBACK_HOURS"),
    )
    return Processor(
        worker.d1(),
        transport_for(worker, settings.refuses),  # every photo URL and every redirect hop
        settings,
        notify=webhook_notifier(worker),
        log=worker.log,
        subrequests=worker.subrequests,
        http=worker.http(),
    )


def webhook_notifier(worker):
    """notify(payloads) sending each signed in the background, or None when webhooks are off."""
    url = worker.setting("WEBHOOK_URL")
    if not url:
        return None
    if not worker.config.is_set("WEBHOOK_SECRET"):
        print("⚠️ WEBHOOK_URL is set but WEBHOOK_SECRET is not: webhooks are not sent unsigned")
        return None
    secret = worker.setting("WEBHOOK_SECRET")

    def notify(payloads):
        for payload in payloads:
            worker.wait_until(deliver(worker.http(), url, secret, payload))

    return notify


async def enqueue_for(worker, vehicle_ids: list[int] | None) -> int:
    """Queue mode: one job per vehicle that holds vendor URLs (these, or all), with the Worker's
    gallery fallback and within its subrequest budget."""
    hours = worker.setting("GALLERY_FALLBACK_HOURS")
    queue = worker.binding("IMAGE_JOBS")
    return await enqueue_vehicles(worker.d1(), queue, vehicle_ids, hours, worker.subrequests)


def lifecycle_for(worker) -> LifecycleSettings:
    """The photo lifecycle's settings (photos/lifecycle.py)."""
    return LifecycleSettings(
        removed_grace_days=worker.setting("REMOVED_PHOTO_GRACE_DAYS"),
        retention_days=worker.setting("IMAGE_RETENTION_DAYS"),
        orphan_grace_hours=worker.setting("ORPHAN_GRACE_HOURS"),
        max_deletions_per_day=worker.setting("MAX_DELETIONS_PER_DAY"),
        sweep_days=worker.setting("ORPHAN_SWEEP_DAYS"),
        price_per_100k=worker.setting("IMAGES_PRICE_PER_100K"),
        photo_check_days=worker.setting("PHOTO_CHECK_DAYS"),
        photo_checks_per_run=worker.setting("PHOTO_CHECKS_PER_RUN"),
    )
