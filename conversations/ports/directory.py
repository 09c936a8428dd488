"""The directory: people, their platform identities and programme status."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Protocol

from conversations.types import (
    Identity,
    ImportSummary,
    Person,
    Role,
    RosterEntry,
    Status,
    UserRef,
)


class Directory(Protocol):
    """People, their platform identities and their programme status."""

    async def get_person(self, person_id: int) -> Person | None:
        """The person with this id, or None."""
        ...

    async def person_by_email(self, email: str) -> Person | None:
        """The person with this email (case-insensitive), or None."""
        ...

    async def person_by_identity(self, user: UserRef) -> Person | None:
        """The person linked to this platform account, or None."""
        ...

    async def all_people(self) -> list[Person]:
        """Everyone in the directory, ordered by id."""
        ...

    async def set_status(
        self, person_id: int, status: Status, *, paused_until: date | None = None, at: datetime
    ) -> Person:
        """Change a person's programme status (and pause date); returns the updated person."""
        ...

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
        ...

    async def link_identity(self, identity: Identity) -> None:
        """Create or update how a person is reached on `identity.platform`."""
        ...

    async def identities_of(self, person_id: int) -> list[Identity]:
        """Every platform identity of one person."""
        ...

    async def identities_of_people(self, person_ids: Collection[int]) -> dict[int, list[Identity]]:
        """`identities_of` for many people in one look-up (the delivery worker's batches);
        everyone asked for is a key, with [] when they have no identity."""
        ...

    async def forget(self, person_id: int, *, at: datetime) -> None:
        """Erase a person's personal data, keeping only anonymous counts."""
        ...

    async def set_first_in_line(self, person_ids: Sequence[int], flag: bool) -> None:
        """Mark (or clear) people to be matched first in the next round."""
        ...

    async def import_roster(
        self,
        entries: Sequence[RosterEntry],
        *,
        deactivate_missing: bool,
        dry_run: bool,
        at: datetime,
    ) -> ImportSummary:
        """Create or update everyone in `entries` (by email) in one transaction.

        Entries must already be validated (`conversations.enrolment.roster_csv`). A row with a role
        enrols a
        person who is not enrolled yet; people missing from the file are reported and, with
        `deactivate_missing`, marked inactive. A dry run computes the summary and writes nothing.
        """
        ...
