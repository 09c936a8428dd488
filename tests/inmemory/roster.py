"""`Directory.import_roster` in memory: the plan of `storage.roster_plan` (the same rules as
the SQL import) applied to the fake's dicts."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from conversations.types import Identity, ImportSummary, Person, Role, RosterEntry, Status
from storage.roster_plan import PLATFORM_COLUMNS, plan_import
from tests.inmemory.tables import Tables

_PLATFORMS = {platform for platform, _ in PLATFORM_COLUMNS}


class FakeRoster(Tables):
    """The roster import, all or nothing (a dry run writes nothing)."""

    async def import_roster(
        self,
        entries: Sequence[RosterEntry],
        *,
        deactivate_missing: bool,
        dry_run: bool,
        at: datetime,
    ) -> ImportSummary:
        """Create or update everyone in `entries` by email (see `storage.sql_roster`)."""
        people = [SimpleNamespace(**dataclasses.asdict(p)) for p in self.people.values()]
        for row in people:
            row.role = row.role.value if row.role else None
            row.status = row.status.value
        # An identity's id is its place in the list, from 1 (the plan only names them).
        identities = [
            SimpleNamespace(
                id=n,
                person_id=i.person_id,
                platform=i.platform,
                user_id=i.user_id,
                tenant_id=i.tenant_id,
            )
            for n, i in enumerate(self.identities, start=1)
            if i.platform in _PLATFORMS
        ]
        plan = plan_import(people, identities, entries, deactivate_missing, at)
        if not dry_run:
            self._apply(plan.new_people, plan.changed_people, plan.manager_of, at)
            id_of = {p.email: p.id for p in self.people.values()}
            for pid in plan.deactivate_ids:
                self.people[pid] = dataclasses.replace(self.people[pid], status=Status.INACTIVE)
                self.updated_at[pid] = at
            for email, platform, user_id in plan.new_identities:
                self.identities.append(Identity(id_of[email], platform, "", user_id))
            for ident, email in plan.moved_identities:
                self._set_identity(ident, person_id=id_of[email])
            for ident, user_id in plan.renamed_identities:
                self._set_identity(ident, user_id=user_id, dm_conversation_id="", reference="")
        return plan.summary(deactivate_missing)

    def _set_identity(self, ident: int, **changes: Any) -> None:
        self.identities[ident - 1] = dataclasses.replace(self.identities[ident - 1], **changes)

    def _apply(
        self,
        new_people: list[dict[str, Any]],
        changed_people: list[dict[str, Any]],
        manager_of: dict[str, str],
        at: datetime,
    ) -> None:
        for row in new_people:
            person_id = self.next_id("people")
            self.people[person_id] = Person(id=person_id, **_fields(row))
            self.updated_at[person_id] = at
        for row in changed_people:
            self.people[row["id"]] = dataclasses.replace(self.people[row["id"]], **_fields(row))
            self.updated_at[row["id"]] = at
        # Managers once everyone is in: a new person's manager may be new too.
        id_of = {p.email: p.id for p in self.people.values()}
        changed = {row["id"] for row in changed_people}
        for person in list(self.people.values()):
            manager = manager_of.get(person.email)
            if manager is None or (person.id not in changed and manager not in id_of):
                continue
            self.people[person.id] = dataclasses.replace(
                person, manager_id=id_of.get(manager) if manager else None
            )


def _fields(row: dict[str, Any]) -> dict[str, Any]:
    """A plan's row as `Person` fields."""
    skip = {"id", "created_at", "updated_at"}
    fields = {k: v for k, v in row.items() if k not in skip}
    fields["role"] = Role(fields["role"]) if fields.get("role") else None
    fields["status"] = Status(fields["status"])
    fields["teaches"] = tuple(fields["teaches"])
    fields["learns"] = tuple(fields["learns"])
    return fields
