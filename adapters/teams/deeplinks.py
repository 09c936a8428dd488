"""Teams deep links for an intro: bots cannot create group chats (docs/teams.md), so each partner
gets a link to chat with the other and one to schedule their first meeting with both invited.

The engine stays platform-neutral: the intro carries both partners' emails and names in its
`metadata`, and only this module knows Teams' URL formats.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import quote, urlencode

from conversations.types import Link, OutgoingMessage

CHAT = "https://teams.microsoft.com/l/chat/0/0"
MEETING = "https://teams.microsoft.com/l/meeting/new"


def chat_link(email: str, name: str) -> Link:
    """Open a 1:1 chat with `email`."""
    return Link(f"Chat with {name}", f"{CHAT}?{urlencode({'users': email}, quote_via=quote)}")


def meeting_link(emails: list[str], subject: str) -> Link:
    """Open a new meeting with these invitees and a subject."""
    query = urlencode({"attendees": ",".join(emails), "subject": subject}, quote_via=quote)
    return Link("Schedule a meeting", f"{MEETING}?{query}")


def with_intro_links(message: OutgoingMessage) -> OutgoingMessage:
    """The intro plus chat and meeting links, when it names both partners; else unchanged.

    Both chat links are added; the sender drops the one pointing at the recipient.
    """
    meta = message.metadata
    mentor, mentee = meta.get("mentor_email", ""), meta.get("mentee_email", "")
    if message.kind != "intro" or not mentor or not mentee:
        return message
    links = (
        chat_link(mentor, meta.get("mentor_name", mentor)),
        chat_link(mentee, meta.get("mentee_name", mentee)),
        meeting_link([mentor, mentee], meta.get("subject", "Reverse mentoring")),
    )
    return dataclasses.replace(message, blocks=(*message.blocks, *links))
