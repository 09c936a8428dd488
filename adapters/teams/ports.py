"""What only Teams needs beyond the shared `AdapterDeps` (adapters/kit/deps.py): its identity
look-ups, its app id and its trust rules, wired in bot/teams.py."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Protocol

from adapters.teams.trust import ServiceUrls, TeamsCounters, Tenants
from conversations.types import Identity


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


@dataclass
class TeamsSetup:
    """The Teams-only part of what the composition root hands the adapter (bot/teams.py)."""

    directory: TeamsDirectory
    app_id: str = ""
    # Where the bot may send its token (TEAMS_ALLOWED_SERVICE_URLS); loopback only by default.
    service_urls: ServiceUrls = field(default_factory=lambda: ServiceUrls(loopback=True))
    # Whose identities the bot may write to (TEAMS_ALLOWED_TENANTS); any tenant by default, as
    # in dev mode without a list.
    tenants: Tenants = field(default_factory=lambda: Tenants(any_tenant=True))
    counters: TeamsCounters = field(default_factory=TeamsCounters)  # for /metrics
