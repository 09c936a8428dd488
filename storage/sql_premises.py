"""The facts a batch of queued messages' premises depend on (`conversations.ports.Premises`).

The delivery worker sends every queued message, so this is a hot path: a batch's premises are
answered together, with one small SELECT per kind of fact that the batch names (pairs, people,
sessions, who is paired now), each by primary key or an indexed column, never one per message.
"""

from __future__ import annotations

from sqlalchemy import and_, or_, select, tuple_

from conversations.types import (
    PairStatus,
    PremiseFacts,
    PremiseQuery,
    SessionFact,
    SessionStatus,
    Status,
)
from storage.base import ID_CHUNK, Repository, chunks
from storage.models import PairRow, PersonRow, SessionRow

_OPEN = (PairStatus.PROPOSED.value, PairStatus.ACTIVE.value)
_SESSION_COLUMNS = (
    SessionRow.pair_id,
    SessionRow.number,
    SessionRow.status,
    SessionRow.due_date,
    SessionRow.reported_by,
)


class Premises(Repository):
    """`conversations.ports.Premises`."""

    async def premise_facts(self, query: PremiseQuery) -> PremiseFacts:
        """What is true now of everything `query` names (see `PremiseFacts`)."""
        pairs: dict[int, PairStatus] = {}
        people: dict[int, Status] = {}
        sessions: dict[tuple[int, int], SessionFact] = {}
        paired: set[int] = set()
        if not query:
            return PremiseFacts()
        async with self._sessions() as session:
            for ids in chunks(query.pair_ids):
                found = await session.execute(
                    select(PairRow.id, PairRow.status).where(PairRow.id.in_(ids))
                )
                pairs.update((pair_id, PairStatus(status)) for pair_id, status in found)
            for ids in chunks(query.person_ids):
                found = await session.execute(
                    select(PersonRow.id, PersonRow.status).where(PersonRow.id.in_(ids))
                )
                people.update((person_id, Status(status)) for person_id, status in found)
            wanted = sorted(query.sessions)
            for start in range(0, len(wanted), ID_CHUNK // 2):
                keys = wanted[start : start + ID_CHUNK // 2]
                found = await session.execute(
                    select(*_SESSION_COLUMNS).where(
                        tuple_(SessionRow.pair_id, SessionRow.number).in_(keys)
                    )
                )
                sessions.update(
                    ((pair_id, number), SessionFact(SessionStatus(status), due, by is not None))
                    for pair_id, number, status, due, by in found
                )
            # Each id is used twice: asked in halves of the usual chunk.
            for ids in chunks(query.unpaired, ID_CHUNK // 2):
                found = await session.execute(
                    select(PairRow.mentor_id, PairRow.mentee_id).where(
                        and_(
                            PairRow.status.in_(_OPEN),
                            or_(PairRow.mentor_id.in_(ids), PairRow.mentee_id.in_(ids)),
                        )
                    )
                )
                asked = set(ids)
                for mentor_id, mentee_id in found:
                    paired.update({mentor_id, mentee_id} & asked)
        return PremiseFacts(pairs, people, sessions, frozenset(paired))
