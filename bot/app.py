"""The composition root: `build_app(settings)` wires storage, the engine and the senders.

Nothing here is a module-level singleton; every command and the server build one `Mentorbot`
and pass it down, so tests can build as many as they like side by side.
"""

from __future__ import annotations

import logging
import os
import random
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import SystemClock
from bot.dashboard.auth import ChatLinks
from bot.database import open_database
from bot.platforms import delivering_platforms
from bot.settings import Settings
from conversations.engine import Engine
from conversations.ports import Clock, Sender
from delivery.stats import DeliveryStats
from delivery.worker import Deliverer
from storage.db import create_engine, make_sessionmaker
from storage.store import SqlStore

log = logging.getLogger(__name__)


class Wakeup:
    """ "Work was queued for now": adapters call `kick` after an answer; the one listener (the
    ticker, under `serve`) runs delivery at once. Built with the bot, so adapters get a bound
    method of an object that exists before them, never a callback bound later."""

    def __init__(self) -> None:
        self._listener: Callable[[], None] | None = None

    def listen(self, listener: Callable[[], None]) -> None:
        """Call `listener` on every kick from now on (the ticker's `poke`)."""
        self._listener = listener

    def kick(self) -> None:
        """Tell the listener, if any, that work is waiting."""
        if self._listener is not None:
            self._listener()


@dataclass
class Mentorbot:
    """One running instance: its settings, store, engine and delivery worker."""

    settings: Settings
    db: AsyncEngine
    # The one session factory of the process: the store and every side repository share it.
    sessions: async_sessionmaker[AsyncSession]
    store: SqlStore
    engine: Engine
    deliverer: Deliverer
    clock: Clock
    senders: dict[str, Sender] = field(default_factory=dict)
    # Told after an answer queued work for "now"; `serve` has the ticker listen so the work
    # goes out at once. Nobody listens elsewhere (the CLI ticks explicitly).
    wakeup: Wakeup = field(default_factory=lambda: Wakeup())
    housekeeping: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def add_sender(self, sender: Sender) -> None:
        """Register a platform's sender with the delivery worker."""
        self.senders[sender.platform] = sender
        self.deliverer.senders[sender.platform] = sender

    async def tick(self) -> DeliveryStats | None:
        """Run due programme work, then deliver everything due.

        Returns what the delivery did, or None when no platform is configured: then messages
        wait in the queue rather than use up their retries on nobody.
        """
        now = self.clock.now()
        await self.engine.run_due(now)
        for job in self.housekeeping:
            try:
                await job()
            except Exception:  # housekeeping must never stop delivery
                log.exception("housekeeping failed")
        if not self.senders:
            return None
        return await self.deliverer.deliver_due(now)


@asynccontextmanager
async def build_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    rng: random.Random | None = None,
    senders: Mapping[str, Sender] | None = None,
    migrate: bool = True,
    worker: str = "",
    wait: float = 0.0,
    waiting: Callable[[str], None] = lambda _: None,
) -> AsyncIterator[Mentorbot]:
    """Open the database (migrating it to the latest schema) and wire everything.

    A database that cannot be opened is a one-line UserError; one that refuses connections is
    tried again for up to `wait` seconds first (`serve` waits for a database still starting),
    and `waiting` is told so once.
    """
    # Each process leases work under its own name, so the queue shows who did what.
    worker = worker or f"{socket.gethostname()}-{os.getpid()}"
    url = await open_database(
        settings.secrets.database_url, migrate=migrate, wait=wait, waiting=waiting
    )
    db = create_engine(url)
    try:
        clock = clock or SystemClock()
        rng = rng or random.Random()
        sessions = make_sessionmaker(db)
        store = SqlStore(sessions, delivering=delivering_platforms(settings.secrets))
        links = ChatLinks(settings.secrets.admin_token, settings.secrets.public_url, store)
        engine = Engine(store, settings.config, clock, rng, worker=f"{worker}-engine", links=links)
        deliverer = Deliverer(
            store,
            dict(senders or {}),
            clock,
            rng,
            worker=f"{worker}-delivery",
            on_unreachable=engine.unreachable,
            lease=timedelta(seconds=settings.secrets.lease_seconds),
        )
        senders_now = dict(senders or {})
        yield Mentorbot(settings, db, sessions, store, engine, deliverer, clock, senders_now)
    finally:
        await db.dispose()
