"""Rendered cards → botbuilder `Activity` objects, and conversation references to and from JSON."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from urllib.parse import quote

from botbuilder.core import TurnContext
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    Attachment,
    ChannelAccount,
    ConversationAccount,
    ConversationReference,
)

from adapters.teams.deeplinks import CHAT, with_intro_links
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
    """The Teams activity for a message: markdown text, or an Adaptive Card with a summary.

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
    channel_data = {"tenant": {"id": tenant_id}} if tenant_id else None
    if is_plain(message):
        return Activity(
            type=ActivityTypes.message,
            text=markdown(message.fallback_text),
            text_format="markdown",
            channel_data=channel_data,
        )
    card = render_card(message, topics=topics)
    summary = message.fallback_text.split("\n", 1)[0][:MAX_SUMMARY]
    return Activity(
        type=ActivityTypes.message,
        summary=summary,
        attachments=[Attachment(content_type=CARD_CONTENT_TYPE, content=card)],
        channel_data=channel_data,
    )


def reference_of(activity: Activity, tenant_id: str) -> ConversationReference:
    """The reference to reach this activity's conversation later, with its tenant kept."""
    reference = TurnContext.get_conversation_reference(activity)
    if reference.conversation is not None and tenant_id:
        reference.conversation.tenant_id = tenant_id
    return reference


def reference_to_json(reference: ConversationReference) -> str:
    """A reference as the JSON text stored in `platform_identities.reference`."""
    return json.dumps(reference.serialize(), sort_keys=True)


def reference_from_json(text: str) -> ConversationReference | None:
    """The stored reference, or None when the text is empty or not a reference."""
    try:
        data = json.loads(text) if text else None
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    reference = ConversationReference().deserialize(data)
    if reference.conversation is None or not reference.service_url:
        return None
    return reference


def bare_reference(
    conversation_id: str, tenant_id: str, service_url: str, app_id: str = ""
) -> ConversationReference:
    """A reference built from ids alone (the conversation exists; we never stored its reference)."""
    return ConversationReference(
        channel_id="msteams",
        service_url=service_url,
        conversation=ConversationAccount(
            id=conversation_id, tenant_id=tenant_id, conversation_type="personal"
        ),
        bot=ChannelAccount(id=f"28:{app_id}") if app_id else None,
    )
