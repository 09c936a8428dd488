"""Slack payloads → neutral events, as a dispatch table (opsdroid's `create_events` style).

Each translator takes the payload exactly as Slack sends it (the Events API JSON, a slash
command's form fields, an interactivity `payload`) and returns an `Inbound`: the neutral event
for the engine plus what the adapter needs to answer (response_url, trigger_id, whether the
clicked message was ephemeral) and a key to de-duplicate retries. Translators are pure, so they
are tested on captured payloads without a server.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from adapters.slack import modal
from adapters.slack.platform import PLATFORM
from adapters.slack.render import LINK_ACTION, neutral_action_id
from conversations.types import (
    Action,
    Address,
    Command,
    Event,
    IncomingMessage,
    MemberJoined,
    UserRef,
    actions,
)

log = logging.getLogger(__name__)

OPEN_ENROL_MODAL = "open_enrol_modal"
PUBLISH_HOME = "publish_home"
JOIN = "join"


@dataclass(frozen=True)
class Inbound:
    """One Slack request, translated.

    `event` is for the engine (None when the adapter acts alone, e.g. publishing the Home tab).
    `special` names an adapter-side action (`OPEN_ENROL_MODAL`, `PUBLISH_HOME`).
    """

    user: UserRef
    event: Event | None = None
    dedupe_key: str = ""
    special: str = ""
    via: str = ""  # "dm" | "command" | "action" | "view" | "home"
    dm_channel: str = ""  # the user's DM with the bot, when this request shows it
    response_url: str = ""
    trigger_id: str = ""
    clicked_ephemeral: bool = False  # the button sat on an ephemeral message
    errors: dict[str, str] = field(default_factory=dict)  # modal field errors to show


Translator = Callable[[Mapping[str, Any], datetime], Inbound | None]


def unescape(text: str) -> str:
    """Slack escapes &, < and > in message and command text; the engine reads plain text."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def kind_of(body: Mapping[str, Any]) -> str:
    """The dispatch key of a payload: `command`, `event:<type>`, or an interactivity type."""
    if "command" in body:
        return "command"
    if body.get("type") == "event_callback":
        event = body.get("event")
        # Hostile or broken bodies carry anything here; only a mapping has a type to read.
        return f"event:{event.get('type', '') if isinstance(event, Mapping) else ''}"
    return str(body.get("type", ""))


def _team(body: Mapping[str, Any]) -> str:
    team = body.get("team")
    if isinstance(team, Mapping):
        return str(team.get("id", ""))
    return str(body.get("team_id") or "")


def _dm(channel: str) -> str:
    # D… ids are direct messages; the only DMs that reach the bot are its own.
    return channel if channel.startswith("D") else ""


def message_im(body: Mapping[str, Any], now: datetime) -> Inbound | None:
    """`message.im`: someone wrote in their DM with the bot."""
    event = body["event"]
    if event.get("subtype") or event.get("bot_id") or event.get("channel_type") != "im":
        return None  # edits, deletions, joins and bots' own posts are not commands
    team = _team(body) or str(event.get("team", ""))
    user = UserRef(PLATFORM, team, str(event["user"]))
    channel = str(event["channel"])
    thread = event.get("thread_ts")
    address = Address(PLATFORM, team, channel, str(thread) if thread else None)
    text = unescape(str(event.get("text", "")))
    return Inbound(
        user=user,
        event=IncomingMessage(user, address, text, now),
        dedupe_key=f"event:{body.get('event_id', '')}" if body.get("event_id") else "",
        via="dm",
        dm_channel=_dm(channel),
    )


def app_home_opened(body: Mapping[str, Any], now: datetime) -> Inbound | None:
    """`app_home_opened`: the Home tab is drawn; the Messages tab greets a newcomer once."""
    event = body["event"]
    team = _team(body)
    user = UserRef(PLATFORM, team, str(event["user"]))
    channel = str(event.get("channel", ""))
    if event.get("tab") == "messages":
        return Inbound(
            user=user,
            event=MemberJoined(user, Address(PLATFORM, team, channel or user.user_id)),
            # Once per person ever, not once per visit: Slack sends this on every open.
            dedupe_key=f"welcome:{team}:{user.user_id}",
            via="dm",
            dm_channel=_dm(channel),
        )
    return Inbound(user=user, special=PUBLISH_HOME, via="home", dm_channel=_dm(channel))


