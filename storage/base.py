"""What every repository module shares: the session factory and dialect-aware helpers."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Collection, Iterable, Iterator
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

ID_CHUNK = 10_000  # ids per IN (…) list: asyncpg allows 32,767 parameters a statement


def chunks(ids: Iterable[int], size: int = ID_CHUNK) -> Iterator[list[int]]:
    """Sorted ids in lists of at most `size`, for IN (…) clauses on big rounds."""
    ordered = sorted(ids)
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def core_table(model: type[Any]) -> Table:
    """The Core table of a mapped class (typed for mypy)."""
    return cast(Table, model.__table__)


class PersonNotFound(LookupError):
    """No person has the id given (a LookupError, so the engine needs no storage import)."""


class Repository:
    """Base of the store's parts: each opens short sessions from one factory."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        delivering: Collection[str] | None = None,
    ) -> None:
        self._sessions = sessions
        # The platforms this deployment delivers on (None: unknown, any linked account
        # counts); only an account on one of them makes someone reachable.
        self.delivering = frozenset(delivering) if delivering is not None else None

    @contextlib.asynccontextmanager
    async def _autocommit(self) -> AsyncIterator[AsyncConnection]:
        """A connection for one statement that is atomic on its own and needs no transaction
        around it: no BEGIN and COMMIT, two fewer round trips (the delivery worker marks a
        Teams message done before that person's next one, each costing these)."""
        engine: AsyncEngine = self._sessions.kw["bind"]
        async with engine.connect() as connection:
            yield await connection.execution_options(isolation_level="AUTOCOMMIT")


def insert_ignoring_duplicates(
    db: AsyncSession | AsyncConnection, entity: Any, key: list[str]
) -> Any:
    """INSERT … ON CONFLICT (key) DO NOTHING for the session's (or connection's) dialect.

    Both supported databases have the clause, but SQLAlchemy builds it per dialect.
    """
    dialect = (db.dialect if isinstance(db, AsyncConnection) else db.get_bind().dialect).name
    if dialect == "postgresql":
        return postgresql.insert(entity).on_conflict_do_nothing(index_elements=key)
    if dialect == "sqlite":
        return sqlite.insert(entity).on_conflict_do_nothing(index_elements=key)
    raise NotImplementedError(f"unsupported database dialect {dialect!r}")
