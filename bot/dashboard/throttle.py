"""Login throttling for the admin web: after a handful of failures from one address in a
minute, that address is refused (429) until the oldest failure is a minute old.

In-process: each `serve` process counts on its own (with N replicas an address gets up to N
times the limit), which is enough to make guessing pointless next to a 32-character token.
It keys on the connection's address, not on X-Forwarded-For (anyone can write that header).
Time comes from the bot's clock, so tests move time instead of sleeping.
"""

from __future__ import annotations

import math
from collections import deque
from datetime import datetime, timedelta

from conversations.ports import Clock

FAILURE_LIMIT = 5
WINDOW = timedelta(seconds=60)
MAX_CLIENTS = 10_000  # addresses remembered at most: many addresses must not exhaust memory


class LoginThrottle:
    """Failed attempts per client address within a sliding window."""

    def __init__(
        self,
        clock: Clock,
        *,
        limit: int = FAILURE_LIMIT,
        window: timedelta = WINDOW,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        self.clock = clock
        self.limit = limit
        self.window = window
        self.max_clients = max_clients
        self._failures: dict[str, deque[datetime]] = {}

    def retry_after(self, client: str) -> int | None:
        """Seconds until `client` may try again, or None when it may try now."""
        now = self.clock.now()
        failures = self._recent(client, now)
        if len(failures) < self.limit:
            return None
        return max(1, math.ceil((failures[0] + self.window - now).total_seconds()))

    def failed(self, client: str) -> bool:
        """Count a failed attempt; True when this one reached the limit (the address is now
        refused), so the caller can record that once rather than on every refusal."""
        now = self.clock.now()
        failures = self._recent(client, now)
        if not failures:
            self._make_room(now)
            self._failures[client] = failures
        failures.append(now)
        return len(failures) == self.limit

    def _recent(self, client: str, now: datetime) -> deque[datetime]:
        failures = self._failures.get(client, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            self._failures.pop(client, None)
        return failures

    def _make_room(self, now: datetime) -> None:
        if len(self._failures) < self.max_clients:
            return
        for client in [c for c, times in self._failures.items() if times[-1] <= now - self.window]:
            del self._failures[client]
        # Still full (a flood from many addresses): forget the oldest half.
        if len(self._failures) >= self.max_clients:
            for client in list(self._failures)[: self.max_clients // 2]:
                del self._failures[client]
