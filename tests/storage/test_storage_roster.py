"""Roster import: create, update, enrol, missing, deactivate, dry run, bulk size."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from conversations.types import Identity, Role, RosterEntry, Status, UserRef
from storage.store import SqlStore

T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
T1 = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)


def entry(line: int, email: str, level: int = 3, **fields: object) -> RosterEntry:
    return RosterEntry(
        line=line, email=email, name=email.split("@")[0].title(), level=level, **fields
    )  # type: ignore[arg-type]


BASE = [
    entry(2, "boss@example.com", level=9, department="Exec"),
    entry(
        3,
        "Ada@Example.com",
        level=2,
        manager_email="boss@example.com",
        role=Role.MENTOR,
        teaches=("ai",),
        slack_id="U1",
    ),
    entry(
        4,
        "lin@example.com",
        level=7,
        manager_email="BOSS@example.com",
        role=Role.MENTEE,
        teaches=("strategy",),
        learns=("ai",),
        teams_id="aad-lin",
    ),
]


async def test_first_import_creates_enrols_and_links(store: SqlStore) -> None:
    summary = await store.import_roster(BASE, deactivate_missing=False, dry_run=False, at=T0)

    assert summary.created == ("boss@example.com", "ada@example.com", "lin@example.com")
    assert summary.enrolled == ("ada@example.com", "lin@example.com")
    assert summary.updated == summary.unchanged == summary.missing == ()
    boss = await store.person_by_email("BOSS@example.com")
    ada = await store.person_by_email("ada@example.com")
    assert boss is not None and ada is not None
    assert boss.status is Status.DIRECTORY and boss.role is None and boss.enrolled_at is None
    assert ada.status is Status.ENROLLED and ada.role is Role.MENTOR and ada.enrolled_at == T0
    assert ada.manager_id == boss.id and ada.teaches == ("ai",) and ada.level == 2
    assert await store.person_by_identity(UserRef("slack", "T123", "U1")) == ada
    lin = await store.person_by_identity(UserRef("teams", "tenant-1", "aad-lin"))
    assert lin is not None and lin.email == "lin@example.com"


async def test_reimport_reports_unchanged_and_updated(store: SqlStore) -> None:
    await store.import_roster(BASE, deactivate_missing=False, dry_run=False, at=T0)
    changed = [
        BASE[0],
        BASE[1],
        entry(4, "lin@example.com", level=8, manager_email="boss@example.com", teams_id="aad-lin"),
    ]
    summary = await store.import_roster(changed, deactivate_missing=False, dry_run=False, at=T1)

    assert summary.unchanged == ("boss@example.com", "ada@example.com")
    assert summary.updated == ("lin@example.com",)
    assert summary.created == summary.enrolled == ()
    lin = await store.person_by_email("lin@example.com")
    assert lin is not None
    # A blank role, teaches or learns in the file keeps what is stored (people set them too).
    assert lin.level == 8 and lin.role is Role.MENTEE and lin.status is Status.ENROLLED
    assert lin.learns == ("ai",) and lin.enrolled_at == T0


async def test_role_enrols_directory_and_inactive_people_but_not_paused_or_left(
    store: SqlStore,
) -> None:
    people = [entry(i, f"p{i}@example.com") for i in range(1, 6)]
    await store.import_roster(people, deactivate_missing=False, dry_run=False, at=T0)
    ids = [(await store.person_by_email(f"p{i}@example.com")).id for i in range(1, 6)]  # type: ignore[union-attr]
    await store.set_status(ids[1], Status.LEFT, at=T0)
    await store.set_status(ids[2], Status.INACTIVE, at=T0)
    await store.set_status(ids[3], Status.PAUSED, paused_until=T1.date(), at=T0)
    await store.set_status(ids[4], Status.ENROLLED, at=T0)

    with_roles = [entry(i, f"p{i}@example.com", role=Role.EITHER) for i in range(1, 6)]
    summary = await store.import_roster(with_roles, deactivate_missing=False, dry_run=False, at=T1)

    # Someone who chose to leave stays out: an import must not opt them back in.
    assert summary.enrolled == ("p1@example.com", "p3@example.com")
    statuses = [(await store.get_person(i)).status for i in ids]  # type: ignore[union-attr]
    assert statuses == [
        Status.ENROLLED,
        Status.LEFT,
        Status.ENROLLED,
        Status.PAUSED,
        Status.ENROLLED,
    ]
    paused = await store.get_person(ids[3])
    assert paused is not None and paused.paused_until == T1.date() and paused.role is Role.EITHER
    assert summary.updated == tuple(f"p{i}@example.com" for i in range(1, 6))


async def test_missing_people_are_listed_and_deactivated_on_request(store: SqlStore) -> None:
    await store.import_roster(BASE, deactivate_missing=False, dry_run=False, at=T0)
    partial = [BASE[0], BASE[1]]
    listed = await store.import_roster(partial, deactivate_missing=False, dry_run=False, at=T1)
    assert listed.missing == ("lin@example.com",) and listed.deactivated == ()
    lin = await store.person_by_email("lin@example.com")
    assert lin is not None and lin.status is Status.ENROLLED

    done = await store.import_roster(partial, deactivate_missing=True, dry_run=False, at=T1)
    assert done.missing == done.deactivated == ("lin@example.com",)
    lin = await store.person_by_email("lin@example.com")
    assert lin is not None and lin.status is Status.INACTIVE

    # Back in the file without a role: back in the directory, not enrolled.
    back = [*partial, entry(4, "lin@example.com", level=7)]
    summary = await store.import_roster(back, deactivate_missing=True, dry_run=False, at=T1)
    assert summary.updated == ("lin@example.com",) and summary.missing == ()
    lin = await store.person_by_email("lin@example.com")
    assert lin is not None and lin.status is Status.DIRECTORY


async def test_dry_run_reports_but_writes_nothing(store: SqlStore) -> None:
    summary = await store.import_roster(BASE, deactivate_missing=True, dry_run=True, at=T0)
    assert len(summary.created) == 3 and len(summary.enrolled) == 2
    assert await store.all_people() == []

    await store.import_roster(BASE, deactivate_missing=False, dry_run=False, at=T0)
    before = await store.all_people()
    changed = [entry(2, "boss@example.com", level=10, role=Role.MENTEE)]
    summary = await store.import_roster(changed, deactivate_missing=True, dry_run=True, at=T1)
    assert summary.updated == ("boss@example.com",) and summary.enrolled == ("boss@example.com",)
    assert summary.deactivated == ("ada@example.com", "lin@example.com")
    assert await store.all_people() == before


async def test_new_manager_in_the_same_file_is_resolved(store: SqlStore) -> None:
    await store.import_roster(
        [entry(2, "a@example.com")], deactivate_missing=False, dry_run=False, at=T0
    )
    rows = [
        entry(2, "a@example.com", manager_email="m@example.com"),
        entry(3, "m@example.com", level=8),
    ]
    summary = await store.import_roster(rows, deactivate_missing=False, dry_run=False, at=T1)
    assert summary.updated == ("a@example.com",) and summary.created == ("m@example.com",)
    a, m = (
        await store.person_by_email("a@example.com"),
        await store.person_by_email("m@example.com"),
    )
    assert a is not None and m is not None and a.manager_id == m.id


async def test_ten_thousand_rows_import_in_bulk(store: SqlStore, db_backend: str) -> None:
    rows = [
        entry(
            i + 2,
            f"person{i}@example.com",
            level=1 + i % 9,
            manager_email="" if i < 10 else f"person{i % 10}@example.com",
            role=Role.MENTOR if i % 3 == 0 else None,
            teaches=("ai", "data"),
            slack_id=f"U{i:06d}",
            teams_id=f"aad-{i}" if i % 2 else "",
        )
        for i in range(10_000)
    ]
    started = time.perf_counter()
    summary = await store.import_roster(rows, deactivate_missing=False, dry_run=False, at=T0)
    created = time.perf_counter() - started

    changed = [
        entry(
            r.line,
            r.email,
            level=r.level + (1 if i % 2 else 0),
            manager_email=r.manager_email,
            slack_id=r.slack_id,
        )
        for i, r in enumerate(rows)
    ]
    started = time.perf_counter()
    again = await store.import_roster(changed, deactivate_missing=True, dry_run=False, at=T1)
    updated = time.perf_counter() - started
    print(f"\n10k roster import on {db_backend}: create {created:.2f}s, update {updated:.2f}s")

    assert len(summary.created) == 10_000 and len(summary.enrolled) == 3_334
    assert len(again.updated) == 5_000 and len(again.unchanged) == 5_000
    assert created < 30 and updated < 30
    async with store._sessions() as session:
        from storage.models import IdentityRow, PersonRow

        managed = await session.scalar(
            select(func.count()).select_from(PersonRow).where(PersonRow.manager_id.is_not(None))
        )
        identities = await session.scalar(select(func.count()).select_from(IdentityRow))
    assert managed == 9_990 and identities == 15_000


async def test_a_corrected_platform_id_replaces_the_roster_id(store: SqlStore) -> None:
    """A typo fixed in the roster leaves one record per person and platform: the old id no
    longer resolves to the person, and filling the tenant later cannot revive it."""
    ada = [entry(2, "ada@example.com", slack_id="UTYPO1", teams_id="aad-typo")]
    await store.import_roster(ada, deactivate_missing=False, dry_run=False, at=T0)
    fixed = [entry(2, "ada@example.com", slack_id="UREAL2", teams_id="aad-real")]
    summary = await store.import_roster(fixed, deactivate_missing=False, dry_run=False, at=T1)
    filled = await store.fill_tenant("slack", "T123")

    person = await store.person_by_email("ada@example.com")
    assert person is not None and summary.updated == ("ada@example.com",)
    identities = await store.identities_of(person.id)
    assert [(i.platform, i.tenant_id, i.user_id) for i in identities] == [
        ("slack", "T123", "UREAL2"),
        ("teams", "", "aad-real"),
    ]
    assert filled == 1
    assert await store.person_by_identity(UserRef("slack", "T123", "UTYPO1")) is None
    assert await store.person_by_identity(UserRef("slack", "T123", "UREAL2")) == person


async def test_the_roster_does_not_add_an_id_beside_a_confirmed_one(
    store: SqlStore, caplog: pytest.LogCaptureFixture
) -> None:
    """Someone the platform already knows keeps that account; the roster's other id is not
    added as a second record, and the import says why."""
    await store.import_roster(
        [entry(2, "ada@example.com", slack_id="UOLD")],
        deactivate_missing=False,
        dry_run=False,
        at=T0,
    )
    person = await store.person_by_email("ada@example.com")
    assert person is not None
    await store.link_identity(Identity(person.id, "slack", "T123", "UTALKS"))

    with caplog.at_level(logging.WARNING, logger="storage.sql_roster"):
        await store.import_roster(
            [entry(2, "ada@example.com", slack_id="UOTHER")],
            deactivate_missing=False,
            dry_run=False,
            at=T1,
        )

    identities = await store.identities_of(person.id)
    assert [(i.tenant_id, i.user_id) for i in identities] == [("T123", "UTALKS")]
    assert "slack_id UOTHER ignored" in caplog.text
