"""Bot Framework activity JSON → neutral events (a dispatch table, opsdroid-style; no botbuilder).

Works on the raw JSON body rather than botbuilder's `Activity` model because the model drops
`conversation.tenantId` (docs/teams.md, "Who gets in"); the tenant is read from
`channelData.tenant.id` first.
Anything we cannot make sense of becomes `Inbound(event=None, reason=…)`: the caller logs the
reason and answers 200 — a malformed or unknown activity never crashes a turn.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.teams.platform import PLATFORM
from adapters.teams.render import form_value
from conversations.types import (
    Action,
    Address,
    Event,
    IncomingMessage,
    MemberJoined,
    UserRef,
    actions,
)

ADAPTIVE_CARD_ACTION = "adaptiveCard/action"
_MENTION = re.compile(r"<at\b[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
MAX_VALUE = 4000  # a button value or form is a few hundred bytes; more is not from our cards


@dataclass(frozen=True)
class Inbound:
    """What one activity means to the bot.

    `event` is None when there is nothing to hand the engine (the reason says why). `invoke`
    marks activities Teams waits on for an InvokeResponse. `installed` marks install activities:
    their conversation reference is worth storing even when nothing is answered.
    """

    event: Event | None
    user: UserRef | None
    address: Address | None
    personal: bool = False
    invoke: bool = False
    installed: bool = False
    reason: str = ""


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def tenant_of(activity: Mapping[str, Any]) -> str:
    """The Azure AD tenant: `channelData.tenant.id`, else `conversation.tenantId`."""
    return _text(_get(activity, "channelData", "tenant", "id")) or _text(
        _get(activity, "conversation", "tenantId")
    )


def user_of(activity: Mapping[str, Any]) -> UserRef | None:
    """The sender as a UserRef keyed by Azure AD object id (the roster's `teams_id`).

    The Emulator sends no `aadObjectId`; its `from.id` stands in so local testing works.
    """
    sender = _get(activity, "from")
    user_id = _text(_get(sender, "aadObjectId")) or _text(_get(sender, "id"))
    if not user_id:
        return None
    return UserRef(PLATFORM, tenant_of(activity), user_id)


def address_of(activity: Mapping[str, Any]) -> Address | None:
    """The conversation the activity came from."""
    conversation_id = _text(_get(activity, "conversation", "id"))
    if not conversation_id:
        return None
    return Address(PLATFORM, tenant_of(activity), conversation_id)


def is_personal(activity: Mapping[str, Any]) -> bool:
    """True in a 1:1 chat with the bot (or the Emulator, which sends no conversation type)."""
    kind = _get(activity, "conversation", "conversationType")
    return kind in (None, "personal") and not _get(activity, "conversation", "isGroup")


def strip_mentions(text: str) -> str:
    """The typed command without `<at>Mentorbot</at>` mentions or stray HTML tags."""
    text = _MENTION.sub(" ", text)
    text = _TAG.sub(" ", text).replace("&nbsp;", " ")
    return " ".join(text.split())


def action_from_data(data: Any) -> tuple[str, str] | None:
    """(action id, value) from a card's submitted data, or None when it is not one of ours.

    Our buttons send `{"action", "value"}`; the enrolment form sends its inputs beside
    `action`, folded here into the JSON object `enrol.form` expects; a `Choice` sends its
    input under the action id.
    """
    if not isinstance(data, Mapping):
        return None
    action_id = data.get("action")
    if not isinstance(action_id, str) or not action_id or len(action_id) > 64:
        return None
    if action_id == actions.ENROL_FORM:
        value = form_value(data)
    else:
        raw = data.get("value", data.get(action_id, ""))
        value = raw if isinstance(raw, str) else json.dumps(raw)
    if len(value) > MAX_VALUE:
        return None
    return action_id, value


def _reply_to(activity: Mapping[str, Any]) -> str | None:
    # The card to update: an id string, or nothing (a hostile body may send any JSON here).
    return _text(activity.get("replyToId")) or None


def _message(activity: Mapping[str, Any], base: Inbound, at: datetime) -> Inbound:
    assert base.user is not None and base.address is not None
    value = activity.get("value")
    if value is not None:  # Action.Submit arrives as a message carrying the data in `value`
        pressed = action_from_data(value)
        if pressed is None:
            return _ignored(base, "card submit without an action id we know")
        action = Action(base.user, base.address, *pressed, at, _reply_to(activity))
        return _with(base, action)
    text = strip_mentions(_text(activity.get("text")))
    if not text:
        return _ignored(base, "message without text (an attachment or a reaction)")
    return _with(base, IncomingMessage(base.user, base.address, text, at))


def _invoke(activity: Mapping[str, Any], base: Inbound, at: datetime) -> Inbound:
    assert base.user is not None and base.address is not None
    base = Inbound(None, base.user, base.address, base.personal, invoke=True)
    if activity.get("name") != ADAPTIVE_CARD_ACTION:
        return _ignored(base, f"invoke {activity.get('name')!r} is not supported")
    if _get(activity, "value", "action", "type") != "Action.Execute":
        return _ignored(base, "adaptiveCard/action without an Action.Execute")
    pressed = action_from_data(_get(activity, "value", "action", "data"))
    if pressed is None:
        return _ignored(base, "Action.Execute without an action id we know")
    user, address = base.user, base.address
    assert user is not None and address is not None
    return _with(base, Action(user, address, *pressed, at, _reply_to(activity)))


def _members_added(activity: Mapping[str, Any], base: Inbound, at: datetime) -> Inbound:
    del at
    assert base.user is not None and base.address is not None
    bot_id = _get(activity, "recipient", "id")
    added = activity.get("membersAdded")
    ids = [_get(m, "id") for m in added] if isinstance(added, list) else []
    if bot_id not in ids or not base.personal:
        return _ignored(base, "conversationUpdate that does not add the bot to a personal chat")
    # Teams sends this when a person installs the app; `installationUpdate` comes with it, so
    # only this one greets (one welcome, not two).
    joined = MemberJoined(base.user, base.address)
    return Inbound(joined, base.user, base.address, base.personal, installed=True)


def _installation(activity: Mapping[str, Any], base: Inbound, at: datetime) -> Inbound:
    del at
    if activity.get("action") in ("add", "add-upgrade"):
        return Inbound(None, base.user, base.address, base.personal, installed=True)
    return _ignored(base, f"installationUpdate {activity.get('action')!r}")


def _with(base: Inbound, event: Event) -> Inbound:
    return Inbound(event, base.user, base.address, base.personal, base.invoke, base.installed)


def _ignored(base: Inbound, reason: str) -> Inbound:
    return Inbound(None, base.user, base.address, base.personal, base.invoke, reason=reason)


Handler = Callable[[Mapping[str, Any], Inbound, datetime], Inbound]
HANDLERS: dict[str, Handler] = {
    "message": _message,
    "invoke": _invoke,
    "conversationUpdate": _members_added,
    "installationUpdate": _installation,
}


def translate(activity: Mapping[str, Any], received_at: datetime) -> Inbound:
    """What an activity (the JSON body Teams posted) means; never raises on bad input."""
    kind = activity.get("type")
    user, address = user_of(activity), address_of(activity)
    base = Inbound(None, user, address, is_personal(activity), invoke=kind == "invoke")
    if user is None or address is None:
        return _ignored(base, "activity without a sender or a conversation")
    handler = HANDLERS.get(kind) if isinstance(kind, str) else None
    if handler is None:
        return _ignored(base, f"activity type {kind!r} is not handled")
    return handler(activity, base, received_at)
