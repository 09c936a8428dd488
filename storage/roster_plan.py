"""What a roster import will do, computed before anything is written (pure: no database).

`storage.sql_roster` reads the directory, asks `plan_import` what to change and writes it in
bulk; the in-memory fake store (tests/inmemory) applies the same plan to its dicts, so both
follow one set of rules.

What the file decides (HR is the source of truth): name, title, level, department, manager.
What a blank cell leaves alone (people may set these themselves with `join`): role, teaches,
learns, timezone. Platform ids in the file are added (or moved to this person); ids the file no
longer mentions are kept. One record per person and platform: a corrected id replaces the
person's id the platform has not confirmed yet (a roster id), and is not added for someone the
platform already knows under another account (logged as a warning: the platform's word wins).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from conversations.types import PLATFORMS, ImportSummary, RosterEntry, Status
from storage.mapping import is_forgotten

# Fields compared to tell `updated` from `unchanged`.
_FIELDS = ("name", "title", "level", "department", "manager_email", "timezone", "role")
_LISTS = ("teaches", "learns")
# Statuses a row with a role turns into ENROLLED. Paused and unreachable people keep theirs,
# and so do people who chose to leave: an admin's next import must not opt them back in.
_ENROLLABLE = {Status.DIRECTORY.value, Status.INACTIVE.value}
# The roster's account columns, by the platform whose account each names.
PLATFORM_COLUMNS = ((PLATFORMS.slack, "slack_id"), (PLATFORMS.teams, "teams_id"))


@dataclass
class ImportPlan:
    """Everything an import will write, computed before writing anything."""

    new_people: list[dict[str, Any]] = field(default_factory=list)
    changed_people: list[dict[str, Any]] = field(default_factory=list)
    manager_of: dict[str, str] = field(default_factory=dict)  # email -> manager email
    deactivate_ids: list[int] = field(default_factory=list)
    new_identities: list[tuple[str, str, str]] = field(default_factory=list)  # email, platform, id
    moved_identities: list[tuple[int, str]] = field(default_factory=list)  # identity id, email
    renamed_identities: list[tuple[int, str]] = field(default_factory=list)  # identity id, user id
    warnings: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    enrolled: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def summary(self, deactivate_missing: bool) -> ImportSummary:
        """The ImportSummary this plan amounts to."""
        return ImportSummary(
            created=tuple(self.created),
            updated=tuple(self.updated),
            unchanged=tuple(self.unchanged),
            enrolled=tuple(self.enrolled),
            missing=tuple(self.missing),
            deactivated=tuple(self.missing) if deactivate_missing else (),
        )


def _snapshot(row: Any, email_of: dict[int, str]) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "title": row.title,
        "level": row.level,
        "department": row.department,
        "manager_email": email_of.get(row.manager_id, "") if row.manager_id else "",
        "timezone": row.timezone,
        "role": row.role,
        "teaches": tuple(row.teaches or ()),
        "learns": tuple(row.learns or ()),
        "status": row.status,
        "enrolled_at": row.enrolled_at,
    }


def _desired(entry: RosterEntry, old: dict[str, Any] | None) -> dict[str, Any]:
    keep = old or {}
    return {
        "name": entry.name,
        "title": entry.title,
        "level": entry.level,
        "department": entry.department,
        "manager_email": entry.manager_email.strip().lower(),
        "timezone": entry.timezone or keep.get("timezone", ""),
        "role": entry.role.value if entry.role else keep.get("role"),
        "teaches": tuple(entry.teaches) if entry.teaches else keep.get("teaches", ()),
        "learns": tuple(entry.learns) if entry.learns else keep.get("learns", ()),
    }


def plan_import(
    people: Sequence[Any],
    identities: Sequence[Any],
    entries: Sequence[RosterEntry],
    deactivate_missing: bool,
    at: datetime,
) -> ImportPlan:
    """The changes importing `entries` makes to a directory holding `people` and
    `identities` (rows with the columns `storage.sql_roster` reads)."""
    plan = ImportPlan()
    email_of = {row.id: row.email for row in people}
    existing = {row.email: _snapshot(row, email_of) for row in people}
    # (platform, user id) -> [(identity id, person id)], whatever the tenant.
    owners: dict[tuple[str, str], list[tuple[int, int]]] = {}
    # (person, platform) whose account the platform has confirmed (a tenant is known).
    confirmed: set[tuple[int, str]] = set()
    # (person, platform) -> their oldest identity the platform has not confirmed (a roster id),
    # the one `People.link_identity` would adopt too.
    unconfirmed: dict[tuple[int, str], int] = {}
    for ident in identities:
        owners.setdefault((ident.platform, ident.user_id), []).append((ident.id, ident.person_id))
        if ident.tenant_id:
            confirmed.add((ident.person_id, ident.platform))
        else:
            unconfirmed.setdefault((ident.person_id, ident.platform), ident.id)
    seen: set[str] = set()
    for entry in entries:
        email = entry.email.strip().lower()
        if email in seen:
            raise ValueError(f"line {entry.line}: email {email} appears twice (validate first)")
        seen.add(email)
        old = existing.get(email)
        want = _desired(entry, old)
        changed = False
        plan.manager_of[email] = want["manager_email"]
        if old is None:
            enrol = want["role"] is not None
            plan.new_people.append(
                {
                    "email": email,
                    **{k: v for k, v in want.items() if k != "manager_email"},
                    "teaches": list(want["teaches"]),
                    "learns": list(want["learns"]),
                    "status": (Status.ENROLLED if enrol else Status.DIRECTORY).value,
                    "enrolled_at": at if enrol else None,
                    "created_at": at,
                    "updated_at": at,
                }
            )
            plan.created.append(email)
            if enrol:
                plan.enrolled.append(email)
        else:
            status, enrolled_at = old["status"], old["enrolled_at"]
            if entry.role is not None and status in _ENROLLABLE:
                status, enrolled_at = Status.ENROLLED.value, at
                plan.enrolled.append(email)
            elif status == Status.INACTIVE.value:
                # Back in the roster without a role: back in the directory.
                status = Status.DIRECTORY.value
            changed = status != old["status"] or any(want[k] != old[k] for k in (*_FIELDS, *_LISTS))
            if changed:
                plan.changed_people.append(
                    {
                        "id": old["id"],
                        **{k: v for k, v in want.items() if k != "manager_email"},
                        "teaches": list(want["teaches"]),
                        "learns": list(want["learns"]),
                        "status": status,
                        "enrolled_at": enrolled_at,
                        "updated_at": at,
                    }
                )
        person_id = old["id"] if old else None
        for platform, column in PLATFORM_COLUMNS:
            user_id = getattr(entry, column).strip()
            if not user_id:
                continue
            rows = owners.get((platform, user_id), [])
            if not rows and person_id is not None and (person_id, platform) in confirmed:
                # They already talk to the bot from another account, which replaced this id
                # (`People.link_identity`): adding it back would give them two records, and
                # the platform's word beats a spreadsheet's.
                plan.warnings.append(
                    f"line {entry.line}: {email} already uses another {platform} account the "
                    f"platform confirmed; {column} {user_id} ignored"
                )
                continue
            stale = unconfirmed.get((person_id, platform)) if person_id is not None else None
            if not rows and stale is not None:
                # A corrected id: it replaces the one the roster gave before (never confirmed),
                # rather than leaving two records and a stranger's id in the group DMs.
                plan.renamed_identities.append((stale, user_id))
                owners[(platform, user_id)] = [(stale, person_id or -1)]
                changed = True
                continue
            if not rows:
                plan.new_identities.append((email, platform, user_id))
                # A second row with the same id (unvalidated input) must not insert it twice.
                owners[(platform, user_id)] = [(-1, person_id or -1)]
                changed = True
            for ident_id, owner in rows:
                if ident_id > 0 and owner != person_id:
                    plan.moved_identities.append((ident_id, email))
                    changed = True
        if old is not None:
            (plan.updated if changed else plan.unchanged).append(email)
    for email, snap in sorted(existing.items()):
        if email in seen or is_forgotten(email) or snap["status"] == Status.INACTIVE.value:
            continue
        plan.missing.append(email)
        if deactivate_missing:
            plan.deactivate_ids.append(snap["id"])
    return plan
