"""`SqlStore`: every storage port on one object, built from one session factory."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.db import create_engine, make_sessionmaker
from storage.sql_admin_web import AdminWeb
from storage.sql_audit import Events
from storage.sql_concerns import Concerns
from storage.sql_forget import Forgetting
from storage.sql_pairs import Pairs
from storage.sql_people import People
from storage.sql_premises import Premises
from storage.sql_queue import WorkQueue
from storage.sql_queue_views import QueueViews
from storage.sql_reports import Reports
from storage.sql_roster import Roster
from storage.sql_sessions import ProgrammeStore


class SqlStore(
    People,
    Forgetting,
    Roster,
    WorkQueue,
    QueueViews,
    Events,
    Pairs,
    ProgrammeStore,
    Reports,
    Premises,
    AdminWeb,
    Concerns,
):
    """`conversations.ports.Store` on SQLAlchemy (SQLite or PostgreSQL).

    Beyond the Protocol: `record_event`, `queue_counts`, `failed_work`, the admin web's links,
    sessions and health write (`AdminWeb`), and `open`/`close` for callers that want the store
    to own its engine.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        engine: AsyncEngine | None = None,
        delivering: Collection[str] | None = None,
    ) -> None:
        super().__init__(sessions, delivering=delivering)
        self._engine = engine

    @classmethod
    def open(cls, url: str | URL) -> SqlStore:
        """A store owning a new engine for `url` (not migrated: call `storage.db.upgrade`)."""
        engine = create_engine(url)
        return cls(make_sessionmaker(engine), engine=engine)

    async def close(self) -> None:
        """Dispose of the engine, when this store owns one."""
        if self._engine is not None:
            await self._engine.dispose()
