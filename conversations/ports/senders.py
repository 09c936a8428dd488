"""What an adapter gives the delivery worker and what it calls: sending, and handling an event."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from conversations.types import (
    Address,
    Delivery,
    Event,
    OutgoingMessage,
    Person,
)


class SendFailed(Exception):
    """A platform refused or failed a send. Adapters raise it; the delivery worker decides.

    `retry_after` (seconds) comes from the platform (Slack 429, Teams 429) when it said so;
    `permanent` means retrying cannot help (a malformed message); `unreachable` means the person
    can no longer be reached there (account deactivated, bot uninstalled).
    """

    def __init__(
        self,
        reason: str,
        *,
        retry_after: float | None = None,
        permanent: bool = False,
        unreachable: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.permanent = permanent
        self.unreachable = unreachable


class HandleEvent(Protocol):
    """`Engine.handle`, as the adapters call it."""

    async def __call__(
        self, event: Event, *, person: Person | None = None
    ) -> list[OutgoingMessage]:
        """Answer one event (`person`: the sender, when the adapter already looked them up)."""
        ...


class Sender(Protocol):
    """One platform's way of sending a message to a conversation."""

    platform: str
    # True when `find_sent` really looks (Slack; the console's screen, which keeps what it
    # printed). The delivery worker then marks
    # sends done in groups: a crash before a group is written is recovered by the look-up, not
    # repeated. False (Teams, the console inbox): every send is marked done before the next one
    # starts.
    finds_sent: bool
    # False where `open_group` always answers None (Teams, the console): the delivery worker
    # then splits a pair's messages into one per partner up front, without asking.
    opens_groups: bool

    async def send(self, message: OutgoingMessage, address: Address) -> Delivery:
        """Post (or, with `message.replaces`, update) a message; raise SendFailed on failure."""
        ...

    async def find_sent(self, message: OutgoingMessage, address: Address) -> Delivery | None:
        """Look for `message` (by its idempotency key) among what was posted to `address`.

        The delivery worker asks before re-sending a row whose lease expired: the platform may
        have accepted the send just before a crash. None when it is not there, or when the
        platform offers no way to look (Teams: at most that one in-flight message can repeat).
        """
        ...

    async def prepare(self, addresses: Sequence[Address]) -> None:
        """Look up together what sending to these addresses will need (the delivery worker
        calls it with each batch's addresses before sending them); a no-op where a send
        looks nothing up."""
        ...

    async def open_group(self, tenant_id: str, user_ids: Sequence[str]) -> str | None:
        """Open (or find) one conversation with all these users and the bot; its id.

        None where bots cannot create group conversations (Teams): then a pair's messages go
        to each partner's own chat.
        """
        ...