def slash_command(body: Mapping[str, Any], now: datetime) -> Inbound | None:
    """`/mentoring …`: the first word is the command, the rest its arguments."""
    team = _team(body)
    user = UserRef(PLATFORM, team, str(body["user_id"]))
    channel = str(body.get("channel_id", ""))
    words = unescape(str(body.get("text", ""))).strip().split(None, 1)
    name = words[0].casefold() if words else "help"
    args = words[1] if len(words) > 1 else ""
    address = Address(PLATFORM, team, channel or user.user_id)
    trigger = str(body.get("trigger_id", ""))
    return Inbound(
        user=user,
        event=Command(user, address, name, args, now),
        dedupe_key=f"command:{trigger}" if trigger else "",
        special=OPEN_ENROL_MODAL if name == JOIN and not args.strip() else "",
        via="command",
        dm_channel=_dm(channel),
        response_url=str(body.get("response_url", "")),
        trigger_id=trigger,
    )


def _action_value(action: Mapping[str, Any]) -> str:
    kind = action.get("type")
    if kind == "static_select" or kind == "radio_buttons":
        return str((action.get("selected_option") or {}).get("value", ""))
    if kind == "multi_static_select":
        return json.dumps([o.get("value", "") for o in action.get("selected_options") or []])
    return str(action.get("value", ""))


def block_actions(body: Mapping[str, Any], now: datetime) -> Inbound | None:
    """A button press or a select on one of our messages (or the Home tab)."""
    pressed = (body.get("actions") or [None])[0]
    if not pressed:
        return None
    action_id = neutral_action_id(str(pressed.get("action_id", "")))
    if action_id == LINK_ACTION or pressed.get("url"):
        return None  # a link button: Slack opened the URL, nothing to do
    person = body.get("user") or {}
    team = str(person.get("team_id") or _team(body))
    user = UserRef(PLATFORM, team, str(person["id"]))
    container = body.get("container") or {}
    channel = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
    # A click on the Home tab has no channel: answer in the person's DM with the bot.
    address = Address(PLATFORM, team, channel or user.user_id)
    message_ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    value = _action_value(pressed)
    trigger = str(body.get("trigger_id", ""))
    wants_form = action_id == actions.HELP_COMMAND and value.strip() == JOIN
    return Inbound(
        user=user,
        event=Action(user, address, action_id, value, now, str(message_ts) if message_ts else None),
        dedupe_key=f"action:{trigger}" if trigger else "",
        special=OPEN_ENROL_MODAL if wants_form else "",
        via="action",
        dm_channel=_dm(channel),
        response_url=str(body.get("response_url", "")),
        trigger_id=trigger,
        clicked_ephemeral=bool(container.get("is_ephemeral")),
    )


def view_submission(body: Mapping[str, Any], now: datetime) -> Inbound | None:
    """The enrolment modal was submitted: one `enrol.form` action with the form as JSON."""
    view = body.get("view") or {}
    if view.get("callback_id") != modal.CALLBACK_ID:
        return None
    person = body.get("user") or {}
    team = str(person.get("team_id") or _team(body))
    user = UserRef(PLATFORM, team, str(person["id"]))
    form, errors = modal.read_submission((view.get("state") or {}).get("values") or {})
    try:
        origin = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        origin = {}
    dm = str(origin.get("dm", "")) if isinstance(origin, dict) else ""
    # The answer goes to the person's DM with the bot: a modal has no conversation of its own.
    address = Address(PLATFORM, team, dm or user.user_id)
    trigger = str(body.get("trigger_id", ""))
    key = trigger or f"{view.get('id', '')}:{view.get('hash', '')}"
    return Inbound(
        user=user,
        event=None
        if errors
        else Action(user, address, actions.ENROL_FORM, modal.form_value(form), now),
        dedupe_key=f"view:{key}",
        via="view",
        dm_channel=_dm(dm),
        trigger_id=trigger,
        errors=errors,
    )


TRANSLATORS: dict[str, Translator] = {
    "event:message": message_im,
    "event:app_home_opened": app_home_opened,
    "command": slash_command,
    "block_actions": block_actions,
    "view_submission": view_submission,
}


def translate(body: Mapping[str, Any], now: datetime) -> Inbound | None:
    """The neutral reading of one payload, or None when it is nothing the bot acts on."""
    translator = TRANSLATORS.get(kind_of(body))
    if translator is None:
        log.debug("no translator for Slack payload %r", kind_of(body))
        return None
    try:
        return translator(body, now)
    except (KeyError, TypeError, AttributeError) as error:
        # A payload missing what Slack documents: log it, never crash the listener.
        log.warning("unreadable Slack %s payload: %r", kind_of(body), error)
        return None
