"""Login throttling for the admin web: after a handful of failures from one address in a
minute, that address's further failures are answered 429 until the oldest failure is a minute
old. A right credential is never throttled.

Why only failures: the admin token is at least 32 random characters and links and sessions
are 256 random bits, so no rate of guessing makes them guessable; the throttle is there to
bound load and log noise. Refusing the right token as well would let anyone lock the admins
out: behind a reverse proxy every client shares the proxy's address, and five bad requests a
minute would keep Bearer scripts, the login form and link clicks out for good.

In-process: each `serve` process counts on its own (with N replicas an address gets up to N
times the limit). It keys on the connection's address, not on X-Forwarded-For (anyone can
write that header). Rotating addresses escape a per-address count, so `RefusalLog` also caps
the audit rows refusals write across all addresses. Time comes from the bot's clock, so tests
move time instead of sleeping.
"""

from __future__ import annotations

import math
from collections import deque
from datetime import datetime, timedelta

from conversations.ports import Clock

FAILURE_LIMIT = 5
WINDOW = timedelta(seconds=60)
MAX_CLIENTS = 10_000  # addresses remembered at most: many addresses must not exhaust memory
AUDIT_LIMIT = 20  # refusals written to the audit log per window, across all addresses


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


class RefusalLog:
    """Which refused attempts to write to the audit log: at most `limit` per window across
    every address (rotating addresses are never throttled, and the throttle's table evicts
    itself when full, so only a global cap bounds the log), then one summary row saying how
    many more were not written. Every refusal is counted for /metrics.

    Windows are fixed, starting at the first refusal after the previous one ended. The summary
    of a window is due once it has ended, and is written with the next refusal or sign-in
    (`due_summary`): a quiet dashboard writes nothing at all.
    """

    def __init__(self, clock: Clock, *, limit: int = AUDIT_LIMIT, window: timedelta = WINDOW):
        self.clock = clock
        self.limit = limit
        self.window = window
        self.total = 0  # every refusal, written or not
        self.unlogged = 0  # refusals never written one by one
        self._started: datetime | None = None
        self._written = 0
        self._skipped = 0

    def admit(self) -> bool:
        """Count one refusal; True when it may be written to the audit log."""
        self.total += 1
        self._roll(self.clock.now())
        if self.may_write():
            return True
        self._skipped += 1
        self.unlogged += 1
        return False

    def may_write(self) -> bool:
        """True (and counted against the cap) when one more row about refusals fits in this
        window: a refusal's own, or the note that an address was throttled."""
        self._roll(self.clock.now())
        if self._started is None:
            self._started = self.clock.now()
        if self._written >= self.limit:
            return False
        self._written += 1
        return True

    def due_summary(self) -> int:
        """How many refusals of a window that has ended were not written (0 when none): the
        caller writes one row saying so. Each window's count is returned once."""
        return self._roll(self.clock.now())

    def _roll(self, now: datetime) -> int:
        if self._started is None or now - self._started < self.window:
            return 0
        skipped = self._skipped
        self._started, self._written, self._skipped = None, 0, 0
        return skipped
