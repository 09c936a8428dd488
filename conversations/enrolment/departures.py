"""When someone steps away: leaving, pausing, resuming, or becoming unreachable.

A partner is told kindly and put first in line for the next round (unless held for review:
conversations/pairing/endings.py); a pause shifts the pair's
remaining sessions by its length, so "pause" really pauses (a complaint about today's bots).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from conversations.context import Context
from conversations.outbox.premise import partner_on_break
from conversations.outbox.timing import local_today, zone
from conversations.programme import session_texts as pm
from conversations.programme.lifecycle import ALL_STEPS, plan_session
from conversations.programme.pair_people import partners
from conversations.types import PairStatus, Person, Status, ToPerson


async def end_pairs_of(
    ctx: Context,
    person: Person,
    now: datetime,
    *,
    unreachable: bool = False,
    forgotten: bool = False,
) -> None:
    """End the person's open pairs, each with a blame-free note to the partner and a word to
    the programme team (that the pair ended because a partner left, never why).

    The partner goes first in the next round, except a senior whose junior left: held out of
    matching until an admin reviews it (conversations/pairing/endings.py). `forgotten`: the
    person asked to be erased, so neither note names them.
    """
    from conversations.pairing.endings import end_pair_early

    cause = "unreachable" if unreachable else "forgotten" if forgotten else "left"
    await ctx.waiting.clear_pending_input(person.id)
    for pair in await ctx.pairs.pairs_of(person.id):
        if pair.status.open:
            await end_pair_early(ctx, pair, person, now, cause=cause)


async def paused(ctx: Context, person: Person, now: datetime) -> None:
    """Tell the partner of each active pair that sessions wait for the break."""
    for pair in await ctx.pairs.pairs_of(person.id):
        if pair.status is not PairStatus.ACTIVE:
            continue
        partner = await ctx.people.get_person(pair.partner_of(person.id))
        if partner is None or not partner.status.enrolled:
            continue
        since = local_today(now, zone(person.timezone, ctx.config.programme.timezone))
        message = pm.partner_paused(
            ToPerson(partner.id),
            partner,
            person,
            person.paused_until,
            key=f"partner-paused:{pair.id}:{person.id}:{since.isoformat()}",
        )
        # Only while the pair still runs, the partner takes part, and the break still lasts.
        message = replace(message, premise=partner_on_break(pair.id, partner.id, person.id))
        await ctx.outbox.for_person(partner, message)


async def resumed(ctx: Context, before: Person, now: datetime) -> None:
    """Shift the remaining sessions of the person's active pairs by the pause's length."""
    if before.paused_since is None:
        return
    tz = zone(before.timezone, ctx.config.programme.timezone)
    days = (local_today(now, tz) - before.paused_since).days
    if days <= 0:
        return
    for pair in await ctx.pairs.pairs_of(before.id):
        if pair.status is not PairStatus.ACTIVE:
            continue
        people = await partners(ctx, pair)
        if people is None:
            continue
        sessions = await ctx.sessions.shift_sessions(pair.id, before.paused_since, days)
        for session in sessions:
            if session.status.pending and session.due_date >= before.paused_since:
                await plan_session(ctx, pair, session, *people, ALL_STEPS, not_before=now)
        await ctx.audit.record(
            "mentorbot", "sessions shifted", f"pair {pair.id}: +{days} days (pause)", at=now
        )


async def unreachable(ctx: Context, person_id: int, now: datetime) -> None:
    """The platform says this person can no longer be reached (left the company, removed
    the app): mark them so, and end their pairs with a kind word to each partner."""
    person = await ctx.people.get_person(person_id)
    if person is None or person.status is Status.UNREACHABLE:
        return
    await ctx.people.set_status(person.id, Status.UNREACHABLE, at=now)
    await end_pairs_of(ctx, person, now, unreachable=True)
    await ctx.audit.record("mentorbot", "unreachable", person.email, at=now)
