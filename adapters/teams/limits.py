"""Pacing for outbound sends: Teams allows about 7 messages a second per conversation and about
30 requests a second per tenant (Bot Framework rate limits); over that it answers 429."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

PER_CONVERSATION = 7.0  # messages per second in one conversation
PER_TENANT = 30.0  # requests per second to one tenant
_FORGET_AFTER = 60.0  # seconds; keys idle this long are dropped so the table stays small


class RateLimiter:
    """Spaces calls so that each key sees at most `rate` per second (a GCRA-style schedule).

    `wait(key)` reserves the next free slot and sleeps until it; concurrent callers queue up in
    order instead of all firing at once and collecting 429s.
    """

    def __init__(
        self,
        rate: float,
        *,
        now: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.interval = 1.0 / rate
        self._now = now
        self._sleep = sleep
        self._next: dict[str, float] = {}

    def reserve(self, key: str) -> float:
        """Book the next slot for `key`; the seconds to wait before using it."""
        now = self._now()
        if len(self._next) > 10_000:
            self._next = {k: t for k, t in self._next.items() if t > now - _FORGET_AFTER}
        start = max(now, self._next.get(key, now))
        self._next[key] = start + self.interval
        return start - now

    async def wait(self, key: str) -> None:
        """Sleep until `key` may be used again."""
        delay = self.reserve(key)
        if delay > 0:
            await self._sleep(delay)
