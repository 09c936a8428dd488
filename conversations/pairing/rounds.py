"""Matching rounds as admins run them: dry run, publish, pairing by hand, both partners' consent.

The matcher (`conversations.matching.best_pairs`) is pure; this module gathers its input from the
store,
turns its result into words, stores published pairs and queues what people are told: each
partner's private consent preview (the senior's when `require_mentee_consent`, the junior's
when `require_mentor_consent`), the intro once everyone asked has said yes, and a kind word
to everyone left without a partner.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from conversations import grammar as cmd
from conversations.admin import tools as admin
from conversations.enrolment import enrolment_texts as messages
from conversations.enrolment.enrolment_texts import plural
from conversations.enrolment.home import was_asked
from conversations.matching.best_pairs import MatchInput, MatchResult, explain_pair, hard_violations
from conversations.matching.best_pairs import propose_pairs as solve
from conversations.outbox.premise import awake, still_unmatched
from conversations.outbox.timing import slot_on, zone
from conversations.pairing.pairing_texts import (
    consent_preview,
    intro,
    match_summary,
    proposal_closed,
    unmatched_notice,
)
from conversations.ports import PairConflict, Store
from conversations.programme.lifecycle import (
    consent_key,
    first_session_date,
    plan_consent_reminder,
    start_pair,
)
from conversations.types import (
    Action,
    NewPair,
    OutgoingMessage,
    Pair,
    PairStatus,
    Person,
    ProposalAnswer,
    actions,
)

if TYPE_CHECKING:
    from conversations.config import AppConfig
    from conversations.engine import ActionHandler, CommandHandler, Engine, Turn

CHAT_LIST_LIMIT = 15  # a chat reply lists this many pairs; the CLI lists them all
PUBLISHED_LIST_LIMIT = 5  # after publishing, the admin usually saw the list in the dry run


async def match_input(store: Store, config: AppConfig) -> MatchInput:
    """Everything the matcher needs, read from the store now."""
    open_pairs = await store.open_pairs()
    busy = frozenset(p for pair in open_pairs for p in (pair.mentor_id, pair.mentee_id))
    people = await store.all_people()
    return MatchInput(
        people=people,
        # Left out last time (odd numbers, a partner who left or declined): matched first.
        priority=frozenset(p.id for p in people if p.first_in_line),
        config=config.matching,
        start_date=config.programme.start_date,
        default_timezone=config.programme.timezone,
        history=await store.pair_history(),
        busy=busy,
        declined=await store.declined_pairs(),
        held=frozenset(e.mentee_id for e in await store.pair_endings(awaiting_review=True)),
    )


async def propose(store: Store, config: AppConfig) -> MatchResult:
    """A dry run: the best pairs for a round now, computed off the event loop."""
    data = await match_input(store, config)
    # Matching a large organisation takes seconds of CPU: keep the loop answering meanwhile.
    return await asyncio.to_thread(solve, data)


async def publish(engine: Engine, actor: str, now: datetime) -> tuple[MatchResult, list[Pair], int]:
    """Compute a round, store its pairs and queue what everyone is told. Returns the round,
    the new pairs, and how many of the unmatched were told now (the rest were told before)."""
    data = await match_input(engine.store, engine.config)
    result = await asyncio.to_thread(solve, data)
    consent = any(consent_needed(engine.config))
    status = PairStatus.PROPOSED if consent else PairStatus.ACTIVE
    new = [NewPair(p.mentor.id, p.mentee.id, p.score, p.reasons) for p in result.pairs]
    pairs = await engine.store.publish_round(new, status=status, at=now) if new else []
    people = {p.id: p for p in data.people}  # already loaded for the matcher
    for pair in pairs:
        await (ask_consent if consent else introduce)(engine, pair, people, now)
    # Whoever is left out now goes first next time; whoever got a partner is served.
    await engine.store.set_first_in_line(
        [p for pair in pairs for p in (pair.mentor_id, pair.mentee_id)], False
    )
    await engine.store.set_first_in_line([u.person.id for u in result.unmatched], True)
    told = 0
    for left_out in result.unmatched:
        person = left_out.person
        # Once per stretch without a partner, not once per publish: publishing again (the
        # same round re-run, a later round while they still wait) never repeats the notice.
        key = f"unmatched:{person.id}:after-pair-{await _last_pair_id(engine, person.id)}"
        notice = unmatched_notice(
            person, left_out.reason, key, first_in_line=left_out.first_in_line
        )
        told += await engine.queue([notice], await after_welcome(engine, now, person))
    await engine.store.record(
        actor, "match publish", _audit_line(pairs, len(result.unmatched), told), at=now
    )
    return result, pairs, told


async def after_welcome(engine: Engine, due: datetime, *people: Person) -> datetime:
    """`due`, or later: never before the welcome of any of `people` while it still waits in
    the queue. A round published right after the roster import would otherwise tell someone
    about a partner (or the lack of one) before telling them the programme exists. Due at the
    same moment, the later-queued message follows: the worker sends one person's rows in
    queue order. Someone who joined in chat had their welcome as the reply: nothing waits."""
    for person in people:
        welcome_at = await engine.store.waiting_until(engine.welcome_key(person))
        if welcome_at is not None and welcome_at > due:
            due = welcome_at
    return due


async def _last_pair_id(engine: Engine, person_id: int) -> int:
    """The id of the person's latest pair, whatever became of it (0: never paired)."""
    return max((pair.id for pair in await engine.store.pairs_of(person_id)), default=0)


