"""Matching rounds as admins run them: dry run, publish, pairing by hand (the partners'
answers to a proposal: `conversations.pairing.consent`).

The matcher (`conversations.matching.best_pairs`) is pure; this module gathers its input from the
store,
turns its result into words, stores published pairs and queues what people are told: each
partner's private consent preview (the senior's when `require_mentee_consent`, the junior's
when `require_mentor_consent`), the intro once everyone asked has said yes, and a kind word
to everyone left without a partner.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING

from conversations import grammar as cmd
from conversations import texts
from conversations.admin import tools as admin
from conversations.context import Context, Turn
from conversations.matching.best_pairs import explain_pair, hard_violations
from conversations.matching.best_pairs import propose_pairs as solve
from conversations.outbox.queueing import welcome_key
from conversations.outbox.timing import slot_on, zone
from conversations.pairing.pairing_texts import (
    consent_preview,
    intro,
    match_summary,
    unmatched_notice,
)
from conversations.ports import Directory, PairConflict, Pairs, Store
from conversations.programme.lifecycle import (
    consent_key,
    first_session_date,
    plan_consent_reminder,
    start_pair,
)
from conversations.texts import plural
from conversations.types import (
    MatchInput,
    MatchResult,
    NewPair,
    OutgoingMessage,
    Pair,
    PairStatus,
    Person,
)

if TYPE_CHECKING:
    from conversations.config import AppConfig

CHAT_LIST_LIMIT = 15  # a chat reply lists this many pairs; the CLI lists them all
PUBLISHED_LIST_LIMIT = 5  # after publishing, the admin usually saw the list in the dry run


async def read_match_input(directory: Directory, pairs: Pairs, config: AppConfig) -> MatchInput:
    """Everything the matcher needs, read from the directory and the pairs now."""
    open_pairs = await pairs.open_pairs()
    busy = frozenset(p for pair in open_pairs for p in (pair.mentor_id, pair.mentee_id))
    people = await directory.all_people()
    return MatchInput(
        people=people,
        # Left out last time (odd numbers, a partner who left or declined): matched first.
        priority=frozenset(p.id for p in people if p.first_in_line),
        config=config.matching,
        start_date=config.programme.start_date,
        default_timezone=config.programme.timezone,
        history=await pairs.pair_history(),
        busy=busy,
        declined=await pairs.declined_pairs(),
        held=frozenset(e.mentee_id for e in await pairs.pair_endings(awaiting_review=True)),
    )


async def propose(store: Store, config: AppConfig) -> MatchResult:
    """A dry run: the best pairs for a round now, computed off the event loop."""
    return await _solve(await read_match_input(store, store, config))


async def _solve(data: MatchInput) -> MatchResult:
    # Matching a large organisation takes seconds of CPU: keep the loop answering meanwhile.
    return await asyncio.to_thread(solve, data)


async def publish(ctx: Context, actor: str, now: datetime) -> tuple[MatchResult, list[Pair], int]:
    """Compute a round, store its pairs and queue what everyone is told. Returns the round,
    the new pairs, and how many of the unmatched were told now (the rest were told before)."""
    data = await read_match_input(ctx.people, ctx.pairs, ctx.config)
    result = await asyncio.to_thread(solve, data)
    consent = any(consent_needed(ctx.config))
    status = PairStatus.PROPOSED if consent else PairStatus.ACTIVE
    new = [NewPair(p.mentor.id, p.mentee.id, p.score, p.reasons) for p in result.pairs]
    pairs = await ctx.pairs.publish_round(new, status=status, at=now) if new else []
    people = {p.id: p for p in data.people}  # already loaded for the matcher
    for pair in pairs:
        await (ask_consent if consent else introduce)(ctx, pair, people, now)
    # Whoever is left out now goes first next time; whoever got a partner is served.
    await ctx.people.set_first_in_line(
        [p for pair in pairs for p in (pair.mentor_id, pair.mentee_id)], False
    )
    await ctx.people.set_first_in_line([u.person.id for u in result.unmatched], True)
    told = 0
    for left_out in result.unmatched:
        person = left_out.person
        # Once per stretch without a partner, not once per publish: publishing again (the
        # same round re-run, a later round while they still wait) never repeats the notice.
        key = f"unmatched:{person.id}:after-pair-{await _last_pair_id(ctx, person.id)}"
        notice = unmatched_notice(
            person, left_out.reason, key, first_in_line=left_out.first_in_line
        )
        told += await ctx.outbox.queue([notice], await after_welcome(ctx, now, person))
    await ctx.audit.record(
        actor, "match publish", _audit_line(pairs, len(result.unmatched), told), at=now
    )
    return result, pairs, told


async def after_welcome(ctx: Context, due: datetime, *people: Person) -> datetime:
    """`due`, or later: never before the welcome of any of `people` while it still waits in
    the queue. A round published right after the roster import would otherwise tell someone
    about a partner (or the lack of one) before telling them the programme exists. Due at the
    same moment, the later-queued message follows: the worker sends one person's rows in
    queue order. Someone who joined in chat had their welcome as the reply: nothing waits."""
    for person in people:
        welcome_at = await ctx.queue.waiting_until(welcome_key(person))
        if welcome_at is not None and welcome_at > due:
            due = welcome_at
    return due


async def _last_pair_id(ctx: Context, person_id: int) -> int:
    """The id of the person's latest pair, whatever became of it (0: never paired)."""
    return max((pair.id for pair in await ctx.pairs.pairs_of(person_id)), default=0)


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


