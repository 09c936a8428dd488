"""The directory: people, their platform identities and programme status (erasure:
`storage.sql_forget`; the roster import: `storage.sql_roster`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any
from typing import cast as cast_type

from sqlalchemy import (
    Select,
    bindparam,
    case,
    delete,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.types import Identity, Person, Role, Status, UserRef
from storage.base import PersonNotFound, Repository, chunks, core_table
from storage.mapping import to_identity, to_person
from storage.models import (
    IdentityRow,
    PersonRow,
)


# Built once: every inbound request looks its sender up (twice), and building the statement
# cost SQLAlchemy more CPU than running it.
def _by_identity() -> Select[Any]:
    """The person linked to (platform, tenant or no tenant yet, user id): Core, not the ORM,
    so it runs on a connection without a transaction (one round trip, not three)."""
    people, identities = PersonRow.__table__, IdentityRow.__table__
    return (
        select(people)
        .join(identities, identities.c.person_id == people.c.id)
        .where(
            identities.c.platform == bindparam("platform"),
            identities.c.user_id == bindparam("user_id"),
            or_(identities.c.tenant_id == bindparam("tenant_id"), identities.c.tenant_id == ""),
        )
        .order_by(case((identities.c.tenant_id == bindparam("tenant_id"), 0), else_=1))
        .limit(1)
    )


_BY_IDENTITY = _by_identity()


async def load_person(session: AsyncSession, person_id: int) -> PersonRow:
    """The people row with this id; PersonNotFound otherwise."""
    row = await session.get(PersonRow, person_id)
    if row is None:
        raise PersonNotFound(f"no person with id {person_id}")
    return row


class People(Repository):
    """`conversations.ports.Directory` except the roster import (`storage.sql_roster`) and
    `forget` (`storage.sql_forget`)."""

    async def get_person(self, person_id: int) -> Person | None:
        """The person with this id, or None."""
        async with self._sessions() as session:
            row = await session.get(PersonRow, person_id)
            return to_person(row) if row else None

    async def person_by_email(self, email: str) -> Person | None:
        """The person with this email (case-insensitive), or None."""
        # Emails are stored lowercased, so the unique index serves this lookup.
        query = select(PersonRow).where(PersonRow.email == email.strip().lower())
        async with self._sessions() as session:
            row = (await session.scalars(query)).first()
            return to_person(row) if row else None

    async def person_by_identity(self, user: UserRef) -> Person | None:
        """The person linked to this platform account, or None.

        An identity stored with tenant '' (from the roster, which knows no tenants) matches any
        tenant; an exact tenant match wins.
        """
        values = {"platform": user.platform, "user_id": user.user_id, "tenant_id": user.tenant_id}
        async with self._autocommit() as connection:
            row = (await connection.execute(_BY_IDENTITY, values)).first()
            return to_person(row) if row else None

    async def all_people(self) -> list[Person]:
        """Everyone in the directory, ordered by id."""
        async with self._sessions() as session:
            rows = await session.scalars(select(PersonRow).order_by(PersonRow.id))
            return [to_person(row) for row in rows]

    async def set_status(
        self, person_id: int, status: Status, *, paused_until: date | None = None, at: datetime
    ) -> Person:
        """Change a person's status and pause date; raises PersonNotFound for an unknown id.

        Becoming enrolled (other than resuming from a pause) stamps `enrolled_at`.
        """
        async with self._sessions.begin() as session:
            row = await load_person(session, person_id)
            if status is Status.ENROLLED and row.status != Status.ENROLLED:
                row.enrolled_at = row.enrolled_at if row.status == Status.PAUSED else at
            if status is Status.PAUSED and row.status != Status.PAUSED:
                row.paused_since = at.date()
            elif status is not Status.PAUSED:
                row.paused_since = None
            row.status = status.value
            row.paused_until = paused_until
            row.updated_at = at
            return to_person(row)

    async def update_profile(
        self,
        person_id: int,
        *,
        role: Role | None = None,
        teaches: Sequence[str] | None = None,
        learns: Sequence[str] | None = None,
        timezone: str | None = None,
    ) -> Person:
        """Change the fields given (None leaves a field as it is); returns the updated person."""
        async with self._sessions.begin() as session:
            row = await load_person(session, person_id)
            if role is not None:
                row.role = role.value
            if teaches is not None:
                row.teaches = list(teaches)
            if learns is not None:
                row.learns = list(learns)
            if timezone is not None:
                row.timezone = timezone
            return to_person(row)

    async def link_identity(self, identity: Identity) -> None:
        """Create or update the identity keyed by (platform, tenant, user id).

        A roster-made identity with tenant '' is adopted and given the real tenant: the one with
        this user id, else the person's own on this platform (the roster's id replaced by the
        one the platform sent), so each person keeps one record per platform. Empty
        optional fields (DM id, service URL, reference) keep what is stored. Two processes
        linking the same new account at once (two first messages) race on the unique key: the
        loser finds the winner's row on its second try and updates it.
        """
        try:
            await self._link_identity(identity)
        except IntegrityError:
            await self._link_identity(identity)

    async def _link_identity(self, identity: Identity) -> None:
        query = select(IdentityRow).where(
            IdentityRow.platform == identity.platform,
            IdentityRow.user_id == identity.user_id,
            IdentityRow.tenant_id.in_((identity.tenant_id, "")),
        )
        async with self._sessions.begin() as session:
            rows = list(await session.scalars(query))
            exact = [r for r in rows if r.tenant_id == identity.tenant_id]
            row = (exact or rows)[0] if rows else None
            if row is None:
                row = await _unconfirmed(session, identity.person_id, identity.platform)
                if row is not None:  # the account that really talks to us replaces it
                    row.user_id = identity.user_id
                    row.dm_conversation_id = row.service_url = row.reference = ""
            if row is None:
                row = IdentityRow(
                    platform=identity.platform,
                    user_id=identity.user_id,
                    dm_conversation_id="",
                    service_url="",
                    reference="",
                )
                session.add(row)
            row.person_id = identity.person_id
            row.tenant_id = identity.tenant_id
            for field in ("dm_conversation_id", "service_url", "reference"):
                value = getattr(identity, field)
                if value:
                    setattr(row, field, value)

    async def fill_tenant(self, platform: str, tenant_id: str) -> int:
        """Give every identity on `platform` still without a tenant (from the roster) this one;
        the number of identities filled in.

        For a platform whose bot serves one tenant (a Slack workspace): once the roster's ids
        carry the tenant too, both partners of a pair are known to share it, whoever of them
        wrote to the bot first. An id that is also stored with this tenant already (a roster
        import racing a first message) is the same account twice: the platform's row stays,
        the roster's goes.
        """
        if not tenant_id:
            return 0
        table = core_table(IdentityRow)
        unfilled = (table.c.platform == platform, table.c.tenant_id == "")
        # Most ticks find nothing to fill: a read, so they take no write lock (SQLite).
        async with self._autocommit() as connection:
            pending = (
                await connection.execute(select(table.c.id).where(*unfilled).limit(1))
            ).first()
        if pending is None:
            return 0
        try:
            return await self._fill_tenant(platform, tenant_id)
        except IntegrityError:  # a first message linked one of these ids meanwhile: again
            return await self._fill_tenant(platform, tenant_id)

    async def _fill_tenant(self, platform: str, tenant_id: str) -> int:
        table, other = core_table(IdentityRow), core_table(IdentityRow).alias("linked")
        unfilled = (table.c.platform == platform, table.c.tenant_id == "")
        twice = (
            select(other.c.id)
            .where(
                other.c.platform == platform,
                other.c.tenant_id == tenant_id,
                other.c.user_id == table.c.user_id,
            )
            .exists()
        )
        async with self._sessions.begin() as session:
            await session.execute(delete(table).where(*unfilled, twice))
            result = await session.execute(
                update(table).where(*unfilled).values(tenant_id=tenant_id)
            )
            return int(cast_type(Any, result).rowcount or 0)

    async def identities_of(self, person_id: int) -> list[Identity]:
        """Every platform identity of one person, by platform."""
        query = (
            select(IdentityRow)
            .where(IdentityRow.person_id == person_id)
            .order_by(IdentityRow.platform, IdentityRow.id)
        )
        async with self._sessions() as session:
            return [to_identity(row) for row in await session.scalars(query)]

    async def identities_of_people(self, person_ids: Collection[int]) -> dict[int, list[Identity]]:
        """`identities_of` for many people at once (one query per 10,000 ids)."""
        found: dict[int, list[Identity]] = {person_id: [] for person_id in person_ids}
        async with self._sessions() as session:
            for ids in chunks(found):
                query = (
                    select(IdentityRow)
                    .where(IdentityRow.person_id.in_(ids))
                    .order_by(IdentityRow.platform, IdentityRow.id)
                )
                for row in await session.scalars(query):
                    found[row.person_id].append(to_identity(row))
        return found

    async def set_first_in_line(self, person_ids: Sequence[int], flag: bool) -> None:
        """Mark (or clear) people to be matched first in the next round."""
        if not person_ids:
            return
        async with self._sessions.begin() as session:
            for chunk in chunks(person_ids):
                await session.execute(
                    update(PersonRow).where(PersonRow.id.in_(chunk)).values(first_in_line=flag)
                )

    async def people_without_identity(
        self, platform: str, *, limit: int, after_id: int = 0
    ) -> list[Person]:
        """Enrolled people with no identity on `platform` yet (to look up by email), in id
        order from `after_id` (a cursor, so a long list is walked a page at a time)."""
        linked = select(IdentityRow.person_id).where(IdentityRow.platform == platform)
        query = (
            select(PersonRow)
            .where(
                PersonRow.status.in_([Status.ENROLLED.value, Status.PAUSED.value]),
                PersonRow.id.not_in(linked),
                PersonRow.id > after_id,
            )
            .order_by(PersonRow.id)
            .limit(limit)
        )
        async with self._sessions() as session:
            return [to_person(row) for row in await session.scalars(query)]


async def _unconfirmed(session: AsyncSession, person_id: int, platform: str) -> IdentityRow | None:
    """The person's identity on `platform` that the platform has never confirmed (a roster id,
    tenant ''), or None: linking another account of theirs updates it rather than adding a
    second record (one record per person and platform; the roster id may be stale or a
    different form of the id the platform sends)."""
    query = (
        select(IdentityRow)
        .where(
            IdentityRow.person_id == person_id,
            IdentityRow.platform == platform,
            IdentityRow.tenant_id == "",
        )
        .order_by(IdentityRow.id)
        .limit(1)
    )
    return (await session.scalars(query)).first()