def _audit_line(pairs: list[Pair], unmatched: int, told: int) -> str:
    """What a publish did, for the audit log: the round it started (none when nothing new
    could be paired) and how many of the unmatched were told now (the rest were before)."""
    again = unmatched - told
    before = f" ({again} told before, not again)" if again else ""
    if not pairs:
        return f"no new round: 0 new pairs, {unmatched} unmatched{before}"
    return f"round {pairs[0].round}: {plural(len(pairs), 'pair')}, {unmatched} unmatched{before}"


def consent_needed(config: AppConfig) -> tuple[bool, bool]:
    """(mentor, mentee): whose Accept a proposed pair waits for. Neither: pairs start
    active at once."""
    programme = config.programme
    return programme.require_mentor_consent, programme.require_mentee_consent


def _asked(config: AppConfig) -> str:
    mentor, mentee = consent_needed(config)
    who = "both of them" if mentor and mentee else "the mentor" if mentor else "the senior"
    return f"I've asked {who} to confirm."


async def ask_consent(engine: Engine, pair: Pair, people: dict[int, Person], now: datetime) -> None:
    """Queue each asked partner's private preview of the other (at once, or with their
    welcome if that is still to come), and plan a reminder for each."""
    mentor, mentee = people[pair.mentor_id], people[pair.mentee_id]
    needs_mentor, needs_mentee = consent_needed(engine.config)
    for viewer, other, needed in ((mentee, mentor, needs_mentee), (mentor, mentee, needs_mentor)):
        if not needed:
            continue
        key = consent_key(pair, viewer.id)
        message = consent_preview(pair, viewer, other, engine.config, key=key)
        due = await after_welcome(engine, now, viewer)
        await engine.queue([message], due)
        await plan_consent_reminder(engine, pair, viewer, due)


async def introduce(engine: Engine, pair: Pair, people: dict[int, Person], now: datetime) -> None:
    """Queue the intro: at once, or on the programme's start date when published early; never
    before either partner's welcome."""
    mentor, mentee = people[pair.mentor_id], people[pair.mentee_id]
    programme = engine.config.programme
    due = now
    if now.date() < programme.start_date:
        due = slot_on(programme.start_date, zone(mentee.timezone, programme.timezone), programme)
    # To the pair's shared conversation: after both partners' welcomes.
    due = await after_welcome(engine, due, mentor, mentee)
    first = first_session_date(engine, mentee, due)
    message = intro(
        pair, mentor, mentee, engine.config, first_session=first, key=f"intro:{pair.id}"
    )
    await engine.queue([message], due)
    # Sessions count from the intro; their steps are planned now, all under idempotent keys.
    await start_pair(engine, pair, mentor, mentee, due)


async def match_command(engine: Engine, turn: Turn, command: cmd.Match) -> list[OutgoingMessage]:
    """Admin `match` (dry run) and `match publish`."""
    actor = turn.person.email if turn.person else "unknown"
    if command.publish:
        try:
            result, _, told = await publish(engine, actor, turn.now)
        except PairConflict:
            return [
                messages.reply(
                    turn.reply_to,
                    "match",
                    "Someone published pairs at the same "
                    "moment; nothing was changed. Run `match` again to see the "
                    "new state.",
                )
            ]
        text = match_summary(
            result,
            engine.config,
            published=True,
            limit=PUBLISHED_LIST_LIMIT,
            told=told,
            viewer=turn.person.id if turn.person else None,
        )
        return [messages.reply(turn.reply_to, "match", text)]
    result = await propose(engine.store, engine.config)
    await admin.audit(engine, turn, "match", f"dry run: {len(result.pairs)} pairs")
    text = match_summary(
        result,
        engine.config,
        published=False,
        limit=CHAT_LIST_LIMIT,
        viewer=turn.person.id if turn.person else None,
    )
    return [messages.reply(turn.reply_to, "match", text)]


