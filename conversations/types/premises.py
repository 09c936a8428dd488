"""The premise of a queued message as data: what must still be true when it is sent.

The rules that read it (`why_gone`) and the builders for each kind of message live in
`conversations.outbox.premise`; docs/architecture.md ("A message's premise") lists them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from conversations.types.records import PairStatus, SessionStatus, Status

# What a premise-cancelled row records first in its last_error (health lists these).
GONE = "premise gone"


@dataclass(frozen=True)
class Premise:
    """What must still hold for a queued message to be sent (every field that is set).

    - `pair_id`: the pair still exists and, when `pair_in` is not empty, its status is one of
      them;
    - `people`: each of them still takes part (enrolled or paused: not left, deactivated,
      unreachable or forgotten);
    - `session` (of `pair_id`): nobody has reported it yet (`SessionFact.open`), and, with
      `session_due`, it is still due that day (a moved session had its steps planned again
      under new keys);
    - `unpaired`: that person is still in no proposed or active pair;
    - `awake`: each of them takes part and is not paused (a pause means no messages until it
      ends: resuming plans a pair's remaining steps again);
    - `paused`: each of them is still paused (a notice about someone's break);
    - `not_after`: it goes no later than this moment (a reply that could not be sent at once
      is worth sending for a few minutes; after that the person has moved on).
    """

    pair_id: int | None = None
    pair_in: frozenset[PairStatus] = frozenset()
    people: tuple[int, ...] = ()
    session: int | None = None
    session_due: date | None = None
    unpaired: int | None = None
    awake: tuple[int, ...] = ()
    paused: tuple[int, ...] = ()
    not_after: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able, stored in the queued message's payload; unset fields are left out."""
        out: dict[str, Any] = {}
        if self.pair_id is not None:
            out["pair_id"] = self.pair_id
        if self.pair_in:
            out["pair_in"] = sorted(s.value for s in self.pair_in)
        if self.people:
            out["people"] = list(self.people)
        if self.session is not None:
            out["session"] = self.session
        if self.session_due is not None:
            out["session_due"] = self.session_due.isoformat()
        if self.unpaired is not None:
            out["unpaired"] = self.unpaired
        if self.awake:
            out["awake"] = list(self.awake)
        if self.paused:
            out["paused"] = list(self.paused)
        if self.not_after is not None:
            out["not_after"] = self.not_after.isoformat()
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Premise:
        """The inverse of `to_dict`; raises ValueError/KeyError/TypeError when malformed."""
        due = data.get("session_due")
        deadline = data.get("not_after")
        return cls(
            pair_id=_int_or_none(data.get("pair_id")),
            pair_in=frozenset(PairStatus(s) for s in data.get("pair_in", ())),
            people=tuple(int(p) for p in data.get("people", ())),
            session=_int_or_none(data.get("session")),
            session_due=date.fromisoformat(due) if due else None,
            unpaired=_int_or_none(data.get("unpaired")),
            awake=tuple(int(p) for p in data.get("awake", ())),
            paused=tuple(int(p) for p in data.get("paused", ())),
            not_after=datetime.fromisoformat(deadline) if deadline else None,
        )


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


@dataclass(frozen=True)
class SessionFact:
    """Where one session stands now."""

    status: SessionStatus
    due_date: date
    reported: bool = False  # someone answered (not the bot marking it missed for no answer)

    @property
    def open(self) -> bool:
        """True while an answer about the session is still welcome: nobody has reported it.
        One the bot marked missed for lack of an answer still takes a late "we met"."""
        return self.status.pending or (self.status is SessionStatus.MISSED and not self.reported)


@dataclass(frozen=True)
class PremiseFacts:
    """What storage says now about everything a batch's premises name. A missing key means
    the pair, person or session no longer exists."""

    pairs: Mapping[int, PairStatus] = field(default_factory=dict)
    people: Mapping[int, Status] = field(default_factory=dict)
    sessions: Mapping[tuple[int, int], SessionFact] = field(default_factory=dict)
    paired: frozenset[int] = frozenset()  # of the `unpaired` asked about: now in an open pair


@dataclass(frozen=True)
class PremiseQuery:
    """Everything a batch's premises name, for one storage call."""

    pair_ids: frozenset[int] = frozenset()
    person_ids: frozenset[int] = frozenset()
    sessions: frozenset[tuple[int, int]] = frozenset()
    unpaired: frozenset[int] = frozenset()

    @classmethod
    def of(cls, premises: Iterable[Premise]) -> PremiseQuery:
        """The union of what `premises` need to know."""
        pair_ids: set[int] = set()
        person_ids: set[int] = set()
        sessions: set[tuple[int, int]] = set()
        unpaired: set[int] = set()
        for p in premises:
            if p.pair_id is not None:
                pair_ids.add(p.pair_id)
                if p.session is not None:
                    sessions.add((p.pair_id, p.session))
            person_ids.update(p.people, p.awake, p.paused)
            if p.unpaired is not None:
                unpaired.add(p.unpaired)
        return cls(
            frozenset(pair_ids), frozenset(person_ids), frozenset(sessions), frozenset(unpaired)
        )

    def __bool__(self) -> bool:
        return bool(self.pair_ids or self.person_ids or self.sessions or self.unpaired)
