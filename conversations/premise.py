"""The premise of a queued message: what must still be true when it is sent.

A message is decided now and sent later (at the recipient's delivery hour, after a retry, on
the programme's start date). Meanwhile the world moves on: the junior leaves, a roster import
deactivates someone, the senior answers, a session is reported. Every message the engine
queues says, in a small declarative `Premise`, the condition under which it still makes sense;
the delivery worker asks storage for the facts of a whole batch at once (`PremiseFacts`) and
cancels, never sends, a message whose premise is gone, recording `why_gone` as the reason.

The rule for each kind is listed in docs/architecture.md ("A message's premise").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from conversations.domain import PairStatus, SessionStatus, Status

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


def why_gone(premise: Premise, facts: PremiseFacts, now: datetime | None = None) -> str | None:
    """Why `premise` no longer holds at `now`, in one line naming ids only (never a person's
    name: the reason is kept and shown in `health`); None while it holds."""
    if premise.not_after is not None and now is not None and now > premise.not_after:
        return f"{GONE}: stale, it had to go by {premise.not_after:%Y-%m-%d %H:%M} UTC"
    pair_id = premise.pair_id
    if pair_id is not None:
        status = facts.pairs.get(pair_id)
        if status is None:
            return f"{GONE}: pair {pair_id} no longer exists"
        if premise.pair_in and status not in premise.pair_in:
            wanted = " or ".join(sorted(s.value for s in premise.pair_in))
            return f"{GONE}: pair {pair_id} is {status.value}, no longer {wanted}"
    for person_id in premise.people:
        person = facts.people.get(person_id)
        if person is None:
            return f"{GONE}: person {person_id} no longer exists"
        if not person.enrolled:
            return f"{GONE}: person {person_id} no longer takes part ({person.value})"
    for person_id in premise.awake:
        person = facts.people.get(person_id)
        if person is None:
            return f"{GONE}: person {person_id} no longer exists"
        if not person.enrolled:
            return f"{GONE}: person {person_id} no longer takes part ({person.value})"
        if person is Status.PAUSED:
            return f"{GONE}: person {person_id} is paused"
    for person_id in premise.paused:
        if facts.people.get(person_id) is not Status.PAUSED:
            return f"{GONE}: person {person_id} is no longer paused"
    if pair_id is not None and premise.session is not None:
        session = facts.sessions.get((pair_id, premise.session))
        where = f"session {premise.session} of pair {pair_id}"
        if session is None:
            return f"{GONE}: {where} no longer exists"
        if not session.open:
            return f"{GONE}: {where} is already reported ({session.status.value})"
        if premise.session_due is not None and session.due_date != premise.session_due:
            return f"{GONE}: {where} moved to {session.due_date.isoformat()}"
    if premise.unpaired is not None and premise.unpaired in facts.paired:
        return f"{GONE}: person {premise.unpaired} has a partner now"
    return None


# The premises of the engine's messages, named for what they protect (docs/architecture.md).


def pair_proposed(pair_id: int, *people: int) -> Premise:
    """The consent preview and reminder: still proposed, both partners still taking part."""
    return Premise(pair_id, frozenset({PairStatus.PROPOSED}), tuple(people))


def pair_active(pair_id: int, *people: int) -> Premise:
    """Intro, check-in, closing, a partner's pause: the pair is running, its people in it."""
    return Premise(pair_id, frozenset({PairStatus.ACTIVE}), tuple(people))


def session_open(pair_id: int, number: int, due: date, *people: int) -> Premise:
    """Topic and prep prompts, did-you-meet, nudges: the pair is running and the session is
    still unreported and still due that day."""
    return Premise(
        pair_id, frozenset({PairStatus.ACTIVE}), tuple(people), session=number, session_due=due
    )


def pair_running(pair_id: int, *people: int) -> Premise:
    """Check-in and closing survey: the pair is active and `people` take part, not paused
    (resuming plans the pair's steps again, so nothing is lost)."""
    return Premise(pair_id, frozenset({PairStatus.ACTIVE}), awake=tuple(people))


def partner_on_break(pair_id: int, recipient: int, absent: int) -> Premise:
    """A partner's pause: the pair runs, the recipient takes part and is not paused, and the
    absent partner is still on their break."""
    return Premise(pair_id, frozenset({PairStatus.ACTIVE}), awake=(recipient,), paused=(absent,))


def pair_exists(pair_id: int, *people: int) -> Premise:
    """Pulse questions and follow-ups, graduation: about a pair that may have ended since."""
    return Premise(pair_id, people=tuple(people))


def taking_part(*people: int) -> Premise:
    """A partner-left notice: the recipient still takes part."""
    return Premise(people=tuple(people))


def awake(*people: int) -> Premise:
    """The welcome: the recipient takes part and is not paused."""
    return Premise(awake=tuple(people))


def by_then(premise: Premise | None, deadline: datetime) -> Premise:
    """`premise` (or none) with a deadline: a reply queued because it could not go at once."""
    return replace(premise or Premise(), not_after=deadline)


def still_unmatched(person_id: int) -> Premise:
    """The unmatched notice: taking part, not paused, and still without a partner."""
    return Premise(awake=(person_id,), unpaired=person_id)


def unconditional() -> Premise:
    """A concern for the programme team: nothing that happens meanwhile (the pair ending, the
    sender leaving or pausing) may silently drop it. Only `forget` of the sender cancels it,
    as it does every unsent message naming them."""
    return Premise()
