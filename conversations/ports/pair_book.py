"""Pairs and the matching rounds they were published in."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

from conversations.types import (
    NewPair,
    Pair,
    PairEnding,
    PairStatus,
    ProposalAnswer,
)


class PairConflict(Exception):
    """Someone in a pair to be stored is already in an open pair (another process got there
    first, or the data changed since the proposal was computed)."""

    def __init__(self, person_ids: Sequence[int]) -> None:
        super().__init__(f"cannot be paired as asked: {sorted(person_ids)}")
        self.person_ids = tuple(sorted(person_ids))


class Pairs(Protocol):
    """Mentor/mentee pairs and the matching rounds they were published in."""

    async def publish_round(
        self, pairs: Sequence[NewPair], *, status: PairStatus, at: datetime
    ) -> list[Pair]:
        """Start the next matching round and store its pairs, all or nothing.

        Raises PairConflict (storing nothing) when anyone in the batch is already in an open
        pair, a mentee appears twice, or someone is on both sides — checked inside the
        transaction so two processes publishing at once cannot both succeed. (A mentor may
        appear several times: the matcher already applied `mentees_per_mentor`.)
        """
        ...

    async def add_pair(
        self, pair: NewPair, *, status: PairStatus, at: datetime, mentor_capacity: int
    ) -> Pair:
        """Store one pair made by hand in the current round (PairConflict as above)."""
        ...

    async def get_pair(self, pair_id: int) -> Pair | None:
        """The pair with this id, or None."""
        ...

    async def pairs_by_id(self, pair_ids: Collection[int]) -> dict[int, Pair]:
        """The pairs with these ids, in one look-up; ids with no pair are left out."""
        ...

    async def pairs_of(self, person_id: int) -> list[Pair]:
        """Every pair the person was ever in, newest first."""
        ...

    async def open_pairs(self) -> list[Pair]:
        """Pairs that are proposed or active, oldest first."""
        ...

    async def pair_history(self) -> frozenset[tuple[int, int]]:
        """(mentor_id, mentee_id) of every pair ever stored except declined ones."""
        ...

    async def declined_pairs(self) -> frozenset[tuple[int, int]]:
        """(mentor_id, mentee_id) of every pair declined, or ended early (never again)."""
        ...

    async def set_pair_status(self, pair_id: int, status: PairStatus, *, at: datetime) -> Pair:
        """Change a pair's status (`ended_at` is set when it ends or is declined)."""
        ...

    async def end_pair(
        self, pair_id: int, *, side: str, cause: str, hold: bool, at: datetime
    ) -> Pair | None:
        """End an open pair early, recording who ended it (`side`: 'mentor' | 'mentee'), the
        `cause` ('ended' | 'left' | 'unreachable' | 'forgotten') and whether the senior is held
        for review. None when it is unknown or no longer open (ended once, whoever races)."""
        ...

    async def pair_endings(self, *, awaiting_review: bool = False) -> list[PairEnding]:
        """Pairs that ended early, oldest first (only those awaiting review, if asked)."""
        ...

    async def release_hold(self, person_id: int, *, at: datetime) -> int:
        """Clear the review holds on a senior; returns how many there were."""
        ...

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
        """One partner's Accept or decline of a proposed pair, atomically.

        Accepting records that partner's acceptance and, once everyone needed
        (`needs_mentor`, `needs_mentee`) has accepted, makes the pair active (`activated`
        only for the one answer that did). Declining makes it declined. A pair no longer
        proposed, or an answer already given, changes nothing (`changed` False). Raises
        PairNotFound for an unknown pair and ValueError for someone not in it.
        """
        ...

    async def set_pair_conversation(
        self, pair_id: int, platform: str, conversation_id: str
    ) -> None:
        """Remember the pair's shared conversation on a platform (a Slack group DM)."""
        ...
