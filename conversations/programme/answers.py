"""What people answer during the programme: did you meet, what got in the way, the pulse and
its one free-text line, the midpoint check-in, the closing questions, the 30-day follow-up.

Every button names its pair (and session); only a partner of that pair can answer, so a
forged or forwarded button changes nothing. Answers replace the message they came from where
the platform can, so it is clear the answer was taken.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from conversations import texts
from conversations.context import Context, Turn
from conversations.lines import drop_line, expect_line
from conversations.outbox.premise import pair_active
from conversations.outbox.timing import local_today, next_working_day, slot_on, zone
from conversations.programme import session_texts as pm
from conversations.programme import survey_texts as surveys
from conversations.programme.lifecycle import (
    AFTER_MOVE,
    FOLLOWUP,
    FOLLOWUP_DAYS,
    notify_admins,
    plan_session,
)
from conversations.programme.pair_people import tapped_pair
from conversations.safety.concerns import concern_first
from conversations.types import (
    Action,
    Button,
    OutgoingMessage,
    Pair,
    PairStatus,
    PendingInput,
    Person,
    PulseAnswer,
    Session,
    SessionStatus,
    ToPerson,
    actions,
)

COMMENT_WINDOW = timedelta(days=2)
MAX_COMMENT = 1000
PULSE_COMMENT = "pulse.comment"
_STALE = (
    "That button belongs to an earlier message — nothing changed. "
    "Type `status` to see where you are."
)


def _answered(turn: Turn, action: Action, text: str, *buttons: Button) -> OutgoingMessage:
    """The reply to a tap, replacing the tapped message where the platform allows."""
    return replace(texts.reply(turn.reply_to, "answer", text, *buttons), replaces=action.message_id)


def _side(pair: Pair, person: Person) -> str:
    return "mentor" if person.id == pair.mentor_id else "mentee"


async def meeting_answer(ctx: Context, turn: Turn, action: Action) -> list[OutgoingMessage]:
    """We met / We moved it / We couldn't meet — either partner's answer counts for the pair."""
    parts = 3 if action.action_id == actions.MEETING_RESCHEDULED else 2
    found = await tapped_pair(ctx, turn, action.value, parts)
    if found is None or not found[3][0].isdigit():
        return [texts.reply(turn.reply_to, "answer", _STALE)]
    pair, me, partner, rest = found
    number = int(rest[0])
    session = await ctx.sessions.get_session(pair.id, number)
    if session is None or not pair.status.open:
        return [texts.reply(turn.reply_to, "answer", _STALE)]
    label = pm.session_label(number, ctx.config)
    if action.action_id == actions.MEETING_RESCHEDULED:
        if not session.status.pending:
            return [_already(turn, action, label, session.status)]
        days = max(1, min(int(rest[1]) if rest[1].isdigit() else 7, 60))
        tz = zone(pair_tz_name(me, partner, pair), ctx.config.programme.timezone)
        new_due = next_working_day(
            local_today(turn.now, tz) + timedelta(days=days), ctx.config.programme
        )
        moved = await ctx.sessions.move_session(pair.id, number, new_due)
        mentor, mentee = (me, partner) if me.id == pair.mentor_id else (partner, me)
        await plan_session(ctx, pair, moved, mentor, mentee, AFTER_MOVE, not_before=turn.now)
        return [
            _answered(
                turn,
                action,
                f"📅 {label} moved to {texts.fmt_date(new_due)}. I'll check in with you both then.",
            )
        ]
    status = SessionStatus.MET if action.action_id == actions.MEETING_MET else SessionStatus.MISSED
    session, changed = await ctx.sessions.report_session(
        pair.id, number, status=status, by=me.id, at=turn.now
    )
    if not changed:
        return [_already(turn, action, label, session.status)]
    if status is SessionStatus.MISSED:
        return [await _missed(ctx, turn, action, pair, me, partner, number)]
    # The pulse is private: at once to whoever reported, at the partner's next delivery hour.
    await ctx.outbox.queue(
        [
            surveys.pulse(
                ToPerson(me.id),
                pair,
                number,
                partner,
                ctx.config,
                key=f"pulse:{pair.id}:{number}:{me.id}",
            )
        ],
        turn.now,
    )
    await ctx.outbox.for_person(
        partner,
        surveys.pulse(
            ToPerson(partner.id),
            pair,
            number,
            me,
            ctx.config,
            key=f"pulse:{pair.id}:{number}:{partner.id}",
        ),
    )
    return [
        _answered(
            turn,
            action,
            f"✅ {me.first_name} says you met for {label}. Lovely — "
            "I've sent you each a one-tap question, privately.",
        )
    ]


def pair_tz_name(me: Person, partner: Person, pair: Pair) -> str:
    """The pair's clock is the mentee's (one time zone per pair, so both partners get each question
    at once)."""
    return me.timezone if me.id == pair.mentee_id else partner.timezone


def _already(turn: Turn, action: Action, label: str, status: SessionStatus) -> OutgoingMessage:
    said = {SessionStatus.MET: "you met", SessionStatus.MISSED: "you couldn't meet"}
    return _answered(
        turn, action, f"Already noted for {label}: {said.get(status, 'moved')}. Thanks!"
    )


async def _missed(
    ctx: Context, turn: Turn, action: Action, pair: Pair, me: Person, partner: Person, number: int
) -> OutgoingMessage:
    """After "We couldn't meet": the shared reply names nobody; each partner is asked privately
    what got in the way (the reporter at once, the partner at their next delivery hour)."""
    for person, other, queue_now in ((me, partner, True), (partner, me, False)):
        question = surveys.missed_reason(
            ToPerson(person.id),
            pair,
            number,
            other,
            ctx.config,
            key=f"missed-reason:{pair.id}:{number}:{person.id}",
        )
        if queue_now:
            await ctx.outbox.queue([question], turn.now)
        else:
            await ctx.outbox.for_person(person, question)
    return _answered(
        turn, action, surveys.missed_noted(await _next_session(ctx, pair, number), ctx.config)
    )


async def _next_session(ctx: Context, pair: Pair, number: int) -> Session | None:
    """The pair's next session still to come after session `number`, if any."""
    upcoming = [
        s for s in await ctx.sessions.sessions_of(pair.id) if s.status.pending and s.number > number
    ]
    return upcoming[0] if upcoming else None


