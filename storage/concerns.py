"""Confidential concerns (`conversations.ports.Concerns`): stored apart, counted, never listed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select

from conversations.domain import ConcernCounts
from storage.base import Repository
from storage.models import ConcernRow


class Concerns(Repository):
    """`conversations.ports.Concerns`: no method here ever returns a concern's text."""

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
        undelivered = func.count().filter(
            ConcernRow.recipients == 0, ConcernRow.sender_id.is_not(None)
        )
        async with self._sessions() as session:
            raised, waiting = (await session.execute(select(func.count(), undelivered))).one()
        return ConcernCounts(raised=int(raised), undelivered=int(waiting))
