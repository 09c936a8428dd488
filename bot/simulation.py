"""Simulated time for a whole programme: jump from one piece of due work to the next, run it,
deliver it through the console, and let simulated people answer what they received.

The demo plays a programme this way, and the scenario tests drive it to check every message
each person received and when. Nothing sleeps: the clock jumps.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from adapters.console.platform import PLATFORM as CONSOLE
from adapters.console.platform import TENANT as CONSOLE_TENANT
from adapters.console.sender import ConsoleSender, address_for
from bot.app import Mentorbot
from bot.clock import SimulatedClock
from conversations.types import Action, Button, IncomingMessage, OutgoingMessage, UserRef


@dataclass(frozen=True)
class Received:
    """One message a person received: when, who, what, and the id a button answer refers to."""

    at: datetime
    email: str
    message: OutgoingMessage
    message_id: str


Responder = Callable[["Simulation", Received], Awaitable[None]]


class Simulation:
    """Runs `app` in simulated time; `respond` plays the people (None: nobody answers)."""

    def __init__(
        self,
        app: Mentorbot,
        clock: SimulatedClock,
        sender: ConsoleSender,
        respond: Responder | None = None,
    ) -> None:
        self.app = app
        self.clock = clock
        self.sender = sender
        self.respond = respond
        self.received: list[Received] = []

    async def run_until(self, end: datetime) -> None:
        """Run every piece of work due up to `end`, in order, then leave the clock at `end`."""
        while True:
            await self._deliver_now()
            due = await self.app.store.next_due()
            if due is None or due > end:
                break
            self.clock.set(due)
        self.clock.set(end)

    async def _deliver_now(self) -> None:
        """Tick at the current moment until the answers it prompted are delivered too."""
        while True:
            await self.app.tick()
            fresh = self._collect()
            if not fresh:
                return
            for received in fresh:
                if self.respond is not None:
                    await self.respond(self, received)

    def _collect(self) -> list[Received]:
        start = len(self.received)
        for (address, message), delivery in zip(
            self.sender.sent[start:], self.sender.deliveries[start:], strict=True
        ):
            self.received.append(
                Received(delivery.sent_at, address.conversation_id, message, delivery.message_id)
            )
        return self.received[start:]

    async def tap(
        self, email: str, button: Button, *, message_id: str | None = None
    ) -> list[OutgoingMessage]:
        """`email` presses `button`; the replies go to their chat like a platform would."""
        user = UserRef(CONSOLE, CONSOLE_TENANT, email)
        action = Action(
            user,
            address_for(email),
            button.action_id,
            button.value,
            self.clock.now(),
            message_id=message_id,
        )
        return await self._answer(email, await self.app.engine.handle(action))

    async def say(self, email: str, text: str) -> list[OutgoingMessage]:
        """`email` types `text` to the bot."""
        user = UserRef(CONSOLE, CONSOLE_TENANT, email)
        event = IncomingMessage(user, address_for(email), text, self.clock.now())
        return await self._answer(email, await self.app.engine.handle(event))

    async def _answer(self, email: str, replies: list[OutgoingMessage]) -> list[OutgoingMessage]:
        for reply in replies:
            await self.sender.send(reply, address_for(email))
        return replies


def button(message: OutgoingMessage, action_id: str, value_suffix: str = "") -> Button:
    """The button of `message` with this action (and value ending so): what a person taps."""
    for candidate in message.buttons():
        if candidate.action_id == action_id and candidate.value.endswith(value_suffix):
            return candidate
    raise LookupError(f"{message.kind!r} has no {action_id} button ending {value_suffix!r}")
