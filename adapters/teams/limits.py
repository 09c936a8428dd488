"""Pacing for outbound sends: Teams allows about 7 messages a second per conversation and 50
requests a second per app per tenant (Bot Framework rate limits, of which we use 30); over that
it answers 429."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

PER_CONVERSATION = 7.0  # messages per second in one conversation
PER_TENANT = 30.0  # requests per second to one tenant (Teams allows 50)
# Requests to one tenant let go together. At 30 a second, one by one means waking every 33 ms
# for a single send, and each wake-up (timers, a cold cache, a one-row write) cost more CPU than
# the send itself; eight together, every 267 ms, share them (benchmarks/README.md, fan-out).
# Eight in 267 ms stays far under Teams' 50 a second in any window.
TENANT_BURST = 8
_FORGET_AFTER = 60.0  # seconds; keys idle this long are dropped so the table stays small


class RateLimiter:
    """Lets each key make at most `rate` calls a second, `burst` at a time.

    Time is cut into windows of `burst / rate` seconds, the first opening at a key's first call:
    a window's `burst` slots are free at its start, and a call finding the window full books the
    next one. `wait(key)` reserves a slot and sleeps until it, so concurrent callers queue up
    instead of all firing at once and collecting 429s. With `burst=1` the calls are evenly
    spaced, `1 / rate` apart.
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: int = 1,
        now: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.burst = max(1, burst)
        self.span = self.burst / rate  # seconds per window
        self._now = now
        self._sleep = sleep
        self._windows: dict[str, tuple[float, int]] = {}  # key → (window start, slots used)

    def reserve(self, key: str) -> float:
        """Book the next slot for `key`; the seconds to wait before using it."""
        now = self._now()
        if len(self._windows) > 10_000:
            self._windows = {
                k: w for k, w in self._windows.items() if w[0] + self.span > now - _FORGET_AFTER
            }
        window = self._windows.get(key)
        if window is not None:
            start, used = window
            if used < self.burst and now < start + self.span:
                self._windows[key] = (start, used + 1)
                return max(0.0, start - now)
            start = max(start + self.span, now)
        else:
            start = now
        self._windows[key] = (start, 1)
        return start - now

    async def wait(self, key: str) -> None:
        """Sleep until `key` may be used again."""
        delay = self.reserve(key)
        if delay > 0:
            await self._sleep(delay)
