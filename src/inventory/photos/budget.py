"""The processor's share of the Images API rate limit, counted in D1 across invocations."""

from __future__ import annotations

import asyncio
import time

from .. import db


class BudgetSpent(Exception):
    pass


class ApiBudget:
    """The processor's share of the Images API rate limit, counted in D1 across invocations.

    Cloudflare allows 1,200 requests per rolling 5 minutes. Budgets are kept per clock minute:
    any 5-minute span touches at most 6 minutes, so `per_minute` <= 200 keeps every span under
    1,200 whatever the other invocations do.
    """

    def __init__(self, d1, per_minute: int, clock=time.time, chunk: int = 6):
        self.d1, self.per_minute, self.clock, self.chunk = d1, per_minute, clock, chunk
        self._window, self._left, self._lock = None, 0, asyncio.Lock()
        self._exhausted_window = None  # no more to be had this minute: stop asking D1
        self.spent = 0

    async def reserve(self, wanted: int) -> int:
        window = int(self.clock() // 60 * 60)
        if window != self._window:
            self._window, self._left = window, 0
        wanted = max(0, wanted - self._left)  # never hold more than this run can use
        if self._exhausted_window == window or not wanted:
            return 0
        granted = await db.reserve_api_requests(self.d1, window, wanted, self.per_minute)
        if granted < wanted:
            self._exhausted_window = window
        self._left += granted
        return granted

    @property
    def exhausted(self) -> bool:
        return self._exhausted_window == int(self.clock() // 60 * 60) and self._left <= 0

    async def take(self) -> bool:
        async with self._lock:
            if self._window != int(self.clock() // 60 * 60) or self._left <= 0:
                await self.reserve(self.chunk)
            if self._left <= 0:
                return False
            self._left -= 1
            self.spent += 1
            return True
