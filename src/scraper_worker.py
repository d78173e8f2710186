"""lambert-scraper: read the dealer's inventory into D1 fast, then hand the photos to the processor.

Routes (inventory/api/scraper_routes.py): GET / (health), POST /api/scrape (admin), GET /api/vehicles,
GET /openapi.json. The cron runs the scrape too.
"""

from inventory.api.scraper_routes import ROUTES, scrape
from inventory.runtime import RoutedEntrypoint


class Default(RoutedEntrypoint):
    name, routes = "scraper", ROUTES

    async def scheduled(self, controller, env=None, ctx=None):
        worker = self.worker()
        answer = await scrape(worker, "cron", worker.setting("HANDOFF_MODE"))
        print(f"⏰ Cron scrape answered {answer.status}")
