"""The per-process scheduler: one APScheduler interval job that runs `Mentorbot.tick`.

Like python-telegram-bot's JobQueue, a small owned wrapper: the programme's state lives in our
tables (`due_work`), never in APScheduler's job store, so any number of processes can tick
against one database and a restart loses nothing (docs/architecture.md, "due_work outbox").
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

STOP_GRACE = 20.0  # seconds a running tick gets to finish at shutdown
POKE_GAP = timedelta(milliseconds=100)  # pokes closer than this share one tick
DEFAULT_INTERVAL = 15.0  # seconds: answers go out at once; this only paces scheduled work


class Ticker:
    """Calls `tick` every `interval` seconds; a slow tick is never run twice at once."""

    def __init__(self, tick: Callable[[], Awaitable[object]], interval: float = DEFAULT_INTERVAL):
        self._tick = tick
        self.interval = interval
        self.failures = 0
        self._failing = 0  # consecutive failures
        self.last_success: datetime | None = None
        # An explicit zone: APScheduler would otherwise guess the host's local time zone.
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._idle = asyncio.Event()
        self._idle.set()
        self._again = False  # poked while a tick ran: go round once more
        self._poke_at: datetime | None = None  # no new poke run before this

    async def run_once(self) -> None:
        """One tick (again at once if poked meanwhile); errors are logged and counted, never
        allowed to stop the schedule."""
        self._idle.clear()
        try:
            while True:
                self._again = False
                await self._tick_once()
                if not self._again:
                    break
        finally:
            self._idle.set()

    async def _tick_once(self) -> None:
        try:
            await self._tick()
        except Exception as error:  # the next tick retries; leases make half-done work safe
            self.failures += 1
            self._failing += 1
            if self._failing == 1:
                log.exception("tick failed")
            else:  # an outage (database down) fails every tick: one traceback is enough
                log.warning("tick failed again (%d in a row): %r", self._failing, error)
        else:
            if self._failing:
                log.info("tick recovered after %d failed ticks", self._failing)
            self._failing = 0
            self.last_success = datetime.now(UTC)

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
        """Run a tick as soon as possible, for work an answer just queued.

        During a tick, the running one goes round again when it ends (APScheduler would skip a
        second instance, leaving the work for the next interval). Otherwise pokes in quick
        succession are coalesced into one run `POKE_GAP` apart: a busy Slack workspace sends
        hundreds of events a second, and one tick serves them all.
        """
        if not self._scheduler.running:
            return
        if not self._idle.is_set():
            self._again = True
            return
        now = datetime.now(UTC)
        if self._poke_at is not None and now < self._poke_at:
            return  # a poke run is already scheduled
        job = self._scheduler.get_job("mentorbot-tick")
        if job is not None:
            self._poke_at = now + POKE_GAP
            job.modify(next_run_time=now)

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Stop ticking and let a tick in progress finish (up to `grace` seconds).

        Cancelling a tick in the middle of a database call can leave the driver's connection
        half-closed, and the process then hangs at exit; leases make waiting unnecessary for
        correctness, but waiting makes shutdown clean.
        """
        if not self._scheduler.running:
            return
        # Pause first: APScheduler's asyncio executor cancels a running job at shutdown, so
        # shutting down before the tick is idle would cancel it mid-send or mid-query.
        self._scheduler.pause()
        try:
            await asyncio.wait_for(self._idle.wait(), timeout=grace)
        except TimeoutError:
            log.warning("a tick was still running after %.0f s; stopping anyway", grace)
        finally:
            self._scheduler.shutdown(wait=False)