async def missed_reason(ctx: Context, turn: Turn, action: Action) -> list[OutgoingMessage]:
    """One partner's private reason for a missed session: stored as theirs, never as a side
    that called it off; the escalation to admins shows the reasons without saying whose."""
    found = await tapped_pair(ctx, turn, action.value, 3)
    if found is None or not found[3][0].isdigit() or found[3][1] not in surveys.MISSED_REASONS:
        return [texts.reply(turn.reply_to, "answer", _STALE)]
    pair, me, _, (number_text, reason) = found
    if pair.status is not PairStatus.ACTIVE:
        # The pairing ended (or finished) since the question was asked: nothing to add to it.
        return [
            _answered(
                turn, action, "Thanks — this pairing has ended, so there's nothing more to do."
            )
        ]
    number = int(number_text)
    session = await ctx.sessions.get_session(pair.id, number)
    if session is None or session.status is not SessionStatus.MISSED:
        return [texts.reply(turn.reply_to, "answer", _STALE)]  # forged: it wasn't missed
    await ctx.answers.save_survey_answer(
        me.id, pair.id, f"{surveys.MISSED_QUESTION}{number}", reason, _side(pair, me), at=turn.now
    )
    return [_answered(turn, action, "Thanks — noted. 🙏")]


async def cancelled_by(ctx: Context, turn: Turn, action: Action) -> list[OutgoingMessage]:
    """An old "who had to call it off?" button still in someone's chat: it records nothing
    (no side is ever stored) and replaces the question with a kind word."""
    if await tapped_pair(ctx, turn, action.value, 3) is None:
        return [texts.reply(turn.reply_to, "answer", _STALE)]
    return [
        _answered(
            turn, action, "Thanks — no need to say who; it happens to everyone. Nothing to do."
        )
    ]


async def pulse_rate(ctx: Context, turn: Turn, action: Action) -> list[OutgoingMessage]:
    """A 1–5 rating; then the bot waits a little for one typed line."""
    found = await tapped_pair(ctx, turn, action.value, 3)
    if found is None or not found[3][0].isdigit() or found[3][1] not in "12345":
        return [texts.reply(turn.reply_to, "answer", _STALE)]
    pair, me, _, (number_text, rating_text) = found
    number, rating = int(number_text), int(rating_text)
    await ctx.answers.save_pulse(
        PulseAnswer(me.id, pair.id, number, _side(pair, me), rating=rating), at=turn.now
    )
    context = {"pair": pair.id, "session": number}
    if not await expect_line(
        ctx.waiting, me.id, PULSE_COMMENT, context, turn.now + COMMENT_WINDOW, turn.now
    ):
        # A concern is being written: its words must not become this comment.
        lead = f"Thanks — {rating}/5 noted. 🙏"
        return [replace(concern_first(turn.reply_to, "pulse", lead), replaces=action.message_id)]
    return [surveys.rated(turn.reply_to, pair.id, number, rating, replaces=action.message_id)]


async def pulse_skip(ctx: Context, turn: Turn, action: Action) -> list[OutgoingMessage]:
    """No comment this time (a concern being written keeps waiting)."""
    if turn.person is not None:
        await drop_line(ctx.waiting, turn.person.id, PULSE_COMMENT, turn.now)
    return [_answered(turn, action, "No problem — thanks for the rating. 🙏")]


