"""`mentorbot chat --as EMAIL`: talk to the bot in a terminal as one person from the roster."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, TextIO

from adapters.console.sender import PLATFORM, TENANT, ConsoleSender
from adapters.console.session import ConsoleSession
from bot.errors import UserError
from conversations.domain import Identity

if TYPE_CHECKING:
    from bot.app import Mentorbot

QUIT_WORDS = {"quit", "exit", "bye", ":q"}


async def run_chat(app: Mentorbot, email: str, *, stdin: TextIO, out: TextIO) -> int:
    """Read lines until end of input or `quit`; print every reply."""
    person = await app.store.person_by_email(email)
    if person is None:
        raise UserError(
            f"no one with email {email!r} is in the directory. Import a roster first: "
            "mentorbot roster import FILE.csv"
        )
    await app.store.link_identity(
        Identity(person.id, PLATFORM, TENANT, person.email, dm_conversation_id=person.email)
    )
    sender = ConsoleSender(out, names=lambda _: person.display_name, clock=app.clock.now)
    session = ConsoleSession(person.email, app.engine.handle, sender, app.clock.now)
    print(f"Chatting with Mentorbot as {person.display_name} <{person.email}>.", file=out)
    print("Type `help`, a button's number to press it, or `quit` to leave.", file=out)
    while True:
        print("\n> ", end="", file=out, flush=True)
        line = await asyncio.to_thread(stdin.readline)
        if not line or line.strip().casefold() in QUIT_WORDS:
            print("Bye! 👋", file=out)
            return 0
        if line.strip():
            await session.say(line.strip())
