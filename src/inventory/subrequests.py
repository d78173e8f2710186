"""The subrequest budget of one invocation (MAX_SUBREQUESTS_PER_INVOCATION).

Cloudflare counts every fetch, D1 call, service-binding call and queue call an invocation makes,
and fails the ones past its plan's limit (50 on the free plan, 1,000 paid). runtime.py gives each
invocation one counter that its D1 and fetch wrappers feed; background work asks `allows(n)` before
it claims work that costs n more, and leaves the rest for the next run.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_LIMIT = 1000
SUBREQUESTS_SPENT = "the invocation's subrequest budget (MAX_SUBREQUESTS_PER_INVOCATION) is spent"
INVOCATION_HEADER = "X-Lambert-Invocation"  # on every fetch of a Worker: which invocation sent it


@dataclass
class Subrequests:
    limit: int = DEFAULT_LIMIT
    used: int = 0
    held: int = 0  # the most that steps under way may still spend (see hold)

    def spend(self, count: int = 1) -> None:
        self.used += count

    @property
    def left(self) -> int:
        return max(0, self.limit - self.used - self.held)

    def allows(self, count: int, keep: int = 0) -> bool:
        """Whether `count` more fit, with `keep` still left for what must follow (the write-back)."""
        return self.used + self.held + count + keep <= self.limit

    def hold(self, count: int, keep: int = 0) -> bool:
        """Set aside the most a step may spend before it starts (steps run at once: six uploads),
        so that together they cannot pass the limit; False when it does not fit."""
        if not self.allows(count, keep):
            return False
        self.held += count
        return True

    def release(self, count: int) -> None:
        self.held -= count
