"""The whole enrolment form in one answer (a Slack modal, a Teams card): role, topics to teach,
topics to learn, time zone. Validated like the typed `profile` commands, all or nothing."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from conversations import texts
from conversations.context import Context, Turn
from conversations.enrolment import enrolment_texts
from conversations.enrolment.self_service import known_person, profile_change
from conversations.pairing.disclosure import WHAT_PARTNERS_SEE
from conversations.types import Action, OutgoingMessage, Status, Text

FIELDS = ("role", "teaches", "learns", "timezone")


def read_form(value: str) -> tuple[list[str], dict[str, Any]]:
    """The problems in a submitted form (each says what to fix) and the profile changes."""
    try:
        data = json.loads(value or "{}")
    except ValueError:
        return ["The form came back unreadable. Please open it again with `join`."], {}
    if not isinstance(data, dict):
        return ["The form came back unreadable. Please open it again with `join`."], {}
    problems: list[str] = []
    changes: dict[str, Any] = {}
    for field in FIELDS:
        raw = data.get(field)
        if raw in (None, "", []):
            continue
        if isinstance(raw, list) and field in ("teaches", "learns"):
            text = ";".join(str(item) for item in raw)
        elif isinstance(raw, str):
            text = raw
        else:
            problems.append(f"{field}: expected text, got {type(raw).__name__}.")
            continue
        problem, change = profile_change(field, text.strip())
        if problem:
            problems.append(problem)
        changes.update(change)
    return problems, changes


async def enrol_form(ctx: Context, turn: Turn, action: Action) -> list[OutgoingMessage]:
    """Save the form; enrol the person when they were not taking part yet."""
    person = known_person(turn)
    problems, changes = read_form(action.value)
    if problems:
        text = "I couldn't save that:\n" + "\n".join(f"• {p}" for p in problems)
        return [texts.reply(turn.reply_to, "join", text)]
    if changes:
        person = await ctx.people.update_profile(person.id, **changes)
    default_tz = ctx.config.programme.timezone
    if person.status.enrolled:
        reply = texts.compose(
            turn.reply_to,
            "profile",
            Text("Saved. Your profile now:"),
            enrolment_texts.profile_facts(person, default_tz),
            Text(WHAT_PARTNERS_SEE),
            private=True,
        )
    else:
        person = await ctx.people.set_status(person.id, Status.ENROLLED, at=turn.now)
        reply = enrolment_texts.welcome(turn.reply_to, person, ctx.config, key="")
    return [replace(reply, replaces=action.message_id)]
