"""Taking a break: `pause [until DATE]`, `resume`, and the pause that ends by itself; admins
pause or resume someone else by naming them."""

from __future__ import annotations

from datetime import datetime

from conversations import grammar as cmd
from conversations import texts
from conversations.admin import tools as admin
from conversations.context import Context, Turn
from conversations.enrolment import departures
from conversations.enrolment.self_service import known_person, person_zone
from conversations.outbox.timing import local_today, slot_on
from conversations.ports import DueWork
from conversations.types import (
    Action,
    Button,
    OutgoingMessage,
    Person,
    Status,
    Text,
    ToPerson,
    actions,
)

PAUSE_END = "pause.end"


async def pause(ctx: Context, turn: Turn, command: cmd.Pause) -> list[OutgoingMessage]:
    """Pause oneself, or (admins) someone else, until a date or until `resume`."""
    target = await _target(ctx, turn, command.who)
    if isinstance(target, OutgoingMessage):
        return [target]
    tz = person_zone(ctx, target)
    today = local_today(turn.now, tz)
    if command.until is not None and command.until <= today:
        return [
            texts.reply(
                turn.reply_to,
                "pause",
                f"{texts.fmt_date(command.until)} has already come. "
                "Pick a date in the future, like `pause until "
                f"{today.replace(year=today.year + 1).isoformat()}`.",
            )
        ]
    if not target.status.enrolled:
        return [
            texts.reply(
                turn.reply_to,
                "pause",
                f"{_who(target, turn)} not in the programme, so there's nothing to pause.",
            )
        ]
    paused = await ctx.people.set_status(
        target.id, Status.PAUSED, paused_until=command.until, at=turn.now
    )
    if target.status is not Status.PAUSED:  # a new pause, not a change of its end date
        await departures.paused(ctx, paused, turn.now)
    if command.until is not None:
        await ctx.queue.schedule(
            PAUSE_END,
            {"person_id": target.id, "until": command.until.isoformat()},
            slot_on(command.until, tz, ctx.config.programme),
            f"{PAUSE_END}:{target.id}:{command.until.isoformat()}",
        )
    until = f"until {texts.fmt_date(command.until)}" if command.until else "until you resume"
    if command.who is not None:
        await admin.audit(ctx, turn, "pause", f"{target.email} {until}")
        return [texts.reply(turn.reply_to, "pause", f"Paused {target.display_name} {until}.")]
    return [
        texts.reply(
            turn.reply_to,
            "pause",
            f"Paused {until}. Enjoy the break — I'll keep quiet and pick up where you left off.",
            Button("Resume now", actions.ENROL_RESUME),
        )
    ]


async def resume(ctx: Context, turn: Turn, command: cmd.Resume) -> list[OutgoingMessage]:
    """End a pause early."""
    target = await _target(ctx, turn, command.who)
    if isinstance(target, OutgoingMessage):
        return [target]
    if target.status is not Status.PAUSED:
        return [texts.reply(turn.reply_to, "resume", f"{_who(target, turn)} not paused.")]
    await ctx.people.set_status(target.id, Status.ENROLLED, at=turn.now)
    await departures.resumed(ctx, target, turn.now)
    if command.who is not None:
        await admin.audit(ctx, turn, "resume", target.email)
        return [texts.reply(turn.reply_to, "resume", f"{target.display_name} is back in.")]
    return [texts.reply(turn.reply_to, "resume", "Welcome back! You're active again.")]


async def resume_button(ctx: Context, turn: Turn, _: Action) -> list[OutgoingMessage]:
    """The 'Resume now' button."""
    return await resume(ctx, turn, cmd.Resume())


async def pause_ended(ctx: Context, work: DueWork, now: datetime) -> list[OutgoingMessage]:
    """A dated pause has run out: resume the person and tell them (unless things changed)."""
    person = await ctx.people.get_person(int(work.payload["person_id"]))
    if (
        person is None
        or person.status is not Status.PAUSED
        or person.paused_until is None
        or person.paused_until.isoformat() != work.payload["until"]
    ):
        return []  # resumed early, re-paused to another date, or forgotten
    await ctx.people.set_status(person.id, Status.ENROLLED, at=now)
    await departures.resumed(ctx, person, now)
    return [
        texts.compose(
            ToPerson(person.id),
            "pause.ended",
            Text(f"Welcome back, {person.first_name}! Your pause is over and you're active again."),
            key=f"{work.idempotency_key}:message",
        )
    ]


def _who(person: Person, turn: Turn) -> str:
    return "You're" if turn.person and person.id == turn.person.id else f"{person.display_name} is"


async def _target(ctx: Context, turn: Turn, who: cmd.PersonRef | None) -> Person | OutgoingMessage:
    """The person a pause/resume is about: oneself, or (admins) someone named."""
    if who is None:
        return known_person(turn)
    found = await admin.find_person(ctx, turn, who)
    return found
