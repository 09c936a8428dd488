"""The programme lifecycle after the intro: sessions on a cadence, topic and prep prompts,
did-you-meet, one nudge per session, escalation, midpoint check-in, closing and graduation.

Every future step is a row in the durable queue (docs/architecture.md, "due_work outbox") whose key
names the pair, the
session and the session's due date (`ask:12:3:2027-04-05`). Moving a session (a reschedule, a
pause) schedules new steps under new keys; the old ones find the date changed and do nothing.
So a step never needs cancelling, and a redo after a crash is harmless.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from conversations.context import Context
from conversations.outbox.premise import pair_active, pair_exists, pair_proposed
from conversations.outbox.timing import local_today, next_working_day, slot_before, slot_on, zone
from conversations.ports import DueWork
from conversations.programme import session_texts as pm
from conversations.programme import survey_texts as surveys
from conversations.programme import topics as session_topics
from conversations.programme.pair_people import partners
from conversations.safety.team import recipients_for
from conversations.types import (
    OutgoingMessage,
    Pair,
    PairStatus,
    Person,
    Premise,
    Session,
    SessionStatus,
    Status,
    ToPair,
    ToPerson,
)
from conversations.types.programme_span import CLOSING_DAYS, graduation_days

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

SESSION_STEP = "session.step"
CONSENT_STEP = "consent.step"
FOLLOWUP = "pulse.followup"
FOLLOWUP_DAYS = 30  # the senior's "one thing I will try" comes back a month later
ALL_STEPS = ("topic", "prep", "ask", "nudge", "lapse")
AFTER_MOVE = ("ask", "nudge", "lapse")  # a moved session already had its prompts
# A prep that would come with the intro or the previous session's did-you-meet comes just
# after it, so it is read in that order.
PREP_AFTER = timedelta(minutes=1)


def _tz(ctx: Context, person: Person) -> ZoneInfo:
    return zone(person.timezone, ctx.config.programme.timezone)


# --- planning -----------------------------------------------------------------------------


async def start_pair(
    ctx: Context, pair: Pair, mentor: Person, mentee: Person, intro_at: datetime
) -> list[Session]:
    """Create the pair's sessions (session k due k × cadence after the intro) and plan them."""
    programme = ctx.config.programme
    first_day = local_today(intro_at, _tz(ctx, mentee))
    dates = [
        next_working_day(first_day + timedelta(days=k * programme.cadence_days), programme)
        for k in range(1, programme.sessions + 1)
    ]
    sessions = await ctx.sessions.create_sessions(pair.id, dates)
    for session in sessions:
        await plan_session(ctx, pair, session, mentor, mentee, ALL_STEPS, not_before=intro_at)
    return sessions


def first_session_date(ctx: Context, mentee: Person, intro_at: datetime) -> date:
    """When session 1 will be due for an intro sent at `intro_at` (for the intro's text)."""
    programme = ctx.config.programme
    first_day = local_today(intro_at, _tz(ctx, mentee))
    return next_working_day(first_day + timedelta(days=programme.cadence_days), programme)


async def plan_session(
    ctx: Context,
    pair: Pair,
    session: Session,
    mentor: Person,
    mentee: Person,
    steps: Sequence[str],
    *,
    not_before: datetime,
) -> None:
    """Queue a session's steps (and the pair's check-in / closing when it is that session)."""
    programme = ctx.config.programme
    due = session.due_date
    pair_tz, mentor_tz = _tz(ctx, mentee), _tz(ctx, mentor)
    remind = timedelta(days=programme.remind_after_days)
    when = {
        "topic": slot_before(due - timedelta(days=programme.prompt_lead_days), pair_tz, programme),
        "prep": slot_before(due - timedelta(days=programme.prep_lead_days), mentor_tz, programme),
        "ask": slot_on(due, pair_tz, programme),
        "nudge": slot_on(due + remind, pair_tz, programme),
        "lapse": slot_on(due + 2 * remind, pair_tz, programme),
    }
    # The junior's prep never comes before the intro or before the previous session is due:
    # otherwise a short cadence sends several sessions' prep at once, or prep before "hello".
    prep_after = not_before
    if session.number > 1:
        previous = await ctx.sessions.get_session(pair.id, session.number - 1)
        if previous is not None:
            prep_after = max(prep_after, slot_on(previous.due_date, pair_tz, programme))
    if when["prep"] <= prep_after:
        when["prep"] = prep_after + PREP_AFTER
    if when["topic"] <= when["prep"]:
        when["topic"] = when["prep"] + PREP_AFTER  # the junior's pick comes first
    chosen = list(steps)
    middle = math.ceil(programme.sessions / 2)
    if session.number == middle and programme.sessions >= 3:
        when["checkin"] = slot_on(due + timedelta(days=2), pair_tz, programme)
        chosen.append("checkin")
    if session.number == programme.sessions:
        when["closing"] = slot_on(due + timedelta(days=CLOSING_DAYS), pair_tz, programme)
        when["graduate"] = slot_on(
            due + timedelta(days=graduation_days(programme.remind_after_days)), pair_tz, programme
        )
        chosen += ["closing", "graduate"]
    for step in chosen:
        await ctx.queue.schedule(
            SESSION_STEP,
            {"pair": pair.id, "session": session.number, "step": step, "due": due.isoformat()},
            max(when[step], not_before),
            f"{step}:{pair.id}:{session.number}:{due.isoformat()}",
        )


