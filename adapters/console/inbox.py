"""The console as a deployment's platform: with no Slack or Teams configured, `mentorbot tick`
and `mentorbot chat` deliver each message to its recipient's console inbox.

The inbox needs no table of its own: a delivered message is its `due_work` row, marked done
with a result naming the person (`inbox_result`), so `mentorbot chat --as EMAIL` reads that
person's messages back from the queue — and an erasure, which rewrites sent rows, reaches the
inbox too. Everyone in the directory can be reached here, linked to a chat account or not.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from adapters.console.platform import PLATFORM, TENANT
from conversations.ports import SendFailed
from conversations.types import Address, Delivery, OutgoingMessage, ToPerson

RESULT_PREFIX = "console:"

PersonOf = Callable[[str], Awaitable[int | None]]  # a console conversation id (email) → person
Delivered = Callable[[int, OutgoingMessage], Awaitable[None]]


def inbox_prefix(person_id: int) -> str:
    """The start of the result of every row delivered to this person's inbox."""
    return f"{RESULT_PREFIX}{person_id}:"


class InboxSender:
    """Delivers to console inboxes; `delivered` is told of each one (a chat prints its own)."""

    platform = PLATFORM
    tenant_id = TENANT
    # The inbox is the queue row marked done: nothing else exists to look for after a crash,
    # so each row is marked done before the person's next one (at most one shows twice).
    finds_sent = False
    opens_groups = False  # each partner reads their own inbox
    reaches_everyone = True  # no account to link: the delivery worker addresses anyone here

    def __init__(
        self,
        person_of: PersonOf,
        clock: Callable[[], datetime],
        delivered: Delivered | None = None,
    ) -> None:
        self.person_of = person_of
        self.clock = clock
        self.delivered = delivered

    async def send(self, message: OutgoingMessage, address: Address) -> Delivery:
        """Put the message in its recipient's inbox (the row's result names them)."""
        person_id = await self._recipient(message, address)
        if person_id is None:
            raise SendFailed(
                f"no one in the directory has the console conversation {address.conversation_id!r}",
                permanent=True,
            )
        result = f"{inbox_prefix(person_id)}{message.idempotency_key}"
        if self.delivered is not None:
            await self.delivered(person_id, message)
        return Delivery(PLATFORM, result, address, self.clock())

    async def _recipient(self, message: OutgoingMessage, address: Address) -> int | None:
        """Whose inbox: the person the message names, or the one the conversation is."""
        if isinstance(message.to, ToPerson):
            return message.to.person_id
        named = message.metadata.get("person_id", "")
        if named.isdigit():
            return int(named)
        if address.conversation_id.isdigit():  # the worker's address for someone unlinked
            return int(address.conversation_id)
        return await self.person_of(address.conversation_id)

    async def find_sent(self, message: OutgoingMessage, address: Address) -> Delivery | None:
        """Nothing to look in but the queue itself (see `finds_sent`)."""
        del message, address
        return None

    async def prepare(self, addresses: Sequence[Address]) -> None:
        """Nothing to look up."""
        del addresses

    async def open_group(self, tenant_id: str, user_ids: Sequence[str]) -> str | None:
        """No group conversations: each partner reads their own inbox."""
        del tenant_id, user_ids
        return None
