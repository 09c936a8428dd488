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

from dataclasses import replace
from datetime import date, datetime

from conversations.types import (
    GONE,
    PairStatus,
    Premise,
    PremiseFacts,
    Status,
)


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
