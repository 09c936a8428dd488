"""What the `due_work` queue holds, read for people rather than for delivery: counts by status
(`/metrics`, reports), the latest failed and cancelled rows (`health`), the console inbox's
delivered messages, and when the next row falls due (simulated time)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from conversations.ports import DELIVER, DueWork
from storage.base import Repository
from storage.mapping import to_due_work
from storage.models import DueWorkRow
from storage.sql_queue import CANCELLED, DONE, FAILED, PENDING, STATUSES


class QueueViews(Repository):
    """The queue's figures and look-backs (`conversations.ports.Reports` in part)."""

    async def queue_counts(self) -> dict[str, int]:
        """How many rows are in each status (every status listed, zeros included)."""
        statement = select(DueWorkRow.status, func.count()).group_by(DueWorkRow.status)
        async with self._sessions() as session:
            counts = dict.fromkeys(STATUSES, 0)
            counts.update({status: int(n) for status, n in await session.execute(statement)})
            return counts

    async def failed_work(self, limit: int = 50) -> list[DueWork]:
        """Rows that failed for good, latest first; `extra` holds last_error and done_at."""
        return await self._ended_work(FAILED, limit)

    async def cancelled_work(self, limit: int = 50) -> list[DueWork]:
        """Rows cancelled (their premise gone, a person forgotten), latest first; `extra`
        holds last_error (the reason) and done_at."""
        return await self._ended_work(CANCELLED, limit)

    async def _ended_work(self, status: str, limit: int) -> list[DueWork]:
        statement = (
            select(DueWorkRow)
            .where(DueWorkRow.status == status)
            .order_by(DueWorkRow.done_at.desc(), DueWorkRow.id.desc())
            .limit(limit)
        )
        async with self._sessions() as session:
            rows = await session.scalars(statement)
            return [to_due_work(row, with_outcome=True) for row in rows]

    async def delivered_with_result(
        self, prefix: str, limit: int = 20
    ) -> list[tuple[datetime, dict[str, Any]]]:
        """Messages delivered with a result starting `prefix`, latest first: (when, payload).

        The console inbox: its rows are marked done with a result naming the person.
        """
        statement = (
            select(DueWorkRow.done_at, DueWorkRow.payload)
            .where(
                DueWorkRow.kind == DELIVER,
                DueWorkRow.status == DONE,
                DueWorkRow.result.startswith(prefix, autoescape=True),
            )
            .order_by(DueWorkRow.done_at.desc(), DueWorkRow.id.desc())
            .limit(limit)
        )
        async with self._sessions() as session:
            rows = await session.execute(statement)
            return [(done_at, dict(payload)) for done_at, payload in rows if done_at is not None]

    async def next_due(self, after: datetime | None = None) -> datetime | None:
        """When the earliest pending row falls due (after `after`, if given); None when idle.

        Simulated time (the demo, scenario tests) jumps straight to it instead of ticking
        through empty hours.
        """
        statement = select(func.min(DueWorkRow.due_at)).where(DueWorkRow.status == PENDING)
        if after is not None:
            statement = statement.where(DueWorkRow.due_at > after)
        async with self._sessions() as session:
            value = await session.scalar(statement)
            if value is not None and value.tzinfo is None:
                value = value.replace(tzinfo=UTC)  # min() bypasses the column's type on SQLite
            return value
