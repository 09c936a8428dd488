"""Mentor/mentee pairs and the matching rounds (cycles) they were published in.

Every pair write first serialises with every other one (`storage.pair_lock`), then checks, then
writes, all in one transaction: two processes publishing at once cannot both pass the check
that nobody is already in an open pair.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, UnaryExpression, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.ports import PairConflict
from conversations.types import NewPair, Pair, PairStatus, ProposalAnswer
from storage.base import ID_CHUNK, PersonNotFound, Repository, chunks
from storage.mapping import to_pair
from storage.models import CycleRow, PairEndingRow, PairRow, PersonRow, ProgrammeRow
from storage.pair_lock import OPEN, serialise_pair_writes
from storage.sql_pair_endings import PairEndings

# Name given to the lazily created programme row: the store is never told the real one.
PROGRAMME_NAME = "programme"
_CLOSED = (PairStatus.DECLINED, PairStatus.ENDED)


class PairNotFound(LookupError):
    """No pair has the id given (a LookupError, so the engine needs no storage import)."""


async def _require_people(session: AsyncSession, person_ids: set[int]) -> None:
    """Raise PersonNotFound unless every id is a person (rather than an IntegrityError)."""
    found: set[int] = set()
    for chunk in chunks(person_ids):
        found |= set(await session.scalars(select(PersonRow.id).where(PersonRow.id.in_(chunk))))
    if missing := sorted(person_ids - found):
        raise PersonNotFound(f"no person with id {', '.join(map(str, missing))}")


async def _open_pairs_of(session: AsyncSession, person_ids: set[int]) -> list[tuple[int, int]]:
    """(mentor_id, mentee_id) of the open pairs that hold any of these people."""
    found: list[tuple[int, int]] = []
    # Each id is used twice: a round of 10,000 pairs (20,000 people) is checked in chunks.
    for chunk in chunks(person_ids, ID_CHUNK // 2):
        query = select(PairRow.mentor_id, PairRow.mentee_id).where(
            PairRow.status.in_(OPEN),
            or_(PairRow.mentor_id.in_(chunk), PairRow.mentee_id.in_(chunk)),
        )
        found += [(mentor, mentee) for mentor, mentee in await session.execute(query)]
    return list(dict.fromkeys(found))


def _batch_conflicts(pairs: Sequence[NewPair]) -> set[int]:
    """People a batch puts in two places: a mentee twice, or someone on both sides."""
    mentees = Counter(pair.mentee_id for pair in pairs)
    mentors = {pair.mentor_id for pair in pairs}
    return {person for person, n in mentees.items() if n > 1} | (mentors & set(mentees))


async def _programme_id(session: AsyncSession, at: datetime) -> int:
    """The deployment's programme, created on first use (callers hold the pair-write lock)."""
    query = select(ProgrammeRow.id).order_by(ProgrammeRow.id).limit(1)
    programme_id = await session.scalar(query)
    if programme_id is None:
        row = ProgrammeRow(name=PROGRAMME_NAME, start_date=at.date())
        session.add(row)
        await session.flush()
        programme_id = row.id
    return programme_id


async def _latest_cycle(session: AsyncSession, programme_id: int) -> CycleRow | None:
    query = (
        select(CycleRow)
        .where(CycleRow.programme_id == programme_id)
        .order_by(CycleRow.number.desc())
        .limit(1)
    )
    return (await session.scalars(query)).first()


async def _new_cycle(session: AsyncSession, programme_id: int, at: datetime) -> CycleRow:
    """The next round after the latest one (1 when there is none)."""
    latest = await _latest_cycle(session, programme_id)
    row = CycleRow(
        programme_id=programme_id, number=latest.number + 1 if latest else 1, started_at=at
    )
    session.add(row)
    await session.flush()
    return row


def _pair_row(pair: NewPair, cycle: CycleRow, status: PairStatus, at: datetime) -> PairRow:
    return PairRow(
        cycle_id=cycle.id,
        mentor_id=pair.mentor_id,
        mentee_id=pair.mentee_id,
        score=pair.score,
        reasons=list(pair.reasons),
        status=status.value,
        conversation_ids={},
        created_at=at,
        ended_at=at if status in _CLOSED else None,
    )


async def _pairs(
    session: AsyncSession, where: ColumnElement[bool], *order_by: UnaryExpression[Any]
) -> list[Pair]:
    """The pairs matching `where`, each with its round number (None if its cycle is gone)."""
    query = (
        select(PairRow, CycleRow.number)
        .outerjoin(CycleRow, PairRow.cycle_id == CycleRow.id)
        .where(where)
        .order_by(*order_by)
    )
    return [to_pair(row, number) for row, number in await session.execute(query)]


