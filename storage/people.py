"""The directory: people, their platform identities and programme status."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, bindparam, case, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.domain import Identity, Person, Role, Status
from conversations.types import UserRef
from storage.base import PersonNotFound, Repository, chunks
from storage.mapping import forgotten_email, to_identity, to_person
from storage.models import (
    AuditRow,
    DueWorkRow,
    IdentityRow,
    PendingInputRow,
    PersonRow,
    PulseResponseRow,
    SurveyAnswerRow,
)
from storage.work_queue import DELIVER_KIND, PENDING


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


async def _load(session: AsyncSession, person_id: int) -> PersonRow:
    row = await session.get(PersonRow, person_id)
    if row is None:
        raise PersonNotFound(f"no person with id {person_id}")
    return row


class People(Repository):
    """`conversations.ports.Directory` except the roster import (see `storage.roster`)."""

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
            row = await _load(session, person_id)
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
            row = await _load(session, person_id)
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

        A roster-made identity with tenant '' is adopted and given the real tenant. Empty
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

    async def forget(self, person_id: int, *, at: datetime) -> None:
        """Erase a person's personal data, keeping the row for anonymous counts and pair history.

        Email becomes `forgotten-{id}@invalid`, names and profile fields are cleared, identities
        are deleted, and their pulse answers lose their comment and their link to the person.
        Messages still waiting to be sent to them are dropped, and the audit log names them
        only by the placeholder.
        """
        async with self._sessions.begin() as session:
            row = await _load(session, person_id)
            email, placeholder = row.email, forgotten_email(person_id)
            # The whole address only: "ana@x.com" must not eat into "diana@x.com".
            exact = re.compile(rf"(?<![\w.+-]){re.escape(email)}(?![\w.-])", re.IGNORECASE)
            mentions = await session.scalars(
                select(AuditRow).where(
                    or_(AuditRow.actor.contains(email), AuditRow.detail.contains(email))
                )
            )
            for entry in mentions:
                entry.actor = exact.sub(placeholder, entry.actor)
                entry.detail = exact.sub(placeholder, entry.detail)
            waiting = await session.execute(
                select(DueWorkRow.id, DueWorkRow.payload).where(
                    DueWorkRow.kind == DELIVER_KIND, DueWorkRow.status == PENDING
                )
            )
            mine = [
                work_id
                for work_id, payload in waiting
                if (payload or {}).get("to") == {"type": "person", "person_id": person_id}
            ]
            for chunk in chunks(mine):
                await session.execute(delete(DueWorkRow).where(DueWorkRow.id.in_(chunk)))
            row.email = placeholder
            row.name = row.title = row.department = row.timezone = ""
            row.teaches, row.learns = [], []
            row.manager_id = None
            row.paused_until = row.paused_since = None
            row.first_in_line = False
            row.status = Status.LEFT.value
            row.updated_at = at
            await session.execute(
                delete(PendingInputRow).where(PendingInputRow.person_id == person_id)
            )
            await session.execute(
                update(SurveyAnswerRow)
                .where(SurveyAnswerRow.person_id == person_id)
                .values(person_id=None)
            )
            await session.execute(delete(IdentityRow).where(IdentityRow.person_id == person_id))
            await session.execute(
                update(PulseResponseRow)
                .where(PulseResponseRow.person_id == person_id)
                .values(person_id=None, comment=None, comment_consent=False)
            )

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
