"""The two Teams lookups beyond the engine's Directory (`adapters.teams.ports.TeamsDirectory`)."""

from __future__ import annotations

from sqlalchemy import or_, select

from conversations.domain import Identity
from storage.base import Repository
from storage.mapping import to_identity
from storage.models import IdentityRow, PersonRow

PLATFORM = "teams"


class TeamsIdentities(Repository):
    """Find a Teams identity by chat or user id, and a tenant's known service URL."""

    async def teams_recipient(
        self, tenant_id: str, conversation_or_user_id: str
    ) -> tuple[Identity, str] | None:
        """The identity whose personal chat id or AAD object id is the one given, with its
        person's email (one query: it is read for every message sent).

        Identities from the roster have tenant '' until the person first talks to the bot;
        they match any tenant, an exact tenant match first.
        """
        query = (
            select(IdentityRow, PersonRow.email)
            .join(PersonRow, PersonRow.id == IdentityRow.person_id)
            .where(
                IdentityRow.platform == PLATFORM,
                IdentityRow.tenant_id.in_((tenant_id, "")),
                or_(
                    IdentityRow.dm_conversation_id == conversation_or_user_id,
                    IdentityRow.user_id == conversation_or_user_id,
                ),
            )
            .order_by((IdentityRow.tenant_id == tenant_id).desc(), IdentityRow.id)
            .limit(1)
        )
        async with self._sessions() as session:
            found = (await session.execute(query)).first()
            return (to_identity(found[0]), str(found[1])) if found else None

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
