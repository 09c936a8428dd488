"""Activity JSON as the Bot Framework documents Teams sending it (personal scope).

See "Conversation events", "Send and receive messages" and "Universal Actions for Adaptive
Cards" in the Teams platform docs: the tenant is in `channelData.tenant.id` (and, for personal
chats, `conversation.tenantId`), the user's Azure AD object id in `from.aadObjectId`.
"""

from __future__ import annotations

import itertools
from typing import Any

TENANT = "72f988bf-0000-4000-8000-00000000tenant"
BOT = {"id": "28:00000000-0000-0000-0000-0000000000b0", "name": "Mentorbot"}
_ids = itertools.count(1_700_000_000_000)


def user(aad: str, name: str = "") -> dict[str, Any]:
    """A Teams user: the `29:` id is per-bot; the AAD object id is the roster's `teams_id`."""
    return {"id": f"29:1{aad}", "aadObjectId": aad, "name": name or aad}


def chat_id(who: dict[str, Any]) -> str:
    """The personal chat id between this user and the bot."""
    return f"a:1chat-{who.get('aadObjectId') or who['id']}"


def _base(kind: str, who: dict[str, Any], service_url: str, **extra: Any) -> dict[str, Any]:
    activity = {
        "type": kind,
        "id": str(next(_ids)),
        "timestamp": "2027-01-11T10:00:00.000Z",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": who,
        "conversation": {
            "conversationType": "personal",
            "tenantId": TENANT,
            "id": chat_id(who),
        },
        "recipient": BOT,
        "channelData": {"tenant": {"id": TENANT}},
        "locale": "en-GB",
    }
    activity.update(extra)
    return activity


def message(who: dict[str, Any], text: str, service_url: str, **extra: Any) -> dict[str, Any]:
    """The user typed `text` in their chat with the bot."""
    return _base("message", who, service_url, text=text, textFormat="plain", **extra)


def submit(
    who: dict[str, Any], data: dict[str, Any], service_url: str, reply_to: str = "card-1"
) -> dict[str, Any]:
    """An Action.Submit: a message with no text whose `value` is the action's data + inputs."""
    return _base("message", who, service_url, value=data, replyToId=reply_to)


def execute(
    who: dict[str, Any], data: dict[str, Any], service_url: str, reply_to: str = "card-1"
) -> dict[str, Any]:
    """An Action.Execute: an `adaptiveCard/action` invoke."""
    return _base(
        "invoke",
        who,
        service_url,
        name="adaptiveCard/action",
        replyToId=reply_to,
        value={
            "action": {"type": "Action.Execute", "verb": data.get("action"), "data": data},
            "trigger": "manual",
        },
    )


def installed(who: dict[str, Any], service_url: str) -> dict[str, Any]:
    """The bot was added to the user's personal scope: conversationUpdate with the bot added."""
    return _base("conversationUpdate", who, service_url, membersAdded=[{"id": BOT["id"]}])


def installation_update(
    who: dict[str, Any], service_url: str, action: str = "add"
) -> dict[str, Any]:
    """installationUpdate, which Teams sends alongside conversationUpdate on install."""
    return _base("installationUpdate", who, service_url, action=action)