def _pair_keys(rows: Iterable[Any]) -> frozenset[tuple[int, int]]:
    return frozenset((int(mentor), int(mentee)) for mentor, mentee in rows)


class Pairs(PairEndings, Repository):
    """`conversations.ports.Pairs`: rounds, pairs by hand, consent and status (early endings
    and review holds: `storage.sql_pair_endings`)."""

    async def publish_round(
        self, pairs: Sequence[NewPair], *, status: PairStatus, at: datetime
    ) -> list[Pair]:
        """Start the next round and store its pairs (in the order given), all or nothing.

        With an open status, raises PairConflict and stores nothing when anyone in the batch
        is already in an open pair, a mentee appears twice, or someone is on both sides (a
        mentor may appear several times: the matcher applied `mentees_per_mentor`). Raises
        PersonNotFound for an unknown id. An empty batch starts no round and returns [].
        """
        pairs = list(pairs)
        if not pairs:
            return []
        people = {pair.mentor_id for pair in pairs} | {pair.mentee_id for pair in pairs}
        async with self._sessions.begin() as session:
            await serialise_pair_writes(session)
            await _require_people(session, people)
            if status.open:
                held = await _open_pairs_of(session, people)
                taken = {person for open_pair in held for person in open_pair}
                # Everyone blocked at once, so an admin can fix the whole batch in one go.
                if busy := (people & taken) | _batch_conflicts(pairs):
                    raise PairConflict(sorted(busy))
            cycle = await _new_cycle(session, await _programme_id(session, at), at)
            rows = [_pair_row(pair, cycle, status, at) for pair in pairs]
            session.add_all(rows)
            await session.flush()
            return [to_pair(row, cycle.number) for row in rows]

    async def add_pair(
        self, pair: NewPair, *, status: PairStatus, at: datetime, mentor_capacity: int
    ) -> Pair:
        """Store one pair made by hand in the latest round (round 1 when there is none).

        With an open status, raises PairConflict (naming whoever is blocked) when the mentee
        is in any open pair, the mentor is a mentee in an open pair or already mentors
        `mentor_capacity` open pairs, or mentor and mentee are the same person.
        """
        if status.open and pair.mentor_id == pair.mentee_id:
            raise PairConflict([pair.mentor_id])
        async with self._sessions.begin() as session:
            await serialise_pair_writes(session)
            await _require_people(session, {pair.mentor_id, pair.mentee_id})
            if status.open:
                busy: set[int] = set()
                held = await _open_pairs_of(session, {pair.mentor_id, pair.mentee_id})
                if any(pair.mentee_id in open_pair for open_pair in held):
                    busy.add(pair.mentee_id)
                mentoring = sum(1 for mentor, _ in held if mentor == pair.mentor_id)
                mentored = any(mentee == pair.mentor_id for _, mentee in held)
                if mentored or mentoring >= mentor_capacity:
                    busy.add(pair.mentor_id)
                if busy:
                    raise PairConflict(sorted(busy))
            programme_id = await _programme_id(session, at)
            cycle = await _latest_cycle(session, programme_id)
            if cycle is None:
                cycle = await _new_cycle(session, programme_id, at)
            row = _pair_row(pair, cycle, status, at)
            session.add(row)
            await session.flush()
            return to_pair(row, cycle.number)

    async def get_pair(self, pair_id: int) -> Pair | None:
        """The pair with this id, or None."""
        async with self._sessions() as session:
            found = await _pairs(session, PairRow.id == pair_id)
            return found[0] if found else None

    async def pairs_by_id(self, pair_ids: Collection[int]) -> dict[int, Pair]:
        """The pairs with these ids (one query per 10,000 ids); unknown ids are left out."""
        found: dict[int, Pair] = {}
        async with self._sessions() as session:
            for ids in chunks(set(pair_ids)):
                found.update((p.id, p) for p in await _pairs(session, PairRow.id.in_(ids)))
        return found

    async def pairs_of(self, person_id: int) -> list[Pair]:
        """Every pair the person was ever in, on either side, newest first."""
        either_side = or_(PairRow.mentor_id == person_id, PairRow.mentee_id == person_id)
        async with self._sessions() as session:
            return await _pairs(session, either_side, PairRow.created_at.desc(), PairRow.id.desc())

    async def open_pairs(self) -> list[Pair]:
        """Pairs that are proposed or active, oldest first."""
        is_open = PairRow.status.in_(OPEN)
        async with self._sessions() as session:
            return await _pairs(session, is_open, PairRow.created_at.asc(), PairRow.id.asc())

    async def pair_history(self) -> frozenset[tuple[int, int]]:
        """(mentor_id, mentee_id) of every pair ever stored except declined ones."""
        query = (
            select(PairRow.mentor_id, PairRow.mentee_id)
            .where(PairRow.status != PairStatus.DECLINED.value)
            .distinct()
        )
        async with self._sessions() as session:
            return _pair_keys(await session.execute(query))

    async def declined_pairs(self) -> frozenset[tuple[int, int]]:
        """(mentor_id, mentee_id) of every pair a senior declined or that ended early (`end
        pairing`, a partner leaving): never proposed again, even when repeats are allowed."""
        ended_early = select(PairEndingRow.pair_id)
        query = (
            select(PairRow.mentor_id, PairRow.mentee_id)
            .where(or_(PairRow.status == PairStatus.DECLINED.value, PairRow.id.in_(ended_early)))
            .distinct()
        )
        async with self._sessions() as session:
            return _pair_keys(await session.execute(query))

    async def set_pair_status(self, pair_id: int, status: PairStatus, *, at: datetime) -> Pair:
        """Change a pair's status; `ended_at` is set when it ends or is declined.

        Raises PairNotFound for an unknown id, and ValueError when asked to reopen a declined
        or ended pair: that would skip the capacity checks, and the domain never does it.
        """
        async with self._sessions.begin() as session:
            # Serialised so two racing transitions apply one after the other (and so SQLite
            # never has to upgrade a stale read snapshot to a write, which fails at once).
            await serialise_pair_writes(session)
            row = await session.get(PairRow, pair_id)
            if row is None:
                raise PairNotFound(f"no pair with id {pair_id}")
            current = PairStatus(row.status)
            if status.open and not current.open:
                raise ValueError(f"pair {pair_id} is {current}; it cannot become {status}")
            if status in _CLOSED and current.open:
                row.ended_at = at
            row.status = status.value
            number = await session.scalar(
                select(CycleRow.number).where(CycleRow.id == row.cycle_id)
            )
            return to_pair(row, number)

    async def answer_proposal(
        self,
        pair_id: int,
        person_id: int,
        *,
        accept: bool,
        needs_mentor: bool,
        needs_mentee: bool,
        at: datetime,
    ) -> ProposalAnswer:
        """`conversations.ports.Pairs.answer_proposal`: serialised with every other pair
        write, so two partners accepting at the same moment activate the pair once, and an
        answer after a decline (or after the pair became active) changes nothing."""
        async with self._sessions.begin() as session:
            await serialise_pair_writes(session)
            row = await session.get(PairRow, pair_id)
            if row is None:
                raise PairNotFound(f"no pair with id {pair_id}")
            if person_id not in (row.mentor_id, row.mentee_id):
                raise ValueError(f"person {person_id} is not in pair {pair_id}")
            number = await session.scalar(
                select(CycleRow.number).where(CycleRow.id == row.cycle_id)
            )
            if row.status != PairStatus.PROPOSED.value:
                return ProposalAnswer(to_pair(row, number), changed=False)
            if not accept:
                row.status = PairStatus.DECLINED.value
                row.ended_at = at
                return ProposalAnswer(to_pair(row, number), changed=True)
            as_mentor = person_id == row.mentor_id
            already = row.mentor_accepted_at if as_mentor else row.mentee_accepted_at
            if already is not None:
                return ProposalAnswer(to_pair(row, number), changed=False)
            if as_mentor:
                row.mentor_accepted_at = at
            else:
                row.mentee_accepted_at = at
            ready = (not needs_mentor or row.mentor_accepted_at is not None) and (
                not needs_mentee or row.mentee_accepted_at is not None
            )
            if ready:
                row.status = PairStatus.ACTIVE.value
            return ProposalAnswer(to_pair(row, number), changed=True, activated=ready)

    async def set_pair_conversation(
        self, pair_id: int, platform: str, conversation_id: str
    ) -> None:
        """Remember the pair's shared conversation on `platform`, keeping other platforms'.

        Raises PairNotFound for an unknown id.
        """
        async with self._sessions.begin() as session:
            await serialise_pair_writes(session)
            row = await session.get(PairRow, pair_id)
            if row is None:
                raise PairNotFound(f"no pair with id {pair_id}")
            # A new dict, not an in-place change: plain JSON columns do not track mutation.
            row.conversation_ids = {**(row.conversation_ids or {}), platform: conversation_id}
