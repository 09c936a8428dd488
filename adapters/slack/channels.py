"""Which Slack channel a message goes to: group DMs opened for pairs, a user's DM found from
their user id (conversations.open, Tier 3, paced), each remembered for the process."""

from __future__ import annotations

from collections.abc import Sequence

import aiohttp
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import failure
from adapters.slack.limits import OPEN_INTERVAL, Pacer
from conversations.types import Address


class Channels:
    """Opens conversations and remembers them: users (sorted) → channel id, in memory."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self.pacer = Pacer(OPEN_INTERVAL)
        self._opened: dict[tuple[str, ...], str] = {}

    def remember_dm(self, user_id: str, channel: str) -> None:
        """A post to `user_id` landed in their DM `channel` (for `channel_of`)."""
        self._opened[(user_id,)] = channel

    async def open_group(self, user_ids: Sequence[str]) -> str:
        """A group DM with these users and the bot (conversations.open), paced for Tier 3."""
        users = tuple(sorted(set(user_ids)))
        if users in self._opened:
            return self._opened[users]
        await self.pacer.wait()
        try:
            response = await self.client.conversations_open(users=",".join(users))
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
            raise failure(error, "conversations.open") from error
        channel = str(response["channel"]["id"])
        self._opened[users] = channel
        return channel

    async def channel_of(self, address: Address) -> str:
        """The channel id to read history from: a user id is resolved to their DM."""
        conversation = address.conversation_id
        if not conversation.startswith(("U", "W")):
            return conversation
        if (conversation,) not in self._opened:
            await self.pacer.wait()
            response = await self.client.conversations_open(users=conversation)
            self._opened[(conversation,)] = str(response["channel"]["id"])
        return self._opened[(conversation,)]
