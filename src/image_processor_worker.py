"""image-processor: upload vendor photos to Cloudflare Images and write the ids back into D1.

Routes: GET / (health), POST /api/process-images (admin), GET /api/image-status,
GET /api/failures (admin), POST /api/requeue (admin), GET /api/vehicles, GET /admin (the panel).
RPC for the scraper's service binding: process_vehicles(ids, trigger). Cron drains the backlog.
"""
import sys
import time

from workers import WorkerEntrypoint

from inventory import VERSION, db
from inventory.images import DELIVERY_BASE, parse_allowed_hosts, refuse_photo_url
from inventory.listing import list_vehicles_response
from inventory.openapi import PROCESSOR_SPEC
from inventory.processing import Processor, Settings, drain, process_batch
from inventory.queue_mode import consume_dead_letters, consume_jobs, enqueue_vehicles
from inventory.runtime import (D1, BindingTransport, WorkersHttp, answer, env_value, has_binding, html_response,
                               json_response, read_body, request_parts, to_python)
from inventory.uploader import RestFileTransport, RestUrlTransport
from inventory.webhooks import deliver
from inventory.web import (ApiError, check_admin, check_method, env_flag, id_list, int_in_range, only_fields,
                           parse_json_body)

BINDINGS = ("DB", "IMAGES", "IMAGE_JOBS")
SECRETS = ("CF_IMAGES_TOKEN", "ADMIN_TOKEN", "WEBHOOK_SECRET")
UPLOAD_MODES = ("url", "file", "binding")


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return await answer(self.route, request)

    async def route(self, request):
        method, path, query = request_parts(request)
        admin = lambda: check_admin(request.headers.get("authorization"), env_value(self.env, "ADMIN_TOKEN"))
        if path == "/":
            check_method(method, ("GET",))
            return json_response(self.health())
        if path == "/api/process-images":
            check_method(method, ("POST",))
            admin()
            return json_response(await self.process_request(parse_json_body(await read_body(request))))
        if path == "/api/image-status":
            check_method(method, ("GET",))
            stats = await db.image_status(D1(self.env.DB), int(time.time() * 1000))
            return json_response({"success": True, "stats": stats})
        if path == "/api/failures":
            check_method(method, ("GET",))
            admin()
            rows = await db.failures(D1(self.env.DB))
            return json_response({"success": True, "count": len(rows), "failures": [
                {**row, "permanent": bool(row["permanent"])} for row in rows]})
        if path == "/api/requeue":
            check_method(method, ("POST",))
            admin()
            return json_response(await self.requeue(parse_json_body(await read_body(request))))
        if path == "/api/vehicles":
            check_method(method, ("GET",))
            return json_response(await list_vehicles_response(
                D1(self.env.DB), query, env_value(self.env, "CLOUDFLARE_IMAGES_ACCOUNT_HASH", ""),
                env_value(self.env, "IMAGE_DELIVERY_BASE", DELIVERY_BASE)))
        if path == "/admin":
            check_method(method, ("GET",))
            from inventory.admin_panel import PAGE
            return html_response(PAGE)
        if path == "/openapi.json":
            check_method(method, ("GET",))
            return json_response(PROCESSOR_SPEC)
        raise ApiError(404, f"no such endpoint: {path}")

    async def scheduled(self, controller, env=None, ctx=None):
        processor = self.processor()
        await drain(processor, trigger="cron", batch_size=self.batch_size(),
                    time_budget_s=self.time_budget())

    async def queue(self, batch, env=None, ctx=None):
        """Queue consumer: image jobs, and the dead-letter queue's messages."""
        messages = list(batch.messages)
        if str(batch.queue).endswith("-dlq"):
            count = await consume_dead_letters(D1(self.env.DB), messages)
            print(f"☠️ Recorded {count} photos of {len(messages)} dead-lettered jobs as failed")
            return
        processor = self.processor(attempts_per_run=1)      # the queue redelivers on the same schedule
        async def resend(body, delay_s):
            await self.env.IMAGE_JOBS.send(body, delaySeconds=delay_s)
        await consume_jobs(processor, messages, resend)

    async def enqueue_vehicles(self, vehicle_ids=None):
        """RPC for the scraper in queue mode: one job per vehicle that holds vendor URLs."""
        if not has_binding(self.env, "IMAGE_JOBS"):
            raise RuntimeError("queue mode needs the IMAGE_JOBS queue binding on the image processor")
        ids = None if vehicle_ids is None else [int(i) for i in to_python(vehicle_ids)]
        sent = await enqueue_vehicles(D1(self.env.DB), self.env.IMAGE_JOBS, ids)
        print(f"📮 Queued {sent} image jobs")
        return sent

    async def process_vehicles(self, vehicle_ids, trigger="handoff"):
        """RPC for the scraper: process these vehicles within the background time budget."""
        ids = [int(i) for i in to_python(vehicle_ids)]
        print(f"📥 Hand-off received: {len(ids)} vehicles")
        return await drain(self.processor(), trigger=str(trigger), batch_size=self.batch_size(),
                           time_budget_s=self.time_budget(), vehicle_ids=ids)

    # --- helpers -------------------------------------------------------------------------------

    def health(self) -> dict:
        return {
            "service": "image-processor", "version": VERSION,
            "runtime": {"python": sys.version.split()[0], "platform": sys.platform},
            "bindings": {name: has_binding(self.env, name) for name in BINDINGS},
            "secrets": {name: bool(env_value(self.env, name)) for name in SECRETS},
            "config": {"uploadMode": self.upload_mode(), "accountIdSet": bool(env_value(self.env, "CLOUDFLARE_ACCOUNT_ID")),
                       "accountHashSet": bool(env_value(self.env, "CLOUDFLARE_IMAGES_ACCOUNT_HASH"))},
        }

    def upload_mode(self) -> str:
        return env_value(self.env, "UPLOAD_MODE", "url")

    def batch_size(self) -> int:
        return int(env_value(self.env, "BATCH_SIZE", "10"))

    def time_budget(self) -> float:
        return float(env_value(self.env, "BACKGROUND_TIME_BUDGET_S", "20"))

    def processor(self, attempts_per_run: int = 4) -> Processor:
        mode = self.upload_mode()
        if mode not in UPLOAD_MODES:
            raise ApiError(503, f"UPLOAD_MODE must be one of {', '.join(UPLOAD_MODES)}, got {mode!r}")
        http = WorkersHttp()
        allowed_hosts = parse_allowed_hosts(env_value(self.env, "ALLOWED_IMAGE_HOSTS"))
        allow_private = env_flag(env_value(self.env, "LOCAL_DEV_PROFILE"), False)
        check_url = lambda url: refuse_photo_url(url, allowed_hosts, allow_private)   # every redirect hop
        if mode == "binding":
            if not has_binding(self.env, "IMAGES"):
                raise ApiError(503, "UPLOAD_MODE is binding but the IMAGES binding is missing")
            transport = BindingTransport(self.env.IMAGES, http, check_url)
        else:
            missing = [n for n in ("CLOUDFLARE_ACCOUNT_ID", "CF_IMAGES_TOKEN") if not env_value(self.env, n)]
            if missing:
                raise ApiError(503, f"not configured for uploads: {', '.join(missing)} missing")
            kind = RestUrlTransport if mode == "url" else RestFileTransport
            batch_base = env_value(self.env, "IMAGES_BATCH_API_BASE", "https://batch.imagedelivery.net")
            transport = kind(http, env_value(self.env, "IMAGES_API_BASE", "https://api.cloudflare.com/client/v4"),
                             env_value(self.env, "CLOUDFLARE_ACCOUNT_ID"), env_value(self.env, "CF_IMAGES_TOKEN"),
                             batch_api_base=batch_base if env_flag(env_value(self.env, "IMAGES_BATCH_UPLOADS"), False)
                             else None, check_url=check_url)
        settings = Settings(
            id_prefix=env_value(self.env, "IMAGE_ID_PREFIX", "lambert"),
            claim_ttl_s=float(env_value(self.env, "CLAIM_TTL_S", "120")),
            api_requests_per_minute=int(env_value(self.env, "IMAGES_API_REQUESTS_PER_MINUTE", "180")),
            max_in_flight=int(env_value(self.env, "MAX_IN_FLIGHT", "6")),
            allowed_hosts=allowed_hosts, allow_private_hosts=allow_private,
            attempts_per_run=attempts_per_run)
        return Processor(D1(self.env.DB), transport, settings, notify=self.webhook_notifier())

    def webhook_notifier(self):
        url, secret = env_value(self.env, "WEBHOOK_URL"), env_value(self.env, "WEBHOOK_SECRET")
        if not url:
            return None
        if not secret:
            print("⚠️ WEBHOOK_URL is set but WEBHOOK_SECRET is not: webhooks are not sent unsigned")
            return None

        def notify(payloads):
            for payload in payloads:
                self.ctx.waitUntil(deliver(WorkersHttp(), url, secret, payload))
        return notify

    async def process_request(self, body: dict) -> dict:
        only_fields(body, {"batchSize", "vehicleIds"})
        if "batchSize" in body and "vehicleIds" in body:
            raise ApiError(400, "give either batchSize or vehicleIds, not both")
        if "vehicleIds" in body:
            ids = id_list(body["vehicleIds"], "vehicleIds", limit=50)
            return await process_batch(self.processor(), vehicle_ids=ids, trigger="http")
        size = int_in_range(body.get("batchSize", 10), "batchSize", 1, 50)
        return await process_batch(self.processor(), batch_size=size, trigger="http")

    async def requeue(self, body: dict) -> dict:
        only_fields(body, {"sourceUrls"})
        urls = body.get("sourceUrls")
        if urls is not None and (not isinstance(urls, list) or not all(isinstance(u, str) for u in urls)
                                 or len(urls) > 500):
            raise ApiError(400, "sourceUrls must be a list of up to 500 URLs (strings)")
        d1 = D1(self.env.DB)
        count, vehicle_ids = await db.requeue(d1, urls)
        queued = 0
        if vehicle_ids and has_binding(self.env, "IMAGE_JOBS"):
            queued = await enqueue_vehicles(d1, self.env.IMAGE_JOBS, vehicle_ids)
        return {"success": True, "requeued": count, "jobsQueued": queued}
