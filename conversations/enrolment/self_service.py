"""Enrolment and self-service: join, leave, profile, status, forget me (pausing:
`conversations.enrolment.pauses`).

Handlers take the ctx, the turn and the parsed command, and return the replies. They are
registered in the tables at the bottom, which the engine dispatches on.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from conversations import grammar as cmd
from conversations import texts
from conversations.admin import tools as admin
from conversations.config import check_timezone
from conversations.context import Context, Turn
from conversations.enrolment import departures, enrolment_texts
from conversations.enrolment.home import concern_button, pair_blocks
from conversations.outbox.timing import local_today, zone
from conversations.pairing.disclosure import WHAT_PARTNERS_SEE
from conversations.types import (
    Action,
    Block,
    Button,
    Buttons,
    OutgoingMessage,
    Person,
    Role,
    Status,
    Text,
    actions,
)

MAX_TOPICS = 10
MAX_TOPIC_LENGTH = 60


async def join(ctx: Context, turn: Turn, command: cmd.Join) -> list[OutgoingMessage]:
    """Enrol the person, asking which side they want when they did not say."""
    person = known_person(turn)
    if person.status.enrolled:
        return [
            texts.reply(
                turn.reply_to,
                "join",
                "You're already in the programme. 🙌 "
                + enrolment_texts.status_text(
                    person, local_today(turn.now, person_zone(ctx, person))
                ),
            )
        ]
    if command.role is None:
        return [
            texts.compose(
                turn.reply_to,
                "join.role",
                Text("Great to have you! Which side would you like to be on?"),
                Text(WHAT_PARTNERS_SEE),
                Buttons(enrolment_texts.ROLE_BUTTONS),
                private=True,
            )
        ]
    return await _enrol(ctx, turn, person, command.role)


async def _enrol(
    ctx: Context, turn: Turn, person: Person, role: Role | None
) -> list[OutgoingMessage]:
    if role is not None and role != person.role:
        person = await ctx.people.update_profile(person.id, role=role)
    person = await ctx.people.set_status(person.id, Status.ENROLLED, at=turn.now)
    return [enrolment_texts.welcome(turn.reply_to, person, ctx.config, key="")]


async def choose_role(ctx: Context, turn: Turn, action: Action) -> list[OutgoingMessage]:
    """The role buttons of `join`."""
    person = known_person(turn)
    try:
        role = Role(action.value)
    except ValueError:
        return [texts.reply(turn.reply_to, "join", "That button has expired. Type `join`.")]
    if person.status.enrolled:
        person = await ctx.people.update_profile(person.id, role=role)
        return [
            texts.reply(
                turn.reply_to, "join", f"Done: you're now {enrolment_texts.ROLE_PHRASES[role]}."
            )
        ]
    return await _enrol(ctx, turn, person, role)


async def leave(ctx: Context, turn: Turn, _: object) -> list[OutgoingMessage]:
    """Leave the programme; one tap brings them back."""
    person = known_person(turn)
    if not person.status.enrolled:
        return [
            texts.reply(
                turn.reply_to,
                "leave",
                "You're not in the programme, so there's "
                "nothing to leave. Type `join` whenever you like.",
            )
        ]
    await ctx.people.set_status(person.id, Status.LEFT, at=turn.now)
    await departures.end_pairs_of(ctx, person, turn.now)
    return [
        texts.reply(
            turn.reply_to,
            "leave",
            "You've left the programme. Thank you for taking part — "
            "I won't send you anything more.",
            Button("Changed my mind: rejoin", actions.ENROL_REJOIN),
        )
    ]


async def leave_button(ctx: Context, turn: Turn, _: Action) -> list[OutgoingMessage]:
    """The one-tap leave button on the welcome message."""
    return await leave(ctx, turn, None)


async def rejoin(ctx: Context, turn: Turn, _: Action) -> list[OutgoingMessage]:
    """The rejoin button after leaving."""
    return await join(ctx, turn, cmd.Join(role=known_person(turn).role))


async def profile(ctx: Context, turn: Turn, command: cmd.Profile) -> list[OutgoingMessage]:
    """Show the profile, or change one field of it."""
    person = known_person(turn)
    default_tz = ctx.config.programme.timezone
    if command.field is None:
        return [
            texts.compose(
                turn.reply_to,
                "profile",
                Text("Your profile:"),
                enrolment_texts.profile_facts(person, default_tz),
                Text("Change a field with e.g. `profile learns GenAI tools; Accessibility`."),
                private=True,
            )
        ]
    problem, changes = profile_change(command.field, command.value)
    if problem:
        return [texts.reply(turn.reply_to, "profile", problem)]
    person = await ctx.people.update_profile(person.id, **changes)
    return [
        texts.compose(
            turn.reply_to,
            "profile",
            Text("Saved. Your profile now:"),
            enrolment_texts.profile_facts(person, default_tz),
            private=True,
        )
    ]


def profile_change(field: str, value: str) -> tuple[str, dict[str, Any]]:
    """Validate one profile field given as text: (problem to tell the person, or '', changes)."""
    if field == "role":
        try:
            return "", {"role": Role(value.casefold())}
        except ValueError:
            return "Your role can be `mentor` (junior), `mentee` (senior) or `either`.", {}
    if field == "timezone":
        try:
            return "", {"timezone": check_timezone(value)}
        except ValueError as error:
            return f"Time zone {error}.", {}
    topics = [t.strip() for t in re.split(r"[;,]", value) if t.strip()]
    if len(topics) > MAX_TOPICS or any(len(t) > MAX_TOPIC_LENGTH for t in topics):
        return (
            f"Up to {MAX_TOPICS} topics of at most {MAX_TOPIC_LENGTH} characters, separated by `;`."
        ), {}
    return "", {field: tuple(dict.fromkeys(topics))}


async def status(ctx: Context, turn: Turn, _: object) -> list[OutgoingMessage]:
    """Where the person stands."""
    person = known_person(turn)
    today = local_today(turn.now, person_zone(ctx, person))
    text = enrolment_texts.status_text(person, today)
    buttons: list[Button] = []
    if person.status is Status.PAUSED:
        buttons.append(Button("Resume now", actions.ENROL_RESUME, "", "primary"))
    elif not person.status.enrolled:
        buttons.append(Button("Join the programme", actions.HELP_COMMAND, "join", "primary"))
    if person.status.enrolled:
        buttons.append(concern_button())  # Teams and the console have no Home tab
    # Every pair the person may see (someone may mentor several), each with its own buttons.
    pairs = await pair_blocks(ctx, person)
    if pairs:  # "I'll let you know when you have a partner" would be wrong
        text = enrolment_texts.status_text(person, today, paired=True)
    blocks: list[Block] = [Text(text), *pairs]
    if buttons:
        blocks.append(Buttons(tuple(buttons)))
    return [texts.compose(turn.reply_to, "status", *blocks, private=True)]


# Erasing reaches the database only: an admin's email listed in app.yaml stays there, and
# whoever next signs in with it is an admin again. The reply is queued (and kept) like any
# message, so it must not repeat the email it has just erased.
STILL_AN_ADMIN = (
    "{whose} email is still listed under `admins` in app.yaml: remove it there too (the "
    "configuration file is not the database) and restart the bot."
)


async def forget_me(ctx: Context, turn: Turn, _: object) -> list[OutgoingMessage]:
    """Ask for confirmation before erasing anything."""
    return [
        texts.reply(
            turn.reply_to,
            "forget",
            "This erases your name, email, profile, platform accounts and comments, takes you "
            "out of the programme and cancels messages about you that haven't gone out. "
            "Anonymous counts stay. It can't be undone.",
            Button("Yes, erase my data", actions.PRIVACY_FORGET, "confirm", "danger"),
            Button("Keep my data", actions.PRIVACY_FORGET, "cancel"),
        )
    ]


async def forget_confirmed(ctx: Context, turn: Turn, action: Action) -> list[OutgoingMessage]:
    """The erase button: erase, or keep everything on cancel."""
    if action.value != "confirm":
        return [texts.reply(turn.reply_to, "forget", "Nothing was erased.")]
    person = known_person(turn)
    await erase(ctx, person, turn.now)
    done = "Done: your personal data is erased. Take care! 👋"
    if ctx.config.is_admin(person.email):
        done += " " + STILL_AN_ADMIN.format(whose="Your")
    return [texts.reply(turn.reply_to, "forget", done)]


async def forget_someone(ctx: Context, turn: Turn, command: cmd.Forget) -> list[OutgoingMessage]:
    """Admin `forget EMAIL`: say who and what will be erased, and ask to confirm."""
    target = await admin.find_person(ctx, turn, command.who)
    if isinstance(target, OutgoingMessage):
        return [target]
    return [
        texts.reply(
            turn.reply_to,
            "forget",
            f"This erases {target.display_name} ({target.email}): name, email, profile, "
            "platform accounts and comments, their place in the programme, and messages about "
            "them that haven't gone out. Anonymous counts stay. It can't be undone.",
            Button(
                f"Yes, erase {target.display_name}",
                actions.PRIVACY_FORGET_PERSON,
                f"confirm:{target.id}",
                "danger",
            ),
            Button("Keep their data", actions.PRIVACY_FORGET_PERSON, "cancel"),
        )
    ]


async def forget_someone_confirmed(
    ctx: Context, turn: Turn, action: Action
) -> list[OutgoingMessage]:
    """The erase button of `forget EMAIL`: admins only, checked again at the tap."""
    person = known_person(turn)
    if not turn.is_admin:
        await ctx.audit.record(person.email, "refused", "forget", at=turn.now)
        return [admin.admin_refusal(ctx.config, turn.reply_to)]
    verb, _, target_id = action.value.partition(":")
    if verb != "confirm":
        return [texts.reply(turn.reply_to, "forget", "Nothing was erased.")]
    target = await ctx.people.get_person(int(target_id)) if target_id.isdigit() else None
    if target is None:
        return [texts.reply(turn.reply_to, "forget", "That button has expired.")]
    # Audited before erasing and naming them by email: erasing rewrites that email in the
    # audit log to their pseudonym, so the entry keeps who acted and whom, never the email.
    await admin.audit(ctx, turn, "forget", target.email)
    await erase(ctx, target, turn.now)
    erased = await ctx.people.get_person(target.id)
    pseudonym = erased.email if erased is not None else f"person {target.id}"
    done = f"Done: their personal data is erased. The audit log calls them {pseudonym}."
    if ctx.config.is_admin(target.email):
        done += " " + STILL_AN_ADMIN.format(whose="Their")
    return [texts.reply(turn.reply_to, "forget", done)]


async def privacy(ctx: Context, turn: Turn, _: object) -> list[OutgoingMessage]:
    """`privacy`: what the programme keeps, who sees what, the one exception, and how to
    erase it all; for anyone, in the directory or not."""
    return [enrolment_texts.privacy(turn.reply_to, ctx.config)]


async def erase(ctx: Context, person: Person, now: datetime) -> None:
    """Forget a person: end their pairs (the partner is told without being given their name),
    then erase them everywhere, cancelling messages about them that have not gone out."""
    if person.status.enrolled:
        await departures.end_pairs_of(ctx, person, now, forgotten=True)
    await ctx.people.forget(person.id, at=now)


def known_person(turn: Turn) -> Person:
    """The person of a turn, for handlers the engine only calls for known people."""
    # The engine answers unknown people before dispatching, so a handler always has a person.
    assert turn.person is not None
    return turn.person


def person_zone(ctx: Context, person: Person) -> Any:
    """The person's time zone (the programme's when they set none)."""
    return zone(person.timezone, ctx.config.programme.timezone)
