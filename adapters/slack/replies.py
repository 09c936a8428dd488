"""Answers that only exist on Slack: ephemeral messages, response_url answers, modals and the
Home tab. The delivery worker never uses these; `answer.py` does, within a request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.errors import failure
from adapters.slack.limits import RETRIES_ON_429
from adapters.slack.render import render_message
from conversations.ports import SendFailed
from conversations.types import Address, OutgoingMessage


class SlackReplies:
    """The Slack-only ways to answer one request, on the Web API client the sender uses."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def send_ephemeral(
        self, message: OutgoingMessage, address: Address, user_id: str
    ) -> None:
        """Show `message` to one person only, in a conversation others can see."""
        try:
            await self.client.chat_postEphemeral(
                channel=address.conversation_id,
                user=user_id,
                thread_ts=address.thread_id,
                **render_message(message),
            )
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
            raise failure(error, "chat.postEphemeral") from error

    async def respond(
        self, message: OutgoingMessage, response_url: str, *, replace_original: bool = False
    ) -> None:
        """Answer through a response_url (slash commands, clicks on ephemeral messages).

        A response_url takes up to five answers within 30 minutes, in any channel, even ones
        the bot is not in; answers are ephemeral.
        """
        webhook = AsyncWebhookClient(
            response_url,
            # The Web API client's session: its connections are reused (one per answer cost a
            # TCP connect, and the answer to every slash command comes this way).
            session=self.client.session,
            retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=RETRIES_ON_429)],
        )
        try:
            response = await webhook.send(
                response_type="ephemeral",
                replace_original=replace_original,
                **render_message(message),
            )
        except (aiohttp.ClientError, TimeoutError) as error:
            raise SendFailed(f"response_url: {error!r}") from error
        if response.status_code >= 400:
            raise SendFailed(f"response_url: HTTP {response.status_code} {response.body}")

    async def open_view(self, trigger_id: str, view: Mapping[str, Any]) -> None:
        """Open a modal (views.open); the trigger_id is valid for 3 seconds."""
        try:
            await self.client.views_open(trigger_id=trigger_id, view=dict(view))
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
            raise failure(error, "views.open") from error

    async def publish_home(self, user_id: str, view: Mapping[str, Any]) -> None:
        """Draw one person's Home tab (views.publish)."""
        try:
            await self.client.views_publish(user_id=user_id, view=dict(view))
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
            raise failure(error, "views.publish") from error
