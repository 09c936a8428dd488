"""Who the bot cannot message, and the names admins see: the one definition that the
dashboard, `mentorbot report` and `health` (chat and CLI) all count."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.types import PLATFORMS, Status, Unreachable
from storage.mapping import is_forgotten
from storage.models import IdentityRow, PersonRow

PARTICIPATING = (Status.ENROLLED.value, Status.PAUSED.value)
FORGOTTEN_NAME = "(forgotten)"


def display_name(name: str, email: str) -> str:
    """The name admins see: the name, else the email's local part; erased people stay erased."""
    if is_forgotten(email):
        return FORGOTTEN_NAME
    return name.strip() or email.split("@", 1)[0]


# The console inbox delivers to everyone by their person id: it needs no account linked.
CONSOLE = PLATFORMS.console


async def unreachable_people(
    session: AsyncSession, delivering: Collection[str] | None = None
) -> tuple[Unreachable, ...]:
    """Everyone the bot cannot message, with why: the one definition that the dashboard,
    `mentorbot report` and `health` (chat and CLI) all count.

    People the platform reported unreachable, and participants (enrolled or paused) with no
    account linked on any platform in `delivering` (the platforms this deployment sends on):
    their messages wait in the queue with nowhere to go. A platform that reaches everyone
    without accounts (the console inbox) leaves nobody unreachable for want of one; with
    `delivering` unknown (None), an account on any platform counts.
    """
    flagged = await session.execute(
        select(PersonRow.name, PersonRow.email)
        .where(PersonRow.status == Status.UNREACHABLE.value)
        .order_by(PersonRow.id)
    )
    found = [
        Unreachable(display_name(n, e), "the platform says the bot cannot reach them")
        for n, e in flagged
    ]
    if delivering is not None and CONSOLE in delivering:
        return tuple(found)
    linked = [IdentityRow.person_id == PersonRow.id]
    if delivering is not None:
        # A console identity (from `mentorbot chat`) is no way to reach someone on Slack.
        linked.append(IdentityRow.platform.in_(sorted(delivering)))
    has_identity = select(IdentityRow.id).where(*linked).exists()
    unlinked = await session.execute(
        select(PersonRow.name, PersonRow.email)
        .where(PersonRow.status.in_(PARTICIPATING), ~has_identity)
        .order_by(PersonRow.id)
    )
    found += [
        Unreachable(display_name(n, e), "no Slack or Teams account linked") for n, e in unlinked
    ]
    return tuple(found)
