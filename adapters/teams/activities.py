"""Rendered cards → botbuilder `Activity` objects, and conversation references to and from JSON."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from botbuilder.core import TurnContext
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    ConversationAccount,
    ConversationReference,
)

from adapters.teams.deeplinks import CHAT, with_intro_links
from adapters.teams.platform import CHANNEL_ID
from adapters.teams.render import CARD_CONTENT_TYPE, TEMPLATES, markdown, render_card
from conversations.types import Link, OutgoingMessage, Text

MAX_SUMMARY = 120  # the notification preview; Teams shows "sent a card" without one


def is_plain(message: OutgoingMessage) -> bool:
    """A message of text only, with no layout of its own: sent as text, not as a card."""
    return message.kind not in TEMPLATES and all(isinstance(b, Text) for b in message.blocks)


def message_activity(
    message: OutgoingMessage,
    *,
    topics: Sequence[str] = (),
    tenant_id: str = "",
    drop_links_to: str = "",
) -> Activity:
    """`activity_json` as a botbuilder `Activity`, for replies within a turn."""
    data = activity_json(message, topics=topics, tenant_id=tenant_id, drop_links_to=drop_links_to)
    return Activity().deserialize(data)


def activity_json(
    message: OutgoingMessage,
    *,
    topics: Sequence[str] = (),
    tenant_id: str = "",
    drop_links_to: str = "",
) -> dict[str, Any]:
    """The Teams activity for a message, as the Bot Connector API's JSON: markdown text, or an
    Adaptive Card with a summary.

    `drop_links_to` removes Link blocks whose URL names that email: an intro sent to each
    partner carries a "Chat with …" link for both, and nobody needs a chat with themselves.
    """
    message = with_intro_links(message)
    if drop_links_to:
        own = {drop_links_to.casefold(), quote(drop_links_to.casefold())}
        kept = tuple(
            b
            for b in message.blocks
            if not (
                isinstance(b, Link)
                and b.url.startswith(CHAT)
                and any(email in b.url.casefold() for email in own)
            )
        )
        message = dataclasses.replace(message, blocks=kept)
    data: dict[str, Any] = {"type": ActivityTypes.message.value}
    if tenant_id:
        data["channelData"] = {"tenant": {"id": tenant_id}}
    if is_plain(message):
        data.update(text=markdown(message.fallback_text), textFormat="markdown")
    else:
        card = render_card(message, topics=topics)
        data["summary"] = message.fallback_text.split("\n", 1)[0][:MAX_SUMMARY]
        data["attachments"] = [{"contentType": CARD_CONTENT_TYPE, "content": card}]
    return data


def addressed(activity: Mapping[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
    """A proactive activity addressed by a conversation reference (`reference_json`), as
    botbuilder's `TurnContext.apply_conversation_reference` does: the conversation, the bot
    as sender, the person as recipient."""
    fields = {
        "channelId": reference.get("channelId"),
        "serviceUrl": reference.get("serviceUrl"),
        "conversation": reference.get("conversation"),
        "from": reference.get("bot"),
        "recipient": reference.get("user"),
    }
    return {**activity, **{key: value for key, value in fields.items() if value}}


def reference_of(activity: Activity, tenant_id: str) -> ConversationReference:
    """The reference to reach this activity's conversation later, with its tenant kept."""
    reference = TurnContext.get_conversation_reference(activity)
    if reference.conversation is not None and tenant_id:
        reference.conversation.tenant_id = tenant_id
    return reference


def reference_to_json(reference: ConversationReference) -> str:
    """A reference as the JSON text stored in `platform_identities.reference`."""
    return json.dumps(reference.serialize(), sort_keys=True)


def reference_json(text: str) -> dict[str, Any] | None:
    """A stored reference as the API's JSON, or None when the text is empty or not a reference
    (one with a conversation id and a service URL)."""
    try:
        data = json.loads(text) if text else None
    except ValueError:
        return None
    if not isinstance(data, dict) or not data.get("serviceUrl"):
        return None
    conversation = data.get("conversation")
    if not isinstance(conversation, dict) or not conversation.get("id"):
        return None
    return data


def bare_reference(
    conversation_id: str, tenant_id: str, service_url: str, app_id: str = ""
) -> ConversationReference:
    """A reference built from ids alone (the conversation exists; we never stored its reference)."""
    return ConversationReference(
        channel_id=CHANNEL_ID,
        service_url=service_url,
        conversation=ConversationAccount(
            id=conversation_id, tenant_id=tenant_id, conversation_type="personal"
        ),
        bot=ChannelAccount(id=f"28:{app_id}") if app_id else None,
    )
