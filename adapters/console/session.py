"""One person's conversation with the bot in a terminal: text in, rendered replies out.

A typed number (or a button's label) presses the matching button of what this person last saw,
the way a tap would on Slack or Teams; anything else is a message to the bot.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from adapters.console.platform import PLATFORM, TENANT
from adapters.console.sender import ConsoleSender, address_for
from adapters.console.translate import typed
from conversations.types import Event, OutgoingMessage, UserRef

Handler = Callable[[Event], Awaitable[list[OutgoingMessage]]]


class ConsoleSession:
    """Translate one person's typing into events and print the engine's replies."""

    def __init__(
        self, email: str, handle: Handler, sender: ConsoleSender, clock: Callable[[], datetime]
    ) -> None:
        self.user = UserRef(PLATFORM, TENANT, email)
        self.address = address_for(email)
        self.handle = handle
        self.sender = sender
        self.clock = clock

    def event_for(self, text: str) -> Event:
        """The event a line of typing stands for."""
        buttons = self.sender.buttons.get(self.address.conversation_id, ())
        return typed(text, self.user, self.address, buttons, self.clock())

    async def say(self, text: str) -> list[OutgoingMessage]:
        """Send one line to the bot and print what it answers."""
        event = self.event_for(text)
        self.sender.new_turn(self.address.conversation_id)
        replies = await self.handle(event)
        for reply in replies:
            await self.sender.send(reply, self.address)
        return replies
