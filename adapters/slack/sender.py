"""SlackSender: the `conversations.ports.Sender` for Slack, on slack_sdk's AsyncWebClient.

It posts and updates (here); finding what was sent is `history.py`, opening group DMs and
finding a user's DM is `channels.py`, the pace and the error classes are `limits.py` and
`errors.py`, the client itself `client.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import aiohttp
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.channels import Channels
from adapters.slack.client import rate_limits_of
from adapters.slack.errors import failure
from adapters.slack.history import SentMessages, metadata_for
from adapters.slack.limits import MAX_INLINE_WAIT
from adapters.slack.platform import PLATFORM
from adapters.slack.render import render_message
from conversations.ports import SendFailed
from conversations.types import Address, Delivery, OutgoingMessage


class SlackSender:
    """Posts, updates and finds messages; opens group DMs for pairs."""

    platform = PLATFORM
    finds_sent = True  # by the idempotency key in each message's metadata
    opens_groups = True  # group DMs (conversations.open)

    def __init__(self, client: AsyncWebClient, clock: Callable[[], datetime]) -> None:
        self.client = client
        self.clock = clock
        self.rate_limits = rate_limits_of(client)
        self.rate_limits.clock = clock  # holds pass in the bot's time (simulated in tests)
        self.channels = Channels(client)
        self.history = SentMessages(client, self.channels, clock)

    async def send(self, message: OutgoingMessage, address: Address) -> Delivery:
        """Post `message` to the conversation (or update it, with `message.replaces`)."""
        body = render_message(message)
        method = "chat.update" if message.replaces else "chat.postMessage"
        held = self.rate_limits.remaining(method)  # not into a 429 another send was given
        if held > MAX_INLINE_WAIT:
            raise SendFailed(f"{method}: rate limited", retry_after=held)
        if held > 0:
            await self.rate_limits.sleep(held)
        try:
            if message.replaces:
                response = await self.client.chat_update(
                    channel=address.conversation_id, ts=message.replaces, **body
                )
            else:
                response = await self.client.chat_postMessage(
                    channel=address.conversation_id,
                    thread_ts=address.thread_id,
                    metadata=metadata_for(message),
                    unfurl_links=False,
                    unfurl_media=False,
                    **body,
                )
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
            failed = failure(error, method)
            if failed.retry_after is not None:  # the in-process retries are spent
                self.rate_limits.hold(method, failed.retry_after)
            raise failed from error
        channel = str(response.get("channel") or address.conversation_id)
        if address.conversation_id.startswith(("U", "W")) and channel.startswith("D"):
            # Posting to a user id lands in their DM; remember which, for find_sent.
            self.channels.remember_dm(address.conversation_id, channel)
        return Delivery(PLATFORM, str(response["ts"]), address, self.clock())

    async def find_sent(self, message: OutgoingMessage, address: Address) -> Delivery | None:
        """The message with this idempotency key among the conversation's latest, or None."""
        return await self.history.find(message, address)

    async def prepare(self, addresses: Sequence[Address]) -> None:
        """Nothing to look up: a post needs only the channel id."""
        del addresses

    async def open_group(self, tenant_id: str, user_ids: Sequence[str]) -> str | None:
        """A group DM with these users and the bot (conversations.open), paced for Tier 3."""
        del tenant_id  # one token serves one workspace
        return await self.channels.open_group(user_ids)
