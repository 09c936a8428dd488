"""`conversations.ports.Directory` in memory (the roster import: `tests.inmemory.roster`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

from conversations.types import Identity, Person, Role, Status, UserRef
from tests.inmemory.tables import Tables


class FakeDirectory(Tables):
    """People, their platform identities and their status, as `storage.sql_people.People`."""

    async def get_person(self, person_id: int) -> Person | None:
        """The person with this id, or None."""
        return self.people.get(person_id)

    async def person_by_email(self, email: str) -> Person | None:
        """The person with this email (case-insensitive), or None."""
        wanted = email.strip().lower()
        return next((p for p in self.people.values() if p.email == wanted), None)

    async def person_by_identity(self, user: UserRef) -> Person | None:
        """The person linked to this account; a tenant '' (roster) identity matches any
        tenant, an exact tenant wins."""
        found = [
            i
            for i in self.identities
            if (i.platform, i.user_id) == (user.platform, user.user_id)
            and i.tenant_id in (user.tenant_id, "")
        ]
        found.sort(key=lambda i: i.tenant_id != user.tenant_id)
        return self.people.get(found[0].person_id) if found else None

    async def all_people(self) -> list[Person]:
        """Everyone, ordered by id."""
        return [self.people[k] for k in sorted(self.people)]

    async def set_status(
        self, person_id: int, status: Status, *, paused_until: date | None = None, at: datetime
    ) -> Person:
        """Change a person's status; becoming enrolled (other than resuming) stamps
        `enrolled_at`, becoming paused stamps `paused_since`."""
        person = self.person(person_id)
        enrolled_at, paused_since = person.enrolled_at, person.paused_since
        if status is Status.ENROLLED and person.status is not Status.ENROLLED:
            enrolled_at = enrolled_at if person.status is Status.PAUSED else at
        if status is Status.PAUSED and person.status is not Status.PAUSED:
            paused_since = at.date()
        elif status is not Status.PAUSED:
            paused_since = None
        person = dataclasses.replace(
            person,
            status=status,
            paused_until=paused_until,
            enrolled_at=enrolled_at,
            paused_since=paused_since,
        )
        self.people[person_id] = person
        self.updated_at[person_id] = at
        return person

    async def update_profile(
        self,
        person_id: int,
        *,
        role: Role | None = None,
        teaches: Sequence[str] | None = None,
        learns: Sequence[str] | None = None,
        timezone: str | None = None,
    ) -> Person:
        """Change the fields given (None leaves a field as it is)."""
        changes: dict[str, Any] = {}
        if role is not None:
            changes["role"] = role
        if teaches is not None:
            changes["teaches"] = tuple(teaches)
        if learns is not None:
            changes["learns"] = tuple(learns)
        if timezone is not None:
            changes["timezone"] = timezone
        person = dataclasses.replace(self.person(person_id), **changes)
        self.people[person_id] = person
        return person

    async def link_identity(self, identity: Identity) -> None:
        """Create or update the identity keyed by (platform, tenant, user id), adopting a
        roster identity (tenant '') of that id, else the person's own unconfirmed one on
        this platform (its user id replaced); empty optional fields keep what is stored."""
        same = [
            n
            for n, i in enumerate(self.identities)
            if (i.platform, i.user_id) == (identity.platform, identity.user_id)
            and i.tenant_id in (identity.tenant_id, "")
        ]
        exact = [n for n in same if self.identities[n].tenant_id == identity.tenant_id]
        index = (exact or same)[0] if same else None
        if index is None:
            index = next(
                (
                    n
                    for n, i in enumerate(self.identities)
                    if (i.person_id, i.platform, i.tenant_id)
                    == (identity.person_id, identity.platform, "")
                ),
                None,
            )
            if index is not None:  # the account that really talks to us replaces it
                self.identities[index] = dataclasses.replace(
                    self.identities[index],
                    user_id=identity.user_id,
                    dm_conversation_id="",
                    service_url="",
                    reference="",
                )
        if index is None:
            self.identities.append(
                Identity(identity.person_id, identity.platform, "", identity.user_id)
            )
            index = len(self.identities) - 1
        kept = self.identities[index]
        self.identities[index] = dataclasses.replace(
            kept,
            person_id=identity.person_id,
            tenant_id=identity.tenant_id,
            dm_conversation_id=identity.dm_conversation_id or kept.dm_conversation_id,
            service_url=identity.service_url or kept.service_url,
            reference=identity.reference or kept.reference,
        )

    async def identities_of(self, person_id: int) -> list[Identity]:
        """Every identity of one person, by platform (then in the order linked)."""
        return sorted(
            (i for i in self.identities if i.person_id == person_id), key=lambda i: i.platform
        )

    async def identities_of_people(self, person_ids: Collection[int]) -> dict[int, list[Identity]]:
        """`identities_of` for many people; everyone asked for is a key."""
        return {person_id: await self.identities_of(person_id) for person_id in person_ids}

    async def set_first_in_line(self, person_ids: Sequence[int], flag: bool) -> None:
        """Mark (or clear) people to be matched first in the next round."""
        for person_id in person_ids:
            if person_id in self.people:
                self.people[person_id] = dataclasses.replace(
                    self.people[person_id], first_in_line=flag
                )
