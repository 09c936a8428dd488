"""Admin commands and the helpers they share (finding people, auditing).

Every admin action is written to the audit log with the admin's email, so the programme team
can always see who changed what.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from conversations import commands as cmd
from conversations import messages
from conversations.domain import Person
from conversations.types import OutgoingMessage, UserRef

if TYPE_CHECKING:
    from conversations.engine import CommandHandler, Engine, Turn


async def audit(engine: Engine, turn: Turn, action: str, detail: str) -> None:
    """Record an admin action in the audit log."""
    actor = turn.person.email if turn.person else "unknown"
    await engine.store.record(actor, action, detail, at=turn.now)


async def find_person(engine: Engine, turn: Turn, ref: cmd.PersonRef) -> Person | OutgoingMessage:
    """The person an admin named, or a reply saying who could not be found."""
    person: Person | None = None
    if ref.email:
        person = await engine.store.person_by_email(ref.email)
    elif ref.user_id:
        user = UserRef(turn.reply_to.platform, turn.reply_to.tenant_id, ref.user_id)
        person = await engine.store.person_by_identity(user)
    if person is None:
        return messages.reply(
            turn.reply_to,
            "not_found",
            f"I can't find {ref.raw} in the directory. Check the spelling, or import them with "
            "the roster first.",
        )
    return person


async def report(engine: Engine, turn: Turn, _: object) -> list[OutgoingMessage]:
    """The headline figures, as text."""
    figures = await engine.store.figures()
    await audit(engine, turn, "report", "")
    return [messages.reply(turn.reply_to, "report", messages.report_text(figures, engine.config))]


COMMANDS: dict[type, CommandHandler] = {cmd.Report: report}
