"""The two Teams lookups beyond the engine's Directory (`adapters.teams.ports.TeamsDirectory`)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import or_, select

from conversations.types import PLATFORMS, Identity
from storage.base import ID_CHUNK, Repository
from storage.mapping import to_identity
from storage.models import IdentityRow, PersonRow

PLATFORM = PLATFORMS.teams


class TeamsIdentities(Repository):
    """Find a Teams identity by chat or user id, and a tenant's known service URL."""

    async def teams_recipient(
        self, tenant_id: str, conversation_or_user_id: str
    ) -> tuple[Identity, str] | None:
        """The identity whose personal chat id or AAD object id is the one given, with its
        person's email.

        Identities from the roster have tenant '' until the person first talks to the bot;
        they match any tenant, an exact tenant match first.
        """
        key = (tenant_id, conversation_or_user_id)
        return (await self.teams_recipients([key])).get(key)

    async def teams_recipients(
        self, keys: Collection[tuple[str, str]]
    ) -> dict[tuple[str, str], tuple[Identity, str]]:
        """`teams_recipient` for many (tenant, chat or user id) at once: one query per 5,000
        ids; keys nobody matches are left out."""
        wanted = sorted({ident for _, ident in keys})
        tenants = {tenant for tenant, _ in keys} | {""}
        by_id: dict[str, list[tuple[Identity, str]]] = {}
        async with self._sessions() as session:
            for start in range(0, len(wanted), ID_CHUNK // 2):  # two IN lists per query
                chunk = wanted[start : start + ID_CHUNK // 2]
                query = (
                    select(IdentityRow, PersonRow.email)
                    .join(PersonRow, PersonRow.id == IdentityRow.person_id)
                    .where(
                        IdentityRow.platform == PLATFORM,
                        IdentityRow.tenant_id.in_(tenants),
                        or_(
                            IdentityRow.dm_conversation_id.in_(chunk),
                            IdentityRow.user_id.in_(chunk),
                        ),
                    )
                    .order_by(IdentityRow.id)
                )
                for row, email in await session.execute(query):
                    identity = to_identity(row)
                    for ident in {identity.dm_conversation_id, identity.user_id} - {""}:
                        by_id.setdefault(ident, []).append((identity, str(email)))
        found: dict[tuple[str, str], tuple[Identity, str]] = {}
        for tenant_id, ident in keys:
            matches = [m for m in by_id.get(ident, []) if m[0].tenant_id in (tenant_id, "")]
            if matches:  # an exact tenant match first, then the oldest identity
                exact = [m for m in matches if m[0].tenant_id == tenant_id]
                found[(tenant_id, ident)] = (exact or matches)[0]
        return found

    async def teams_route(self, tenant_id: str) -> tuple[str, str] | None:
        """(tenant, service URL) of the tenant's newest identity with a service URL, or None.

        With tenant '' (a roster identity not yet confirmed by Teams) any tenant qualifies.
        """
        query = select(IdentityRow.tenant_id, IdentityRow.service_url).where(
            IdentityRow.platform == PLATFORM,
            IdentityRow.tenant_id != "",
            IdentityRow.service_url != "",
        )
        if tenant_id:
            query = query.where(IdentityRow.tenant_id == tenant_id)
        async with self._sessions() as session:
            row = (await session.execute(query.order_by(IdentityRow.id.desc()).limit(1))).first()
            return (row[0], row[1]) if row else None
