"""The console "platform": messages are printed, and the transcript remembers the buttons."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TextIO

from adapters.console.platform import PLATFORM, TENANT
from adapters.console.render import render
from conversations.types import Address, Button, Delivery, OutgoingMessage


def address_for(email: str) -> Address:
    """The console conversation of one person (keyed by email)."""
    return Address(PLATFORM, TENANT, email)


class ConsoleSender:
    """Prints each message under the name of the person it is for.

    `names` turns a conversation id (an email) into a display name. The buttons of the last
    message each person received are kept so a typed number can press them.
    """

    platform = PLATFORM
    finds_sent = True  # it keeps what it printed
    opens_groups = False  # each partner reads their own

    def __init__(
        self,
        out: TextIO,
        names: Callable[[str], str],
        clock: Callable[[], datetime],
        *,
        numbering: bool = False,
    ):
        self.out = out
        # With `numbering`, the buttons of every message printed since the person last typed
        # stay pressable, numbered on from one message to the next (`mentorbot chat` shows
        # several at once); without it only the last message's buttons count.
        self.numbering = numbering
        self._turn_over: set[str] = set()
        self.names = names
        self.clock = clock
        self.buttons: dict[str, tuple[Button, ...]] = {}
        self.sent: list[tuple[Address, OutgoingMessage]] = []
        self.deliveries: list[Delivery] = []  # parallel to `sent`: when, and the message id
        self.silent = False  # record without printing (bulk sends in the demo)

    async def send(self, message: OutgoingMessage, address: Address) -> Delivery:
        """Print the message for the person at `address`."""
        self.sent.append((address, message))
        delivery = Delivery(PLATFORM, f"console-{len(self.sent)}", address, self.clock())
        self.deliveries.append(delivery)
        conversation = address.conversation_id
        earlier: tuple[Button, ...] = ()
        if self.numbering and conversation not in self._turn_over:
            earlier = self.buttons.get(conversation, ())
        self._turn_over.discard(conversation)
        self.buttons[conversation] = earlier + message.buttons()
        if not self.silent:
            who = self.names(conversation)
            print(f"\n→ {who}  ({message.kind})", file=self.out)
            print(render(message, first_number=len(earlier) + 1), file=self.out)
        return delivery

    def new_turn(self, conversation_id: str) -> None:
        """The person typed: the next message printed for them numbers its buttons from 1."""
        self._turn_over.add(conversation_id)

    async def find_sent(self, message: OutgoingMessage, address: Address) -> Delivery | None:
        """The console keeps what it printed, so it can tell whether a key went out."""
        for index, (sent_to, sent) in enumerate(self.sent, start=1):
            if sent_to == address and sent.idempotency_key == message.idempotency_key:
                return Delivery(PLATFORM, f"console-{index}", address, self.clock())
        return None

    async def prepare(self, addresses: Sequence[Address]) -> None:
        """Nothing to look up: the console prints to whoever is named."""
        del addresses

    async def open_group(self, tenant_id: str, user_ids: Sequence[str]) -> str | None:
        """The console has no group conversations: each partner reads their own."""
        del tenant_id, user_ids
        return None
