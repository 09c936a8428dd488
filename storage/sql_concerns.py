"""Confidential concerns (`conversations.ports.Concerns`): stored apart, counted, never listed;
the words of one that reached nobody are read back only to pass it on (`undelivered_concerns`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update

from conversations.types import ConcernCounts, WaitingConcern
from storage.base import Repository
from storage.models import ConcernRow


class Concerns(Repository):
    """`conversations.ports.Concerns`: only `undelivered_concerns` returns a concern's text,
    to put a waiting one into the notices of the people who can now receive it."""

    async def add_concern(
        self,
        sender_id: int,
        pair_id: int | None,
        text: str,
        sent_to: Sequence[int],
        *,
        at: datetime,
    ) -> int:
        """Store one concern and whom it is sent to; its id (the reference, C-<id>)."""
        row = ConcernRow(
            sender_id=sender_id,
            pair_id=pair_id,
            text=text,
            sent_to=list(sent_to),
            recipients=len(sent_to),
            raised_at=at,
        )
        async with self._sessions.begin() as session:
            session.add(row)
            await session.flush()
            return row.id

    async def concerns_raised_by(self, sender_id: int, since: datetime) -> int:
        """How many concerns this person raised at or after `since`."""
        query = select(func.count()).where(
            ConcernRow.sender_id == sender_id, ConcernRow.raised_at >= since
        )
        async with self._sessions() as session:
            return int(await session.scalar(query) or 0)

    async def concern_counts(self) -> ConcernCounts:
        """Concerns raised, and those that reached nobody whose sender is not forgotten."""
        undelivered = func.count().filter(*_WAITING)
        async with self._sessions() as session:
            raised, waiting = (await session.execute(select(func.count(), undelivered))).one()
        return ConcernCounts(raised=int(raised), undelivered=int(waiting))

    async def undelivered_concerns(self) -> list[WaitingConcern]:
        """Concerns that reached nobody and whose sender is not forgotten, oldest first."""
        query = select(ConcernRow).where(*_WAITING).order_by(ConcernRow.id)
        async with self._sessions() as session:
            return [
                WaitingConcern(row.id, row.sender_id, row.pair_id, row.text, row.raised_at)
                for row in await session.scalars(query)
                if row.sender_id is not None
            ]

    async def mark_concern_sent(self, concern_id: int, sent_to: Sequence[int]) -> bool:
        """Record whom a waiting concern went to; False when it was not waiting any more."""
        statement = (
            update(ConcernRow)
            .where(ConcernRow.id == concern_id, *_WAITING)
            .values(sent_to=list(sent_to), recipients=len(sent_to))
        )
        async with self._sessions.begin() as session:
            result = await session.execute(statement)
            return bool(getattr(result, "rowcount", 0))


# Reached nobody, and can still be passed on: `forget` of the sender drops sender_id and text.
_WAITING = (ConcernRow.recipients == 0, ConcernRow.sender_id.is_not(None))