async def pair_by_hand(
    engine: Engine, turn: Turn, command: cmd.PairByHand
) -> list[OutgoingMessage]:
    """Admin `pair MENTOR with MENTEE [--force]`."""
    mentor = await admin.find_person(engine, turn, command.mentor)
    if isinstance(mentor, OutgoingMessage):
        return [mentor]
    mentee = await admin.find_person(engine, turn, command.mentee)
    if isinstance(mentee, OutgoingMessage):
        return [mentee]
    if mentor.id == mentee.id:
        return [messages.reply(turn.reply_to, "pair", "A pair needs two different people.")]
    if turn.person is not None and turn.person.id in (mentor.id, mentee.id):
        # Nobody pairs themselves: the rules below (a hold, an earlier ending) are reviewed by
        # another admin, and an admin must not learn them about himself from the refusal.
        return [
            messages.reply(
                turn.reply_to,
                "pair",
                "You can't pair yourself by hand — please ask another admin to do it.",
            )
        ]
    data = await match_input(engine.store, engine.config)
    blocked = _unforceable(mentor, mentee, data)
    if blocked:
        listed = "\n".join(f"• {b}" for b in blocked)
        return [
            messages.reply(
                turn.reply_to,
                "pair",
                f"I can't pair {mentor.display_name} with {mentee.display_name}, even with "
                f"`--force`:\n{listed}",
            )
        ]
    problems = hard_violations(mentor, mentee, data)
    if problems and not command.force:
        listed = "\n".join(f"• {p}" for p in problems)
        return [
            messages.reply(
                turn.reply_to,
                "pair",
                f"I can't pair {mentor.display_name} with {mentee.display_name}:\n{listed}\n"
                "Add `--force` if you are sure.",
            )
        ]
    score, reasons = explain_pair(mentor, mentee, data)
    consent = any(consent_needed(engine.config))
    status = PairStatus.PROPOSED if consent else PairStatus.ACTIVE
    try:
        pair = await engine.store.add_pair(
            NewPair(mentor.id, mentee.id, score, reasons),
            status=status,
            at=turn.now,
            mentor_capacity=engine.config.matching.mentees_per_mentor,
        )
    except PairConflict:
        return [
            messages.reply(
                turn.reply_to,
                "pair",
                "One of them is already in a pair. End that pair first, then try again.",
            )
        ]
    forced = f" (forced past: {'; '.join(problems)})" if problems else ""
    await admin.audit(engine, turn, "pair", f"{mentor.email} with {mentee.email}{forced}")
    people = {mentor.id: mentor, mentee.id: mentee}
    await (ask_consent if consent else introduce)(engine, pair, people, turn.now)
    next_step = _asked(engine.config) if consent else "I'm introducing them now."
    return [
        messages.reply(
            turn.reply_to,
            "pair",
            f"Paired {mentor.display_name} (mentor) with "
            f"{mentee.display_name} (mentee){forced}. {next_step}",
        )
    ]


def _unforceable(mentor: Person, mentee: Person, data: MatchInput) -> list[str]:
    """The rules `--force` does not override. A pairing someone declined or ended early is
    their private "no": never undone by hand. A senior held for review after his junior ended
    a pairing is released (`release EMAIL`) before anyone pairs him again."""
    out = [
        f"{person.display_name} is held for review after a pairing ended — "
        f"`release {person.email}` once you've reviewed it"
        for person in (mentor, mentee)
        if person.id in data.held
    ]
    if frozenset((mentor.id, mentee.id)) in {frozenset(p) for p in data.declined}:
        out.append(
            "this pairing was declined or ended early before, so they are never paired again"
        )
    return out


async def consent_answer(engine: Engine, turn: Turn, action: Action) -> list[OutgoingMessage]:
    """Either partner's Accept / Ask for someone else; the answer replaces the preview."""
    replies = await _consent_answer(engine, turn, action)
    return [replace(reply, replaces=action.message_id) for reply in replies]


def _closed(turn: Turn) -> list[OutgoingMessage]:
    return [messages.reply(turn.reply_to, "consent", "That proposal is no longer open.")]