async def ask_consent(ctx: Context, pair: Pair, people: dict[int, Person], now: datetime) -> None:
    """Queue each asked partner's private preview of the other (at once, or with their
    welcome if that is still to come), and plan a reminder for each."""
    mentor, mentee = people[pair.mentor_id], people[pair.mentee_id]
    needs_mentor, needs_mentee = consent_needed(ctx.config)
    for viewer, other, needed in ((mentee, mentor, needs_mentee), (mentor, mentee, needs_mentor)):
        if not needed:
            continue
        key = consent_key(pair, viewer.id)
        message = consent_preview(pair, viewer, other, ctx.config, key=key)
        due = await after_welcome(ctx, now, viewer)
        await ctx.outbox.queue([message], due)
        await plan_consent_reminder(ctx, pair, viewer, due)


async def introduce(ctx: Context, pair: Pair, people: dict[int, Person], now: datetime) -> None:
    """Queue the intro: at once, or on the programme's start date when published early; never
    before either partner's welcome."""
    mentor, mentee = people[pair.mentor_id], people[pair.mentee_id]
    programme = ctx.config.programme
    due = now
    if now.date() < programme.start_date:
        due = slot_on(programme.start_date, zone(mentee.timezone, programme.timezone), programme)
    # To the pair's shared conversation: after both partners' welcomes.
    due = await after_welcome(ctx, due, mentor, mentee)
    first = first_session_date(ctx, mentee, due)
    message = intro(pair, mentor, mentee, ctx.config, first_session=first, key=f"intro:{pair.id}")
    await ctx.outbox.queue([message], due)
    # Sessions count from the intro; their steps are planned now, all under idempotent keys.
    await start_pair(ctx, pair, mentor, mentee, due)


async def match_command(ctx: Context, turn: Turn, command: cmd.Match) -> list[OutgoingMessage]:
    """Admin `match` (dry run) and `match publish`."""
    actor = turn.person.email if turn.person else "unknown"
    if command.publish:
        try:
            result, _, told = await publish(ctx, actor, turn.now)
        except PairConflict:
            return [
                texts.reply(
                    turn.reply_to,
                    "match",
                    "Someone published pairs at the same "
                    "moment; nothing was changed. Run `match` again to see the "
                    "new state.",
                )
            ]
        text = match_summary(
            result,
            ctx.config,
            published=True,
            limit=PUBLISHED_LIST_LIMIT,
            told=told,
            viewer=turn.person.id if turn.person else None,
        )
        return [texts.reply(turn.reply_to, "match", text)]
    result = await _solve(await read_match_input(ctx.people, ctx.pairs, ctx.config))
    await admin.audit(ctx, turn, "match", f"dry run: {len(result.pairs)} pairs")
    text = match_summary(
        result,
        ctx.config,
        published=False,
        limit=CHAT_LIST_LIMIT,
        viewer=turn.person.id if turn.person else None,
    )
    return [texts.reply(turn.reply_to, "match", text)]


async def pair_by_hand(ctx: Context, turn: Turn, command: cmd.PairByHand) -> list[OutgoingMessage]:
    """Admin `pair MENTOR with MENTEE [--force]`."""
    mentor = await admin.find_person(ctx, turn, command.mentor)
    if isinstance(mentor, OutgoingMessage):
        return [mentor]
    mentee = await admin.find_person(ctx, turn, command.mentee)
    if isinstance(mentee, OutgoingMessage):
        return [mentee]
    if mentor.id == mentee.id:
        return [texts.reply(turn.reply_to, "pair", "A pair needs two different people.")]
    if turn.person is not None and turn.person.id in (mentor.id, mentee.id):
        # Nobody pairs themselves: the rules below (a hold, an earlier ending) are reviewed by
        # another admin, and an admin must not learn them about himself from the refusal.
        return [
            texts.reply(
                turn.reply_to,
                "pair",
                "You can't pair yourself by hand — please ask another admin to do it.",
            )
        ]
    data = await read_match_input(ctx.people, ctx.pairs, ctx.config)
    blocked = _unforceable(mentor, mentee, data)
    if blocked:
        listed = "\n".join(f"• {b}" for b in blocked)
        return [
            texts.reply(
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
            texts.reply(
                turn.reply_to,
                "pair",
                f"I can't pair {mentor.display_name} with {mentee.display_name}:\n{listed}\n"
                "Add `--force` if you are sure.",
            )
        ]
    score, reasons = explain_pair(mentor, mentee, data)
    consent = any(consent_needed(ctx.config))
    status = PairStatus.PROPOSED if consent else PairStatus.ACTIVE
    try:
        pair = await ctx.pairs.add_pair(
            NewPair(mentor.id, mentee.id, score, reasons),
            status=status,
            at=turn.now,
            mentor_capacity=ctx.config.matching.mentees_per_mentor,
        )
    except PairConflict:
        return [
            texts.reply(
                turn.reply_to,
                "pair",
                "One of them is already in a pair. End that pair first, then try again.",
            )
        ]
    forced = f" (forced past: {'; '.join(problems)})" if problems else ""
    await admin.audit(ctx, turn, "pair", f"{mentor.email} with {mentee.email}{forced}")
    people = {mentor.id: mentor, mentee.id: mentee}
    await (ask_consent if consent else introduce)(ctx, pair, people, turn.now)
    next_step = _asked(ctx.config) if consent else "I'm introducing them now."
    return [
        texts.reply(
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
