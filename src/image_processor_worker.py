"""image-processor: upload vendor photos to Cloudflare Images and write the ids back into D1.

Routes (inventory/api/processor_routes.py): GET / (health), POST /api/process-images (admin),
GET /api/image-status, GET /api/failures (admin), POST /api/requeue (admin), POST /api/cleanup
(admin), GET /api/vehicles, GET /openapi.json; /admin (the panel) is a static asset. RPC for the
scraper's service binding: process_vehicles(ids, trigger), enqueue_vehicles(ids). queue() consumes
image jobs; cron drains the backlog, then deletes the images no list needs (and weekly, sweeps).
"""

from inventory.api.processor_routes import ROUTES
from inventory.photos.lifecycle import run_cleanup, sweep_due
from inventory.photos.queue_jobs import consume_dead_letters, consume_jobs
from inventory.photos.run import drain
from inventory.photos.wiring import enqueue_for, lifecycle_for, processor_for
from inventory.runtime import RoutedEntrypoint, to_python


class Default(RoutedEntrypoint):
    name, routes = "processor", ROUTES

    async def scheduled(self, controller, env=None, ctx=None):
        worker = self.worker()
        processor, lifecycle = processor_for(worker), lifecycle_for(worker)
        await drain(
            processor,
            trigger="cron",
            batch_size=worker.setting("BATCH_SIZE"),
            time_budget_s=worker.setting("BACKGROUND_TIME_BUDGET_S"),
        )
        sweep = await sweep_due(processor.d1, lifecycle, processor.wall_clock())
        await run_cleanup(processor, lifecycle, trigger="cron", sweep=sweep)

    async def queue(self, batch, env=None, ctx=None):
        """Queue consumer: image jobs, and the dead-letter queue's messages."""
        worker, messages = self.worker(), list(batch.messages)
        if str(batch.queue).endswith("-dlq"):
            count = await consume_dead_letters(worker.d1(), messages)
            print(f"☠️ Recorded {count} photos of {len(messages)} dead-lettered jobs as failed")
            return

        async def resend(body, delay_s):
            worker.subrequests.spend()
            await worker.binding("IMAGE_JOBS").send(body, delaySeconds=delay_s)

        # One attempt per delivery: the queue redelivers on the same schedule.
        await consume_jobs(processor_for(worker, attempts_per_run=1), messages, resend)

    async def enqueue_vehicles(self, vehicle_ids=None):
        """RPC for the scraper in queue mode: one job per vehicle that holds vendor URLs."""
        worker = self.worker()
        if not worker.has_binding("IMAGE_JOBS"):
            raise RuntimeError("queue mode needs the IMAGE_JOBS queue binding on the image processor")
        ids = None if vehicle_ids is None else [int(i) for i in to_python(vehicle_ids)]
        sent = await enqueue_for(worker, ids)
        print(f"📮 Queued {sent} image jobs")
        return sent

    async def process_vehicles(self, vehicle_ids, trigger="handoff"):
        """RPC for the scraper: process these vehicles within the background time budget."""
        worker, ids = self.worker(), [int(i) for i in to_python(vehicle_ids)]
        print(f"📥 Hand-off received: {len(ids)} vehicles")
        return await drain(
            processor_for(worker),
            trigger=str(trigger),
            batch_size=worker.setting("BATCH_SIZE"),
            time_budget_s=worker.setting("BACKGROUND_TIME_BUDGET_S"),
            vehicle_ids=ids,
        )
