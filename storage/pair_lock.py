"""The one lock every pair write takes first (`storage.sql_pairs`, `storage.sql_pair_endings`).

Every pair write first serialises with every other one, then checks, then writes, all in one
transaction: two processes publishing at once cannot both pass the check that nobody is already
in an open pair. Pair writes are rare (a round, a consent click), so one lock costs nothing.
PostgreSQL takes a transaction-level advisory lock (it also covers creating the programme row
and numbering the cycle, which row locks on `people` would not); SQLite starts the transaction
with BEGIN IMMEDIATE, because its default deferred transaction only takes the write lock at the
first INSERT, after both writers have read the same state.
"""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.types import PairStatus

# Any fixed 64-bit number will do; it only has to be the same in every process.
PAIR_WRITE_LOCK = 0x6D656E746F72  # "mentor"
# The statuses of an open pair, as stored.
OPEN = (PairStatus.PROPOSED.value, PairStatus.ACTIVE.value)


async def serialise_pair_writes(session: AsyncSession) -> None:
    """Wait until no other transaction is writing pairs; held until this one ends.

    Must be the session's first statement (BEGIN IMMEDIATE cannot start a nested transaction).
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(PAIR_WRITE_LOCK)))
    elif dialect == "sqlite":
        # The driver has not begun a transaction yet (it only does so before DML), so this
        # one takes SQLite's write lock now, waiting out any other writer.
        await session.execute(text("BEGIN IMMEDIATE"))
    else:
        raise NotImplementedError(f"unsupported database dialect {dialect!r}")
