"""Finding what was sent: every posted message carries its idempotency key in Slack message
metadata, so after a crash the conversation's latest messages tell whether a send reached Slack
(docs/architecture.md, "The `due_work` outbox: exactly once")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import aiohttp
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.channels import Channels
from adapters.slack.errors import failure
from adapters.slack.platform import PLATFORM
from conversations.types import Address, Delivery, OutgoingMessage

METADATA_EVENT = "mentorbot_message"
HISTORY_PAGE = 100  # one page of conversations.history: where a just-sent message is


def metadata_for(message: OutgoingMessage) -> dict[str, Any] | None:
    """The message metadata a post carries: its idempotency key (None without one)."""
    if not message.idempotency_key:
        return None
    return {"event_type": METADATA_EVENT, "event_payload": {"key": message.idempotency_key}}


class SentMessages:
    """Looks for a message's key among the latest of its conversation (or thread)."""

    def __init__(
        self, client: AsyncWebClient, channels: Channels, clock: Callable[[], datetime]
    ) -> None:
        self.client = client
        self.channels = channels
        self.clock = clock

    async def find(self, message: OutgoingMessage, address: Address) -> Delivery | None:
        """The message with this idempotency key among the conversation's latest, or None."""
        if not message.idempotency_key:
            return None
        try:
            channel = await self.channels.channel_of(address)
            if address.thread_id:
                response = await self.client.conversations_replies(
                    channel=channel,
                    ts=address.thread_id,
                    limit=HISTORY_PAGE,
                    include_all_metadata=True,
                )
            else:
                response = await self.client.conversations_history(
                    channel=channel, limit=HISTORY_PAGE, include_all_metadata=True
                )
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
            raise failure(error, "conversations.history") from error
        for posted in response.get("messages") or []:
            metadata = posted.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if (
                metadata.get("event_type") == METADATA_EVENT
                and payload.get("key") == message.idempotency_key
            ):
                return Delivery(PLATFORM, str(posted["ts"]), address, self.clock())
        return None