async def _consent_answer(engine: Engine, turn: Turn, action: Action) -> list[OutgoingMessage]:
    pair = await _own_pair(engine, turn, action.value)
    if pair is None or turn.person is None:
        return _closed(turn)
    me = turn.person
    needs_mentor, needs_mentee = consent_needed(engine.config)
    # A side the programme does not ask was never shown the buttons: a forged tap from it
    # changes nothing (it must not decline a pairing the other side is deciding on).
    if not (needs_mentor if me.id == pair.mentor_id else needs_mentee):
        return _closed(turn)
    # Only the two partners: a button tap must not load the whole directory.
    mentor = await engine.store.get_person(pair.mentor_id)
    mentee = await engine.store.get_person(pair.mentee_id)
    if mentor is None or mentee is None:
        return _closed(turn)
    other = mentee if me.id == mentor.id else mentor
    accept = action.action_id == actions.CONSENT_ACCEPT
    try:
        answer = await engine.store.answer_proposal(
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
        return await _accepted(engine, turn, answer, {mentor.id: mentor, mentee.id: mentee}, other)
    if not answer.changed:
        return _closed(turn)
    await _declined(engine, turn, answer.pair, me, other)
    return [messages.reply(turn.reply_to, "consent", DECLINED)]


DECLINED = (
    "Thanks for saying so. I'll look for someone else for you in the next round; "
    "your answer stays between you and me."
)


async def decline_proposal(engine: Engine, turn: Turn, pair: Pair, me: Person) -> bool:
    """`end pairing` (or its button) on a proposal: exactly "Ask for someone else" — the
    proposal is declined, both go first in line, nobody is held and the programme team is not
    told. False when it was no longer open (answered meanwhile)."""
    other = await engine.store.get_person(pair.partner_of(me.id))
    if other is None:
        return False
    needs_mentor, needs_mentee = consent_needed(engine.config)
    try:
        answer = await engine.store.answer_proposal(
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
    await _declined(engine, turn, answer.pair, me, other)
    return True


async def _accepted(
    engine: Engine,
    turn: Turn,
    answer: ProposalAnswer,
    people: dict[int, Person],
    other: Person,
) -> list[OutgoingMessage]:
    """Introduce the pair when this Accept was the last one needed (exactly once, however
    many taps race); otherwise say whom we wait for."""
    if answer.activated:
        await introduce(engine, answer.pair, people, turn.now)
        text = f"Wonderful — I'll introduce you to {other.first_name} now. 🎉"
    elif answer.pair.status is PairStatus.PROPOSED:
        text = f"Thank you! I'll introduce you both as soon as {other.first_name} confirms too."
    elif answer.pair.status is PairStatus.ACTIVE:
        text = f"You and {other.first_name} are already introduced. 🎉"
    else:
        return _closed(turn)
    return [messages.reply(turn.reply_to, "consent", text)]


async def _declined(engine: Engine, turn: Turn, pair: Pair, me: Person, other: Person) -> None:
    """After a decline: both go first next round (never with each other again: the pair is
    declined); the other partner is never told who or why. If the programme asked them too
    (whether they had answered or not) they get the same kind note, and their unanswered
    preview and reminder are cancelled by their premise; a partner who was not asked never
    knew of the proposal and hears nothing."""
    await engine.store.set_first_in_line([me.id, other.id], True)
    if was_asked(engine.config, pair, other.id):
        note = proposal_closed(other, key=f"consent-closed:{pair.id}:{other.id}")
        # Matched again before it goes out: cancelled. Someone already in another pair (a
        # junior may mentor several) is told all the same.
        elsewhere = any(
            p.status.open and p.id != pair.id for p in await engine.store.pairs_of(other.id)
        )
        premise = awake(other.id) if elsewhere else still_unmatched(other.id)
        await engine.queue([replace(note, premise=premise)], turn.now)
    # Who declined stays private, in the audit log too: a proposal was declined, no reason,
    # nobody named (the log is read more widely than the decision).
    await engine.store.record("participant", "consent decline", f"pair {pair.id}", at=turn.now)


async def _own_pair(engine: Engine, turn: Turn, value: str) -> Pair | None:
    """The pair a button names, only when the person pressing it is one of its partners."""
    if not value.isdigit() or turn.person is None:
        return None
    pair = await engine.store.get_pair(int(value))
    if pair is None or turn.person.id not in (pair.mentor_id, pair.mentee_id):
        return None  # forged or stale: nobody acts on another person's pair
    return pair


COMMANDS: dict[type, CommandHandler] = {
    cmd.Match: match_command,  # type: ignore[dict-item]
    cmd.PairByHand: pair_by_hand,  # type: ignore[dict-item]
}
ACTIONS: dict[str, ActionHandler] = {
    actions.CONSENT_ACCEPT: consent_answer,
    actions.CONSENT_DECLINE: consent_answer,
}
