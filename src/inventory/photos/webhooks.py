"""Webhook notifications: a signed JSON summary after each processing run.

Receivers verify `X-Webhook-Signature: sha256=<hex>`, the HMAC-SHA256 of the raw request body
keyed with WEBHOOK_SECRET (compare in constant time). Delivery is retried with backoff and runs
in the background: it never delays or fails the processing itself.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time

from .. import iso_utc
from ..net.http import TransportError
from .retries import RETRY_DELAYS_S  # the same schedule as uploads

SIGNATURE_HEADER = "X-Webhook-Signature"


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def run_payloads(trigger: str, summary: dict, results: list[dict]) -> list[dict]:
    """One `processing.completed` event per run, and an `images.failed` event when photos failed for good."""
    sent_at = iso_utc(time.time())
    counts = {
        k: summary[k]
        for k in (
            "processed",
            "succeeded",
            "failed",
            "imagesUploaded",
            "imagesFailed",
            "imagesNotAttempted",
            "durationMs",
        )
        if k in summary
    }
    payloads = [{"event": "processing.completed", "trigger": trigger, "sentAt": sent_at, "summary": counts}]
    failed = [
        {"vehicleId": r["vehicleId"], "title": r["title"], "url": e["url"], "reason": e["reason"]}
        for r in results
        for e in r["errors"]
        if e["permanent"]
    ]
    if failed:
        payloads.append(
            {"event": "images.failed", "trigger": trigger, "sentAt": sent_at, "failures": failed[:100]}
        )
    return payloads


async def deliver(http, url: str, secret: str, payload: dict, *, sleep=asyncio.sleep, log=print) -> bool:
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, secret)}
    problem = ""
    for attempt, wait in enumerate((0.0, *RETRY_DELAYS_S), start=1):
        if wait:
            await sleep(wait)
        try:
            answer = await http.request("POST", url, headers=headers, body=body, timeout_s=10)
        except TransportError as error:
            problem = str(error)
            continue
        if answer.ok:
            log(f"🔔 Webhook {payload['event']} delivered (attempt {attempt})")
            return True
        problem = f"HTTP {answer.status}"
        if 400 <= answer.status < 500 and answer.status not in (408, 429):
            break
    log(f"⚠️ Webhook {payload['event']} not delivered: {problem}")
    return False