async def typed_answer(
    ctx: Context, turn: Turn, waiting: PendingInput, text: str
) -> list[OutgoingMessage] | None:
    """The pulse's one typed thing, which the bot was waiting for (None: its pair is gone)."""
    person = turn.person
    pair_id, number = int(waiting.context["pair"]), int(waiting.context["session"])
    pair = await ctx.pairs.get_pair(pair_id)
    if person is None or pair is None or waiting.kind != PULSE_COMMENT:
        return None  # the engine answers with `help`
    comment = text.strip()[:MAX_COMMENT]
    await ctx.answers.set_pulse_comment(
        person.id, pair_id, number, comment, consent=False, at=turn.now
    )
    if person.id == pair.mentee_id:
        # The senior's commitment comes back to them in a month: did you try it?
        tz = zone(person.timezone, ctx.config.programme.timezone)
        day = local_today(turn.now, tz) + timedelta(days=FOLLOWUP_DAYS)
        await ctx.queue.schedule(
            FOLLOWUP,
            {"pair": pair_id, "session": number, "person": person.id},
            slot_on(day, tz, ctx.config.programme),
            f"followup:{pair_id}:{number}",
        )
    return [surveys.ask_share(turn.reply_to, pair_id, number)]


async def pulse_share(ctx: Context, turn: Turn, action: Action) -> list[OutgoingMessage]:
    """May the programme team read the comment (anonymously)?"""
    fields = action.value.split(":")
    if (
        len(fields) != 3
        or turn.person is None
        or not fields[0].isdigit()
        or not fields[1].isdigit()
    ):
        return [texts.reply(turn.reply_to, "answer", _STALE)]
    consent = fields[2] == "yes"
    await ctx.answers.set_comment_consent(
        turn.person.id, int(fields[0]), int(fields[1]), consent, at=turn.now
    )
    text = "Shared anonymously — thank you." if consent else "Kept private. Thank you!"
    return [_answered(turn, action, text)]


async def survey_answer(ctx: Context, turn: Turn, action: Action) -> list[OutgoingMessage]:
    """Midpoint check-in, closing questions and the 30-day follow-up."""
    parts = 2 if action.action_id == actions.CHECKIN_ANSWER else 3
    found = await tapped_pair(ctx, turn, action.value, parts)
    if found is None:
        return [texts.reply(turn.reply_to, "answer", _STALE)]
    pair, me, partner, rest = found
    if action.action_id == actions.CHECKIN_ANSWER:
        question, answer = "checkin", rest[0]
    elif action.action_id == actions.FOLLOWUP_TRIED:
        question, answer = f"tried:{rest[0]}", rest[1]
    else:
        question, answer = rest[0], rest[1]
        # Only the questions the closing survey asks, with their answers (the reciprocal
        # one of the senior only): a forged value stores nothing.
        if answer not in surveys.CLOSING_QUESTIONS.get(question, ()) or (
            question == "reciprocal" and me.id != pair.mentee_id
        ):
            return [texts.reply(turn.reply_to, "answer", _STALE)]
    await ctx.answers.save_survey_answer(
        me.id, pair.id, question[:32], answer[:32], _side(pair, me), at=turn.now
    )
    # The check-in and the closing carry more than one question (and the ways out: a concern,
    # ending the pairing), so an answer is a reply below them rather than replacing them: on
    # Slack and Teams a replaced message would take the unanswered questions' buttons with it.
    several = action.action_id in (actions.CHECKIN_ANSWER, actions.CLOSING_ANSWER)

    def answered(text: str) -> OutgoingMessage:
        if several:
            return texts.reply(turn.reply_to, "answer", text)
        return _answered(turn, action, text)

    if question == "checkin" and answer == "stuck":
        mentor, mentee = (me, partner) if me.id == pair.mentor_id else (partner, me)
        text = (
            f"At the midpoint, the pair of {mentor.display_name} (mentor) and "
            f"{mentee.display_name} (mentee) says it's stuck. A short chat may help."
        )
        notices = await notify_admins(
            ctx,
            text,
            key=f"stuck:{pair.id}",
            exclude={me.id, partner.id},
            premise=pair_active(pair.id),
        )
        await ctx.outbox.queue(notices, turn.now)
        told = (
            "I've told the programme team privately (nothing goes to "
            f"{partner.first_name}); they'll be in touch."
            if notices
            else "Nobody on the programme team can receive messages from me right now — if "
            "you'd like help, type `concern` and I'll keep it safely for them."
        )
        return [answered(f"Thanks for being honest. {told}")]
    thanks = {
        "tried": "Brilliant — that's what this is for. 🎉"
        if answer == "yes"
        else "Thanks for telling me. Small steps count.",
        "open": "Thank you — noted. 🙏"
        if answer != "no"
        else "Thank you for being honest — it helps us make this safer. If you'd like to tell "
        "the programme team more, privately, type `concern`.",
    }
    return [answered(thanks.get(question.split(":")[0], "Thank you — noted. 🙏"))]