def consent_key(pair: Pair, person_id: int, base: str = "consent") -> str:
    """The key of a partner's consent preview (`base` "consent") or of its reminder steps:
    the senior's keep the keys they had before the junior was asked too."""
    return f"{base}:{pair.id}" + (":mentor" if person_id == pair.mentor_id else "")


async def plan_consent_reminder(ctx: Context, pair: Pair, person: Person, now: datetime) -> None:
    """No answer to this partner's consent preview after N days: remind them once, then tell
    the admins."""
    days = ctx.config.programme.consent_reminder_days
    tz = _tz(ctx, person)
    await ctx.queue.schedule(
        CONSENT_STEP,
        {"pair": pair.id, "step": "remind", "person": person.id},
        slot_on(local_today(now, tz) + timedelta(days=days), tz, ctx.config.programme),
        consent_key(pair, person.id, "consent-remind"),
    )


# --- running the steps --------------------------------------------------------------------


async def session_step(ctx: Context, work: DueWork, now: datetime) -> list[OutgoingMessage]:
    """Run one planned step, unless the pair, the session or its date changed meanwhile."""
    payload = work.payload
    pair = await ctx.pairs.get_pair(int(payload["pair"]))
    if pair is None or pair.status is not PairStatus.ACTIVE:
        return []
    session = await ctx.sessions.get_session(pair.id, int(payload["session"]))
    if session is None or session.due_date.isoformat() != payload["due"]:
        return []  # moved: the steps for the new date were planned under their own keys
    people = await partners(ctx, pair)
    if people is None:
        return []
    mentor, mentee = people
    if not (mentor.status.enrolled and mentee.status.enrolled):
        return []  # someone left: their departure ended the pair, or is about to
    if any(p.status is Status.PAUSED for p in people):
        return []  # resuming shifts the sessions and plans them again
    key = f"{work.idempotency_key}:message"
    step = str(payload["step"])
    config = ctx.config
    if step in ("topic", "prep") and session.status.pending:
        if step == "topic":
            found = await session_topics.session_topic(
                ctx, pair, mentor, mentee, session.number, now
            )
            if found is not None:
                prompt, picked = found
                return [
                    pm.topic_prompt(
                        ToPair(pair.id),
                        pair,
                        session,
                        prompt,
                        mentor,
                        mentee,
                        config,
                        picked=picked,
                        key=key,
                    )
                ]
        else:
            options = await session_topics.topic_options(ctx, pair, mentor, mentee, session.number)
            if options:
                shared_on = session_topics.topic_day(ctx, session.due_date, mentee)
                to = ToPerson(mentor.id)
                return [
                    pm.topic_choice(
                        to, pair, session, mentee, options, config, shared_on=shared_on, key=key
                    )
                ]
    elif step == "ask" and session.status.pending:
        today = local_today(now, _tz(ctx, mentee))  # the zone the steps are planned in
        return [pm.did_you_meet(ToPair(pair.id), pair, session, config, key=key, today=today)]
    elif step == "nudge" and session.status.pending:
        return [pm.nudge(ToPair(pair.id), pair, session, config, key=key)]
    elif step == "lapse":
        if session.status.pending:
            await ctx.sessions.report_session(
                pair.id, session.number, status=SessionStatus.MISSED, by=None, at=now
            )
        return await escalation(ctx, pair, mentor, mentee)
    elif step in ("checkin", "closing"):
        for person, partner in ((mentor, mentee), (mentee, mentor)):
            to, person_key = ToPerson(person.id), f"{key}:{person.id}"
            message = (
                surveys.checkin(to, pair, partner, config, key=person_key)
                if step == "checkin"
                else surveys.closing(to, pair, person, partner, config, key=person_key)
            )
            # Private, so each at their own delivery hour rather than the mentee's.
            await ctx.outbox.for_person(person, message)
    elif step == "graduate":
        return await graduate(ctx, pair, mentor, mentee, now, key=key)
    return []


async def graduate(
    ctx: Context, pair: Pair, mentor: Person, mentee: Person, now: datetime, *, key: str
) -> list[OutgoingMessage]:
    """End the pair (kept in history, so never matched again) and congratulate them."""
    sessions = await ctx.sessions.sessions_of(pair.id)
    held = sum(1 for s in sessions if s.status is SessionStatus.MET)
    await ctx.pairs.set_pair_status(pair.id, PairStatus.ENDED, at=now)
    await ctx.audit.record("mentorbot", "graduate", f"pair {pair.id}: {held} held", at=now)
    message = pm.graduation(ToPair(pair.id), mentor, mentee, held, ctx.config, key=key)
    return [replace(message, premise=pair_exists(pair.id))]


