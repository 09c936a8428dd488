"""`mentorbot chat --as EMAIL`: talk to the bot in a terminal as one person from the roster.

With no Slack or Teams configured the console is the deployment's platform: on entry the
person sees the messages already in their console inbox, then everything due is delivered (the
same delivery as `mentorbot tick`), and after each line they type, whatever became due meanwhile
— an intro queued by their answer, a partner's message — arrives while they chat. Buttons are
numbered across the messages shown since they last typed; a number or a label presses one.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, TextIO

from adapters.console.inbox import inbox_prefix
from adapters.console.platform import PLATFORM, TENANT
from adapters.console.sender import ConsoleSender, address_for
from adapters.console.session import ConsoleSession
from bot.errors import UserError
from bot.platforms import adapter_deps, console_inbox, console_is_the_platform
from conversations.outbox.codec import message_from_dict
from conversations.types import Identity, OutgoingMessage, Person

if TYPE_CHECKING:
    from bot.app import Mentorbot

QUIT_WORDS = {"quit", "exit", "bye", ":q"}
INBOX_SHOWN = 5  # the latest messages shown on entry; older ones are counted


async def run_chat(app: Mentorbot, email: str, *, stdin: TextIO, out: TextIO) -> int:
    """Read lines until end of input or `quit`; print every reply."""
    person = await app.store.person_by_email(email)
    if person is None:
        raise UserError(
            f"no one with email {email!r} is in the directory. Import a roster first: "
            "mentorbot roster import FILE.csv (the sample: bot/data/sample_roster.csv)"
        )
    await app.store.link_identity(
        Identity(person.id, PLATFORM, TENANT, person.email, dm_conversation_id=person.email)
    )
    screen = ConsoleSender(
        out, names=lambda _: person.display_name, clock=app.clock.now, numbering=True
    )
    session = ConsoleSession(person.email, adapter_deps(app), screen)
    print(f"Chatting with Mentorbot as {person.display_name} <{person.email}>.", file=out)
    print("Type `help`, a button's number or label to press it, or `quit` to leave.", file=out)
    inbox = console_is_the_platform(app)
    if inbox:
        await _open_inbox(app, person, screen, out)
    while True:
        print("\n> ", end="", file=out, flush=True)
        line = await asyncio.to_thread(stdin.readline)
        if not line or line.strip().casefold() in QUIT_WORDS:
            print("Bye! 👋", file=out)
            return 0
        if line.strip():
            await session.say(line.strip())
            if inbox:
                await app.tick()  # what the answer queued for now, for anyone, goes out


async def _open_inbox(app: Mentorbot, person: Person, screen: ConsoleSender, out: TextIO) -> None:
    """Make the console the platform for this run, show the person's inbox, deliver what is due.

    Messages delivered here for this person are printed as they go out; everyone else's land
    in their own inbox for their next `mentorbot chat`.
    """
    address = address_for(person.email)

    arrived: list[OutgoingMessage] = []

    async def delivered(person_id: int, message: OutgoingMessage) -> None:
        if person_id == person.id:
            arrived.append(message)
            await screen.send(message, address)

    earlier = await app.store.delivered_with_result(inbox_prefix(person.id), INBOX_SHOWN + 1)
    if earlier:
        more = " (older ones not shown)" if len(earlier) > INBOX_SHOWN else ""
        print(f"\nIn your inbox{more}:", file=out)
        for _, payload in reversed(earlier[:INBOX_SHOWN]):
            try:
                message = message_from_dict(payload)
            except (KeyError, ValueError, TypeError):
                continue  # erased (only its kind is kept) or not readable: nothing to show
            await screen.send(message, address)
    app.add_sender(console_inbox(app, delivered))
    await app.tick()
    if not earlier and not arrived:
        print("\nNo messages for you yet.", file=out)
