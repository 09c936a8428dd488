"""One person's conversation with the bot in a terminal: text in, rendered replies out.

A typed number (or a button's label) presses the matching button of what this person last saw,
the way a tap would on Slack or Teams; anything else is a message to the bot.
"""

from __future__ import annotations

from adapters.console.platform import PLATFORM, TENANT
from adapters.console.sender import ConsoleSender, address_for
from adapters.console.translate import typed
from adapters.kit.deps import AdapterDeps
from conversations.types import Event, OutgoingMessage, UserRef


class ConsoleSession:
    """Translate one person's typing into events and print the engine's replies.

    Handed the same `AdapterDeps` as Slack and Teams, it uses only the engine's `handle` and
    the clock: typing has no event ids to deduplicate, no account to link (`mentorbot chat`
    links it), and the replies are printed by `sender`, the screen, at once.
    """

    def __init__(self, email: str, deps: AdapterDeps, sender: ConsoleSender) -> None:
        self.user = UserRef(PLATFORM, TENANT, email)
        self.address = address_for(email)
        self.deps = deps
        self.sender = sender

    def event_for(self, text: str) -> Event:
        """The event a line of typing stands for."""
        buttons = self.sender.buttons.get(self.address.conversation_id, ())
        return typed(text, self.user, self.address, buttons, self.deps.clock.now())

    async def say(self, text: str) -> list[OutgoingMessage]:
        """Send one line to the bot and print what it answers."""
        event = self.event_for(text)
        self.sender.new_turn(self.address.conversation_id)
        replies = await self.deps.handle(event)
        for reply in replies:
            await self.sender.send(reply, self.address)
        return replies
