"""The per-process scheduler: one APScheduler interval job that runs `Mentorbot.tick`.

Like python-telegram-bot's JobQueue, a small owned wrapper: the programme's state lives in our
tables (`due_work`), never in APScheduler's job store, so any number of processes can tick
against one database and a restart loses nothing (DESIGN §4).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

STOP_GRACE = 20.0  # seconds a running tick gets to finish at shutdown
DEFAULT_INTERVAL = 15.0  # seconds: answers go out at once; this only paces scheduled work


class Ticker:
    """Calls `tick` every `interval` seconds; a slow tick is never run twice at once."""

    def __init__(self, tick: Callable[[], Awaitable[object]], interval: float = DEFAULT_INTERVAL):
        self._tick = tick
        self.interval = interval
        self.failures = 0
        self.last_success: datetime | None = None
        # An explicit zone: APScheduler would otherwise guess the host's local time zone.
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._idle = asyncio.Event()
        self._idle.set()

    async def run_once(self) -> None:
        """One tick; errors are logged and counted, never allowed to stop the schedule."""
        self._idle.clear()
        try:
            await self._tick()
        except Exception:  # the next tick retries; leases make half-done work safe to redo
            self.failures += 1
            log.exception("tick failed")
        else:
            self.last_success = datetime.now(UTC)
        finally:
            self._idle.set()

    def start(self) -> None:
        """Start ticking now and then every `interval` seconds (in the running event loop)."""
        self._scheduler.add_job(
            self.run_once,
            "interval",
            seconds=self.interval,
            next_run_time=datetime.now(UTC),
            coalesce=True,  # after a stall, run once, not once per missed interval
            max_instances=1,
            id="mentorbot-tick",
        )
        self._scheduler.start()

    def poke(self) -> None:
        """Run a tick as soon as possible (coalesced with one already running or due)."""
        if self._scheduler.running:
            job = self._scheduler.get_job("mentorbot-tick")
            if job is not None:
                job.modify(next_run_time=datetime.now(UTC))

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Stop ticking and let a tick in progress finish (up to `grace` seconds).

        Cancelling a tick in the middle of a database call can leave the driver's connection
        half-closed, and the process then hangs at exit; leases make waiting unnecessary for
        correctness, but waiting makes shutdown clean.
        """
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        try:
            await asyncio.wait_for(self._idle.wait(), timeout=grace)
        except TimeoutError:
            log.warning("a tick was still running after %.0f s; stopping anyway", grace)
