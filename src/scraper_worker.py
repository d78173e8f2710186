"""lambert-scraper: read the dealer's inventory into D1 fast, then hand the photos to the processor.

Routes: GET / (health), POST /api/scrape (admin token), GET /api/vehicles; cron runs the scrape too.
"""
import json
import sys

from workers import WorkerEntrypoint

from inventory import VERSION
from inventory.images import DELIVERY_BASE
from inventory.listing import list_vehicles_response
from inventory.openapi import SCRAPER_SPEC
from inventory.profiles import get_profile
from inventory.runtime import (D1, WorkersHttp, answer, env_value, has_binding, json_response, read_body,
                               request_parts, to_python)
from inventory.scrape import ScrapeLimits, SiteError, run_scrape
from inventory.web import HANDOFF_MODES, ApiError, check_admin, check_method, env_flag, only_fields, parse_json_body

BINDINGS = ("DB", "IMAGE_PROCESSOR")
SECRETS = ("ADMIN_TOKEN",)


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return await answer(self.route, request)

    async def route(self, request):
        method, path, query = request_parts(request)
        if path == "/":
            check_method(method, ("GET",))
            return json_response(self.health())
        if path == "/api/scrape":
            check_method(method, ("POST",))
            check_admin(request.headers.get("authorization"), env_value(self.env, "ADMIN_TOKEN"))
            body = parse_json_body(await read_body(request))
            only_fields(body, {"handoff"})
            handoff = body.get("handoff", env_value(self.env, "HANDOFF_MODE", "binding"))
            if handoff not in HANDOFF_MODES:
                raise ApiError(400, f"handoff must be one of {', '.join(HANDOFF_MODES)}, got {str(handoff)[:20]!r}")
            return await self.scrape("http", handoff)
        if path == "/api/vehicles":
            check_method(method, ("GET",))
            return json_response(await self.vehicles(query))
        if path == "/openapi.json":
            check_method(method, ("GET",))
            return json_response(SCRAPER_SPEC)
        raise ApiError(404, f"no such endpoint: {path}")

    async def scheduled(self, controller, env=None, ctx=None):
        response = await self.scrape("cron", env_value(self.env, "HANDOFF_MODE", "binding"))
        print(f"⏰ Cron scrape answered {response.status}")

    def health(self) -> dict:
        return {
            "service": "lambert-scraper", "version": VERSION,
            "runtime": {"python": sys.version.split()[0], "platform": sys.platform},
            "bindings": {name: has_binding(self.env, name) for name in BINDINGS},
            "secrets": {name: bool(env_value(self.env, name)) for name in SECRETS},
            "config": {"scrapeUrlSet": bool(env_value(self.env, "SCRAPE_URL")),
                       "profile": env_value(self.env, "SITE_PROFILE", "lambert"),
                       "imageProcessorUrlSet": bool(env_value(self.env, "IMAGE_PROCESSOR_URL")),
                       "handoffMode": env_value(self.env, "HANDOFF_MODE", "binding")},
        }

    async def scrape(self, trigger: str, handoff: str):
        start_url = env_value(self.env, "SCRAPE_URL")
        if not start_url:
            raise ApiError(503, "SCRAPE_URL is not configured")
        try:
            profile = get_profile(env_value(self.env, "SITE_PROFILE"))
        except KeyError as error:
            raise ApiError(503, str(error.args[0])) from None
        d1 = D1(self.env.DB)
        try:
            result = await run_scrape(
                WorkersHttp(), d1, start_url, profile, trigger=trigger,
                respect_robots=env_flag(env_value(self.env, "RESPECT_ROBOTS_TXT"), True),
                guard_ratio=float(env_value(self.env, "DEACTIVATION_GUARD_RATIO", "0.5")),
                limits=ScrapeLimits(max_page_bytes=int(env_value(self.env, "MAX_PAGE_BYTES", "5242880")),
                                    max_vehicles=int(env_value(self.env, "MAX_VEHICLES", "5000"))))
        except SiteError as error:
            print(f"❌ Scrape failed, nothing saved: {error}")
            return json_response({"success": False, "error": f"dealer site unavailable: {error}",
                                  "cause": str(error)}, 502)
        ids = result["vehicleIdsWithVendorUrls"]
        if handoff == "none" or not ids:
            triggered = "not requested" if handoff == "none" else "nothing to process"
        elif handoff == "queue":
            triggered = self.queue_jobs(ids)
        else:
            triggered = self.hand_off(ids)
        summary = result["summary"]
        return json_response({"success": True, **summary, "processingTriggered": triggered,
                              "skippedEntries": result["skipped"], "warningEntries": result["warnings"]})

    def hand_off(self, vehicle_ids: list) -> str:
        """Start the image processor without waiting for it; a failure here never fails the scrape."""
        if has_binding(self.env, "IMAGE_PROCESSOR"):
            self.ctx.waitUntil(self._call_processor(vehicle_ids))
            print(f"📨 Handed {len(vehicle_ids)} vehicles to the image processor (service binding)")
            return "service-binding"
        url = env_value(self.env, "IMAGE_PROCESSOR_URL")
        if url:
            self.ctx.waitUntil(self._post_processor(url, vehicle_ids))
            print(f"📨 Handed {len(vehicle_ids)} vehicles to the image processor ({url})")
            return "http"
        print("⚠️ No IMAGE_PROCESSOR binding and no IMAGE_PROCESSOR_URL: image processing not triggered")
        return "not configured"

    def queue_jobs(self, vehicle_ids: list) -> str:
        """Queue mode: the processor turns the ids into one queue message per vehicle."""
        if not has_binding(self.env, "IMAGE_PROCESSOR"):
            print("⚠️ Queue mode needs the IMAGE_PROCESSOR binding: image processing not triggered")
            return "not configured"
        self.ctx.waitUntil(self._enqueue(vehicle_ids))
        return "queue"

    async def _enqueue(self, vehicle_ids: list):
        try:
            sent = await self.env.IMAGE_PROCESSOR.enqueue_vehicles(vehicle_ids)
            print(f"📮 {to_python(sent)} image jobs queued")
        except Exception as error:
            print(f"⚠️ Queueing image jobs failed (the scrape is saved): {type(error).__name__}: {error}")

    async def _call_processor(self, vehicle_ids: list):
        try:
            result = await self.env.IMAGE_PROCESSOR.process_vehicles(vehicle_ids, "handoff")
            print(f"📬 Image processor finished the hand-off: {json.dumps(to_python(result))}")
        except Exception as error:
            print(f"⚠️ Image processor hand-off failed (the scrape is saved): {type(error).__name__}: {error}")

    async def _post_processor(self, url: str, vehicle_ids: list):
        headers = {"Content-Type": "application/json"}
        token = env_value(self.env, "ADMIN_TOKEN")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        endpoint = url.rstrip("/") + "/api/process-images"
        try:
            answer = await WorkersHttp().request("POST", endpoint, headers=headers, timeout_s=28,
                                                 body=json.dumps({"vehicleIds": vehicle_ids[:50]}).encode())
            print(f"📬 Image processor answered HTTP {answer.status}")
        except Exception as error:
            print(f"⚠️ Image processor hand-off failed (the scrape is saved): {error}")

    async def vehicles(self, query: dict) -> dict:
        return await list_vehicles_response(
            D1(self.env.DB), query, env_value(self.env, "CLOUDFLARE_IMAGES_ACCOUNT_HASH", ""),
            env_value(self.env, "IMAGE_DELIVERY_BASE", DELIVERY_BASE))