async def escalation(
    ctx: Context, pair: Pair, mentor: Person, mentee: Person
) -> list[OutgoingMessage]:
    """Tell the admins when a pair has not held `escalate_after_missed` sessions (or more),
    counting those they said they couldn't hold and those nobody reported alike."""
    missed = [
        s for s in await ctx.sessions.sessions_of(pair.id) if s.status is SessionStatus.MISSED
    ]
    if len(missed) < ctx.config.programme.escalate_after_missed:
        return []
    answers = await ctx.answers.survey_answers(pair.id)
    details = "; ".join(f"Session {s.number} — {surveys.missed_detail(s, answers)}" for s in missed)
    # Both partners named alike (alphabetically, no roles): nobody is singled out.
    names = " and ".join(sorted((mentor.display_name, mentee.display_name), key=str.casefold))
    text = (
        f"{names} have not held {len(missed)} of their sessions: {details}. "
        "A friendly word to both may help."
    )
    return await notify_admins(
        ctx,
        text,
        key=f"escalate:{pair.id}:{len(missed)}",
        exclude={mentor.id, mentee.id},
        premise=pair_active(pair.id),
    )


async def notify_admins(
    ctx: Context,
    text: str,
    *,
    key: str,
    exclude: Collection[int],
    premise: Premise | None = None,
) -> list[OutgoingMessage]:
    """One notice per member of the programme team (`conversations.safety.team.recipients_for`:
    the concern contacts who can read, else the admins who can), never to anyone in `exclude`
    — the pair the notice is about: a senior who is also an admin is not told about his own
    pairing.

    `premise`: the condition that triggered the notice, so a notice that waits in the queue
    is not sent once it has stopped being true (the pair ended, the senior answered…).
    """
    notices = []
    for member in await recipients_for(ctx, exclude):
        notice = pm.admin_notice(ToPerson(member.id), text, key=f"{key}:{member.id}")
        notices.append(replace(notice, premise=premise))
    return notices


async def consent_step(ctx: Context, work: DueWork, now: datetime) -> list[OutgoingMessage]:
    """Remind a partner once about their unanswered consent preview; later, tell the admins.
    Only whoever has not answered: a partner who said yes is not reminded."""
    pair = await ctx.pairs.get_pair(int(work.payload["pair"]))
    if pair is None or pair.status is not PairStatus.PROPOSED:
        return []
    people = await partners(ctx, pair)
    if people is None:
        return []
    mentor, mentee = people
    # Steps planned before both partners were asked name nobody: they were the senior's.
    person = mentor if work.payload.get("person") == mentor.id else mentee
    if pair.accepted(person.id):
        return []
    other = mentee if person is mentor else mentor
    key = f"{work.idempotency_key}:message"
    if work.payload["step"] == "remind":
        days = ctx.config.programme.consent_reminder_days
        tz = _tz(ctx, person)
        # The reminder was planned from the moment the preview was queued, but the preview
        # itself may have gone out later (after a welcome, or a tick that jumped ahead): a
        # reminder comes only `days` after the preview truly went out, never with it.
        preview = consent_key(pair, person.id)
        sent = await ctx.queue.done_at(preview)
        if sent is None and await ctx.queue.waiting_until(preview) is None:
            return []  # the preview never went out (failed for good): nothing to remind of
        remind_on = local_today(sent or now, tz) + timedelta(days=days)
        if sent is None or remind_on > local_today(now, tz):
            await ctx.queue.schedule(
                CONSENT_STEP,
                {"pair": pair.id, "step": "remind", "person": person.id},
                slot_on(remind_on, tz, ctx.config.programme),
                f"{consent_key(pair, person.id, 'consent-remind')}:{remind_on.isoformat()}",
            )
            return []
        await ctx.queue.schedule(
            CONSENT_STEP,
            {"pair": pair.id, "step": "overdue", "person": person.id},
            slot_on(local_today(now, tz) + timedelta(days=days), tz, ctx.config.programme),
            consent_key(pair, person.id, "consent-overdue"),
        )
        reminder = pm.consent_reminder(ToPerson(person.id), pair, person, other, key=key)
        return [reminder]
    side = "mentor" if person is mentor else "mentee"
    text = (
        f"The proposed pairing of {mentor.display_name} (mentor) and {mentee.display_name} "
        f"(mentee) is still waiting for the {side}'s answer after a reminder. A friendly word "
        "may help, or you can pair them differently (`pair MENTOR with MENTEE`)."
    )
    return await notify_admins(
        ctx, text, key=key, exclude={mentor.id, mentee.id}, premise=pair_proposed(pair.id)
    )


async def followup_step(ctx: Context, work: DueWork, now: datetime) -> list[OutgoingMessage]:
    """A month after a senior's pulse comment: did you try it?"""
    del now
    pair = await ctx.pairs.get_pair(int(work.payload["pair"]))
    person = await ctx.people.get_person(int(work.payload["person"]))
    number = int(work.payload["session"])
    if pair is None or person is None or not person.status.enrolled:
        return []
    answer = await ctx.answers.get_pulse(person.id, pair.id, number)
    if answer is None or not answer.comment:
        return []  # forgotten, or the comment was withdrawn
    key = f"{work.idempotency_key}:message"
    return [surveys.followup(ToPerson(person.id), pair, number, answer.comment, key=key)]
