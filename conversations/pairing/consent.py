"""Both partners' consent: each one's Accept or "Ask for someone else" on the private preview
(docs/architecture.md, "A message's premise": one atomic step under the pair's lock).
"""

from __future__ import annotations

from dataclasses import replace

from conversations import texts
from conversations.config import AppConfig
from conversations.context import Context, Turn
from conversations.outbox.premise import awake, still_unmatched
from conversations.pairing.pairing_texts import (
    proposal_closed,
)
from conversations.pairing.rounds import consent_needed, introduce
from conversations.types import (
    Action,
    OutgoingMessage,
    Pair,
    PairStatus,
    Person,
    ProposalAnswer,
    actions,
)


def was_asked(config: AppConfig, pair: Pair, person_id: int) -> bool:
    """Whether the programme asks this partner to accept a proposed pair. A partner who is not
    asked sees nothing of the proposal (not even that someone else is deciding on it)."""
    programme = config.programme
    if person_id == pair.mentor_id:
        return programme.require_mentor_consent
    return programme.require_mentee_consent


async def open_pairs(ctx: Context, person: Person) -> list[Pair]:
    """The pairs the person may see now: every active one and every proposal they were asked
    about; active ones first, then oldest first (so the order stays put as pairs come)."""
    pairs = [
        pair
        for pair in await ctx.pairs.pairs_of(person.id)
        if pair.status is PairStatus.ACTIVE
        or (pair.status is PairStatus.PROPOSED and was_asked(ctx.config, pair, person.id))
    ]
    pairs.sort(key=lambda pair: (pair.status is not PairStatus.ACTIVE, pair.id))
    return pairs


async def consent_answer(ctx: Context, turn: Turn, action: Action) -> list[OutgoingMessage]:
    """Either partner's Accept / Ask for someone else; the answer replaces the preview."""
    replies = await _consent_answer(ctx, turn, action)
    return [replace(reply, replaces=action.message_id) for reply in replies]


def _closed(turn: Turn) -> list[OutgoingMessage]:
    return [texts.reply(turn.reply_to, "consent", "That proposal is no longer open.")]


async def _consent_answer(ctx: Context, turn: Turn, action: Action) -> list[OutgoingMessage]:
    pair = await _own_pair(ctx, turn, action.value)
    if pair is None or turn.person is None:
        return _closed(turn)
    me = turn.person
    needs_mentor, needs_mentee = consent_needed(ctx.config)
    # A side the programme does not ask was never shown the buttons: a forged tap from it
    # changes nothing (it must not decline a pairing the other side is deciding on).
    if not (needs_mentor if me.id == pair.mentor_id else needs_mentee):
        return _closed(turn)
    # Only the two partners: a button tap must not load the whole directory.
    mentor = await ctx.people.get_person(pair.mentor_id)
    mentee = await ctx.people.get_person(pair.mentee_id)
    if mentor is None or mentee is None:
        return _closed(turn)
    other = mentee if me.id == mentor.id else mentor
    accept = action.action_id == actions.CONSENT_ACCEPT
    try:
        answer = await ctx.pairs.answer_proposal(
            pair.id,
            me.id,
            accept=accept,
            needs_mentor=needs_mentor,
            needs_mentee=needs_mentee,
            at=turn.now,
        )
    except (LookupError, ValueError):
        return _closed(turn)  # the pair went meanwhile (a forgotten partner)
    if accept:
        return await _accepted(ctx, turn, answer, {mentor.id: mentor, mentee.id: mentee}, other)
    if not answer.changed:
        return _closed(turn)
    await _declined(ctx, turn, answer.pair, me, other)
    return [texts.reply(turn.reply_to, "consent", DECLINED)]


DECLINED = (
    "Thanks for saying so. I'll look for someone else for you in the next round; "
    "your answer stays between you and me."
)


async def decline_proposal(ctx: Context, turn: Turn, pair: Pair, me: Person) -> bool:
    """`end pairing` (or its button) on a proposal: exactly "Ask for someone else" — the
    proposal is declined, both go first in line, nobody is held and the programme team is not
    told. False when it was no longer open (answered meanwhile)."""
    other = await ctx.people.get_person(pair.partner_of(me.id))
    if other is None:
        return False
    needs_mentor, needs_mentee = consent_needed(ctx.config)
    try:
        answer = await ctx.pairs.answer_proposal(
            pair.id,
            me.id,
            accept=False,
            needs_mentor=needs_mentor,
            needs_mentee=needs_mentee,
            at=turn.now,
        )
    except (LookupError, ValueError):
        return False
    if not answer.changed:
        return False
    await _declined(ctx, turn, answer.pair, me, other)
    return True


async def _accepted(
    ctx: Context,
    turn: Turn,
    answer: ProposalAnswer,
    people: dict[int, Person],
    other: Person,
) -> list[OutgoingMessage]:
    """Introduce the pair when this Accept was the last one needed (exactly once, however
    many taps race); otherwise say whom we wait for."""
    if answer.activated:
        await introduce(ctx, answer.pair, people, turn.now)
        text = f"Wonderful — I'll introduce you to {other.first_name} now. 🎉"
    elif answer.pair.status is PairStatus.PROPOSED:
        text = f"Thank you! I'll introduce you both as soon as {other.first_name} confirms too."
    elif answer.pair.status is PairStatus.ACTIVE:
        text = f"You and {other.first_name} are already introduced. 🎉"
    else:
        return _closed(turn)
    return [texts.reply(turn.reply_to, "consent", text)]


async def _declined(ctx: Context, turn: Turn, pair: Pair, me: Person, other: Person) -> None:
    """After a decline: both go first next round (never with each other again: the pair is
    declined); the other partner is never told who or why. If the programme asked them too
    (whether they had answered or not) they get the same kind note, and their unanswered
    preview and reminder are cancelled by their premise; a partner who was not asked never
    knew of the proposal and hears nothing."""
    await ctx.people.set_first_in_line([me.id, other.id], True)
    if was_asked(ctx.config, pair, other.id):
        note = proposal_closed(other, key=f"consent-closed:{pair.id}:{other.id}")
        # Matched again before it goes out: cancelled. Someone already in another pair (a
        # junior may mentor several) is told all the same.
        elsewhere = any(
            p.status.open and p.id != pair.id for p in await ctx.pairs.pairs_of(other.id)
        )
        premise = awake(other.id) if elsewhere else still_unmatched(other.id)
        await ctx.outbox.queue([replace(note, premise=premise)], turn.now)
    # Who declined stays private, in the audit log too: a proposal was declined, no reason,
    # nobody named (the log is read more widely than the decision).
    await ctx.audit.record("participant", "consent decline", f"pair {pair.id}", at=turn.now)


async def _own_pair(ctx: Context, turn: Turn, value: str) -> Pair | None:
    """The pair a button names, only when the person pressing it is one of its partners."""
    if not value.isdigit() or turn.person is None:
        return None
    pair = await ctx.pairs.get_pair(int(value))
    if pair is None or turn.person.id not in (pair.mentor_id, pair.mentee_id):
        return None  # forged or stale: nobody acts on another person's pair
    return pair
