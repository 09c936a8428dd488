"""Pairs that end early (`end pairing`, a partner leaving, unreachable or forgotten): who ended
them, why, and whether the senior is held out of matching until an admin reviews it
(docs/architecture.md, "The programme team"). Written under the pair-write lock of
`storage.sql_pairs`, so two taps racing end a pair once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from conversations.types import Pair, PairEnding, PairStatus
from storage.base import Repository
from storage.mapping import to_pair
from storage.models import CycleRow, PairEndingRow, PairRow
from storage.pair_lock import OPEN, serialise_pair_writes


class PairEndings(Repository):
    """`end_pair`, `pair_endings` and `release_hold` of `conversations.ports.Pairs`."""

    async def end_pair(
        self, pair_id: int, *, side: str, cause: str, hold: bool, at: datetime
    ) -> Pair | None:
        """End an open pair early and record who ended it (`side`), why (`cause`) and whether
        its senior is held for review, in one transaction. None when the pair is unknown or no
        longer open: two taps racing end it once."""
        async with self._sessions.begin() as session:
            await serialise_pair_writes(session)
            row = await session.get(PairRow, pair_id)
            if row is None or row.status not in OPEN:
                return None
            row.status = PairStatus.ENDED.value
            row.ended_at = at
            session.add(
                PairEndingRow(pair_id=pair_id, side=side, cause=cause, ended_at=at, held=hold)
            )
            number = await session.scalar(
                select(CycleRow.number).where(CycleRow.id == row.cycle_id)
            )
            return to_pair(row, number)

    async def pair_endings(self, *, awaiting_review: bool = False) -> list[PairEnding]:
        """Pairs that ended early, oldest first; `awaiting_review`: only those whose senior
        is still held out of matching."""
        query = (
            select(PairEndingRow, PairRow.mentor_id, PairRow.mentee_id)
            .join(PairRow, PairRow.id == PairEndingRow.pair_id)
            .order_by(PairEndingRow.ended_at, PairEndingRow.pair_id)
        )
        if awaiting_review:
            query = query.where(PairEndingRow.held, PairEndingRow.released_at.is_(None))
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        return [
            PairEnding(
                pair_id=ending.pair_id,
                mentor_id=mentor_id,
                mentee_id=mentee_id,
                side=ending.side,
                cause=ending.cause,
                ended_at=ending.ended_at,
                held=ending.held,
                released_at=ending.released_at,
            )
            for ending, mentor_id, mentee_id in rows
        ]

    async def release_hold(self, person_id: int, *, at: datetime) -> int:
        """Clear every review hold on this senior; returns how many were cleared."""
        held_pairs = select(PairRow.id).where(PairRow.mentee_id == person_id)
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(PairEndingRow)
                .where(
                    PairEndingRow.pair_id.in_(held_pairs),
                    PairEndingRow.held,
                    PairEndingRow.released_at.is_(None),
                )
                .values(released_at=at)
            )
            return int(getattr(result, "rowcount", 0) or 0)
