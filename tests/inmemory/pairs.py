"""`conversations.ports.Pairs` in memory: rounds, conflicts, consent, endings and holds, as
`storage.sql_pairs.Pairs` (one process, so no lock is needed for the checks to hold)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Collection, Sequence
from datetime import datetime

from conversations.ports import PairConflict
from conversations.types import NewPair, Pair, PairEnding, PairStatus, ProposalAnswer
from tests.inmemory.tables import EndingRow, PersonNotFound, Tables

_CLOSED = (PairStatus.DECLINED, PairStatus.ENDED)


class FakePairs(Tables):
    """Mentor/mentee pairs and the rounds they were published in."""

    def _require_people(self, person_ids: set[int]) -> None:
        if missing := sorted(person_ids - set(self.people)):
            raise PersonNotFound(f"no person with id {', '.join(map(str, missing))}")

    def _open_pairs_of(self, person_ids: set[int]) -> list[Pair]:
        return [
            p
            for p in self.pairs.values()
            if p.status.open and {p.mentor_id, p.mentee_id} & person_ids
        ]

    def _store(self, pair: NewPair, status: PairStatus, at: datetime, round_number: int) -> Pair:
        stored = Pair(
            id=self.next_id("pairs"),
            mentor_id=pair.mentor_id,
            mentee_id=pair.mentee_id,
            score=pair.score,
            reasons=tuple(pair.reasons),
            status=status,
            created_at=at,
            round=round_number,
            ended_at=at if status in _CLOSED else None,
        )
        self.pairs[stored.id] = stored
        return stored

    async def publish_round(
        self, pairs: Sequence[NewPair], *, status: PairStatus, at: datetime
    ) -> list[Pair]:
        """Start the next round and store its pairs, all or nothing (PairConflict naming
        everyone blocked); an empty batch starts no round."""
        pairs = list(pairs)
        if not pairs:
            return []
        people = {p.mentor_id for p in pairs} | {p.mentee_id for p in pairs}
        self._require_people(people)
        if status.open:
            taken = {who for p in self._open_pairs_of(people) for who in (p.mentor_id, p.mentee_id)}
            mentees = Counter(p.mentee_id for p in pairs)
            twice = {who for who, n in mentees.items() if n > 1}
            both = {p.mentor_id for p in pairs} & set(mentees)
            if busy := (people & taken) | twice | both:
                raise PairConflict(sorted(busy))
        self.cycles.append(at)
        return [self._store(pair, status, at, len(self.cycles)) for pair in pairs]

    async def add_pair(
        self, pair: NewPair, *, status: PairStatus, at: datetime, mentor_capacity: int
    ) -> Pair:
        """Store one pair made by hand in the latest round (round 1 when there is none)."""
        if status.open and pair.mentor_id == pair.mentee_id:
            raise PairConflict([pair.mentor_id])
        self._require_people({pair.mentor_id, pair.mentee_id})
        if status.open:
            busy: set[int] = set()
            held = self._open_pairs_of({pair.mentor_id, pair.mentee_id})
            if any(pair.mentee_id in (p.mentor_id, p.mentee_id) for p in held):
                busy.add(pair.mentee_id)
            mentoring = sum(1 for p in held if p.mentor_id == pair.mentor_id)
            if any(p.mentee_id == pair.mentor_id for p in held) or mentoring >= mentor_capacity:
                busy.add(pair.mentor_id)
            if busy:
                raise PairConflict(sorted(busy))
        if not self.cycles:
            self.cycles.append(at)
        return self._store(pair, status, at, len(self.cycles))

    async def get_pair(self, pair_id: int) -> Pair | None:
        """The pair with this id, or None."""
        return self.pairs.get(pair_id)

    async def pairs_by_id(self, pair_ids: Collection[int]) -> dict[int, Pair]:
        """The pairs with these ids; unknown ids are left out."""
        return {i: self.pairs[i] for i in pair_ids if i in self.pairs}

    async def pairs_of(self, person_id: int) -> list[Pair]:
        """Every pair the person was ever in, newest first."""
        mine = [p for p in self.pairs.values() if person_id in (p.mentor_id, p.mentee_id)]
        return sorted(mine, key=lambda p: (p.created_at, p.id), reverse=True)

    async def open_pairs(self) -> list[Pair]:
        """Proposed or active pairs, oldest first."""
        found = [p for p in self.pairs.values() if p.status.open]
        return sorted(found, key=lambda p: (p.created_at, p.id))

    async def pair_history(self) -> frozenset[tuple[int, int]]:
        """(mentor, mentee) of every pair except declined ones."""
        return frozenset(
            (p.mentor_id, p.mentee_id)
            for p in self.pairs.values()
            if p.status is not PairStatus.DECLINED
        )

    async def declined_pairs(self) -> frozenset[tuple[int, int]]:
        """(mentor, mentee) of every pair declined or ended early."""
        return frozenset(
            (p.mentor_id, p.mentee_id)
            for p in self.pairs.values()
            if p.status is PairStatus.DECLINED or p.id in self.endings
        )

    async def set_pair_status(self, pair_id: int, status: PairStatus, *, at: datetime) -> Pair:
        """Change a pair's status; ValueError when asked to reopen a closed pair."""
        pair = self.pair(pair_id)
        if status.open and not pair.status.open:
            raise ValueError(f"pair {pair_id} is {pair.status}; it cannot become {status}")
        ended_at = at if status in _CLOSED and pair.status.open else pair.ended_at
        self.pairs[pair_id] = dataclasses.replace(pair, status=status, ended_at=ended_at)
        return self.pairs[pair_id]

    async def end_pair(
        self, pair_id: int, *, side: str, cause: str, hold: bool, at: datetime
    ) -> Pair | None:
        """End an open pair early, recording who, why and any hold; None when not open."""
        pair = self.pairs.get(pair_id)
        if pair is None or not pair.status.open:
            return None
        self.pairs[pair_id] = dataclasses.replace(pair, status=PairStatus.ENDED, ended_at=at)
        self.endings[pair_id] = EndingRow(pair_id, side, cause, at, hold)
        return self.pairs[pair_id]

    async def pair_endings(self, *, awaiting_review: bool = False) -> list[PairEnding]:
        """Pairs that ended early, oldest first (only those still held, if asked)."""
        endings = sorted(self.endings.values(), key=lambda e: (e.ended_at, e.pair_id))
        return [
            PairEnding(
                pair_id=e.pair_id,
                mentor_id=self.pairs[e.pair_id].mentor_id,
                mentee_id=self.pairs[e.pair_id].mentee_id,
                side=e.side,
                cause=e.cause,
                ended_at=e.ended_at,
                held=e.held,
                released_at=e.released_at,
            )
            for e in endings
            if not awaiting_review or (e.held and e.released_at is None)
        ]

    async def release_hold(self, person_id: int, *, at: datetime) -> int:
        """Clear the review holds on this senior; how many there were."""
        released = 0
        for e in self.endings.values():
            if self.pairs[e.pair_id].mentee_id == person_id and e.held and e.released_at is None:
                e.released_at = at
                released += 1
        return released

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
        """One partner's Accept or decline (see `conversations.ports.Pairs`)."""
        pair = self.pair(pair_id)
        if person_id not in (pair.mentor_id, pair.mentee_id):
            raise ValueError(f"person {person_id} is not in pair {pair_id}")
        if pair.status is not PairStatus.PROPOSED:
            return ProposalAnswer(pair, changed=False)
        if not accept:
            pair = dataclasses.replace(pair, status=PairStatus.DECLINED, ended_at=at)
            self.pairs[pair_id] = pair
            return ProposalAnswer(pair, changed=True)
        as_mentor = person_id == pair.mentor_id
        if (pair.mentor_accepted_at if as_mentor else pair.mentee_accepted_at) is not None:
            return ProposalAnswer(pair, changed=False)
        if as_mentor:
            pair = dataclasses.replace(pair, mentor_accepted_at=at)
        else:
            pair = dataclasses.replace(pair, mentee_accepted_at=at)
        ready = (not needs_mentor or pair.mentor_accepted_at is not None) and (
            not needs_mentee or pair.mentee_accepted_at is not None
        )
        if ready:
            pair = dataclasses.replace(pair, status=PairStatus.ACTIVE)
        self.pairs[pair_id] = pair
        return ProposalAnswer(pair, changed=True, activated=ready)

    async def set_pair_conversation(
        self, pair_id: int, platform: str, conversation_id: str
    ) -> None:
        """Remember the pair's shared conversation on `platform`, keeping the others."""
        pair = self.pair(pair_id)
        conversations = {**pair.conversation_ids, platform: conversation_id}
        self.pairs[pair_id] = dataclasses.replace(pair, conversation_ids=conversations)
