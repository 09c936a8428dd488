"""What the Teams adapter needs from the rest of the bot: small Protocols, wired in bot/teams.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from adapters.teams.trust import ServiceUrls, TeamsCounters, Tenants
from conversations.ports import Clock, HandleEvent
from conversations.types import Identity, OutgoingMessage, Person, UserRef


class TeamsDirectory(Protocol):
    """The two lookups the Teams sender needs beyond the engine's `Directory`."""

    async def teams_recipient(
        self, tenant_id: str, conversation_or_user_id: str
    ) -> tuple[Identity, str] | None:
        """The Teams identity whose personal chat id or user id is the one given, in `tenant_id`
        (or with no tenant yet, as the roster stores them), and its person's email; None when
        nobody has it."""
        ...

    async def teams_recipients(
        self, keys: Collection[tuple[str, str]]
    ) -> dict[tuple[str, str], tuple[Identity, str]]:
        """`teams_recipient` for many (tenant id, chat or user id) at once; keys nobody
        matches are left out."""
        ...

    async def teams_route(self, tenant_id: str) -> tuple[str, str] | None:
        """(tenant id, service URL) seen in an earlier activity of this tenant; or None.

        Bots reach people who never opened them with `create_conversation`, which needs both.
        With tenant '' (a roster identity nobody has confirmed yet) any tenant's newest route is
        returned: a company's Teams is almost always one tenant.
        """
        ...


class TeamsPeople(Protocol):
    """The slice of the engine's store the Teams turn uses."""

    async def record_event(self, platform: str, event_id: str, at: datetime) -> bool:
        """Remember an activity; False when it was processed already."""
        ...

    async def person_by_identity(self, user: UserRef) -> Person | None:
        """The person linked to this platform account, or None."""
        ...

    async def person_by_email(self, email: str) -> Person | None:
        """The person with this email (case-insensitive), or None."""
        ...

    async def link_identity(self, identity: Identity) -> None:
        """Create or update how a person is reached on a platform."""
        ...

    async def identities_of(self, person_id: int) -> list[Identity]:
        """Every platform identity of one person."""
        ...


@dataclass
class TeamsDeps:
    """Everything the Teams adapter is handed by the composition root (bot/teams.py)."""

    people: TeamsPeople
    directory: TeamsDirectory
    handle: HandleEvent  # Engine.handle
    # Engine.queue: a reply Teams refused during the turn goes to the delivery queue instead.
    queue: Callable[[Sequence[OutgoingMessage], datetime], Awaitable[int]]
    clock: Clock
    kick: Callable[[], None] = lambda: None  # run the delivery worker now (Mentorbot.kick)
    topics: Sequence[str] = field(default_factory=tuple)  # for the enrolment form's pickers
    app_id: str = ""
    # Where the bot may send its token (TEAMS_ALLOWED_SERVICE_URLS); loopback only by default.
    service_urls: ServiceUrls = field(default_factory=lambda: ServiceUrls(loopback=True))
    # Whose identities the bot may write to (TEAMS_ALLOWED_TENANTS); any tenant by default, as
    # in dev mode without a list.
    tenants: Tenants = field(default_factory=lambda: Tenants(any_tenant=True))
    counters: TeamsCounters = field(default_factory=TeamsCounters)  # for /metrics
