"""Roster import: create or update the whole directory in one transaction, in bulk.

A company roster has thousands of rows, so nothing here makes a round trip per row: existing
people and identities are read in one query each, the changes are planned in Python
(`storage.roster_plan`, which says what the file decides), then written with executemany
INSERTs and UPDATEs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.types import ImportSummary, RosterEntry, Status
from storage.base import Repository
from storage.models import IdentityRow, PersonRow
from storage.roster_plan import PLATFORM_COLUMNS, ImportPlan, plan_import

_log = logging.getLogger(__name__)
# Core tables: executemany INSERTs without the ORM's per-row bookkeeping.
_PEOPLE = cast(Table, PersonRow.__table__)
_IDENTITIES = cast(Table, IdentityRow.__table__)
# Plain columns, not entities: 10,000 ORM objects in the identity map would be slow for nothing.
_PERSON_COLUMNS = (
    PersonRow.id,
    PersonRow.email,
    PersonRow.name,
    PersonRow.title,
    PersonRow.level,
    PersonRow.department,
    PersonRow.manager_id,
    PersonRow.timezone,
    PersonRow.role,
    PersonRow.teaches,
    PersonRow.learns,
    PersonRow.status,
    PersonRow.enrolled_at,
)


async def _apply(session: AsyncSession, plan: ImportPlan, at: datetime) -> None:
    if plan.new_people:
        # Core executemany without RETURNING: the ORM's bulk INSERT … RETURNING on SQLite
        # splices results batch by batch and is quadratic on 10,000 rows.
        await session.execute(insert(_PEOPLE), plan.new_people)
    # One read gives every id, the new people's included.
    id_of = {
        email: pid for pid, email in await session.execute(select(PersonRow.id, PersonRow.email))
    }
    email_by_id = {pid: email for email, pid in id_of.items()}
    updates: dict[int, dict[str, Any]] = {}
    for row in plan.changed_people:
        manager = plan.manager_of[email_by_id[row["id"]]]
        updates[row["id"]] = {**row, "manager_id": id_of.get(manager) if manager else None}
    # Managers are resolved after the insert: a new person's manager may be new too.
    for row in plan.new_people:
        manager = plan.manager_of[row["email"]]
        if manager in id_of:
            pid = id_of[row["email"]]
            updates[pid] = {"id": pid, "manager_id": id_of[manager]}
    for pid in plan.deactivate_ids:
        updates[pid] = {"id": pid, "status": Status.INACTIVE.value, "updated_at": at}
    if updates:
        # ORM bulk UPDATE by primary key: one executemany per distinct set of columns.
        await session.execute(update(PersonRow), list(updates.values()))
    if plan.new_identities:
        await session.execute(
            insert(_IDENTITIES),
            [
                {
                    "person_id": id_of[email],
                    "platform": platform,
                    "tenant_id": "",
                    "user_id": user_id,
                    "dm_conversation_id": "",
                    "service_url": "",
                    "reference": "",
                }
                for email, platform, user_id in plan.new_identities
            ],
        )
    if plan.moved_identities:
        await session.execute(
            update(IdentityRow),
            [{"id": ident, "person_id": id_of[email]} for ident, email in plan.moved_identities],
        )
    if plan.renamed_identities:
        # The old id's DM conversation and reference belonged to the old (wrong) account.
        await session.execute(
            update(IdentityRow),
            [
                {"id": ident, "user_id": user_id, "dm_conversation_id": "", "reference": ""}
                for ident, user_id in plan.renamed_identities
            ],
        )


class Roster(Repository):
    """`Directory.import_roster`."""

    async def import_roster(
        self,
        entries: Sequence[RosterEntry],
        *,
        deactivate_missing: bool,
        dry_run: bool,
        at: datetime,
    ) -> ImportSummary:
        """Create or update everyone in `entries` (by email) in one transaction.

        A row with a role enrols someone in the directory, who left or who was deactivated;
        enrolled and paused people keep their status. People missing from the file are listed
        (forgotten and already inactive people aside) and, with `deactivate_missing`, become
        inactive. A dry run plans the same changes and writes nothing.
        """
        async with self._sessions() as session:
            people = (await session.execute(select(*_PERSON_COLUMNS))).all()
            platforms = [platform for platform, _ in PLATFORM_COLUMNS]
            identities = (
                await session.execute(
                    select(
                        IdentityRow.id,
                        IdentityRow.person_id,
                        IdentityRow.platform,
                        IdentityRow.user_id,
                        IdentityRow.tenant_id,
                    ).where(IdentityRow.platform.in_(platforms))
                )
            ).all()
            plan = plan_import(people, identities, entries, deactivate_missing, at)
            for warning in plan.warnings:
                _log.warning("roster import: %s", warning)
            if dry_run:
                await session.rollback()
            else:
                await _apply(session, plan, at)
                await session.commit()
        return plan.summary(deactivate_missing)
