"""Directory: lookups, status, profile, identities and forgetting."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from conversations.ports import Store
from conversations.types import Identity, Role, RosterEntry, Status, UserRef
from storage.base import PersonNotFound
from storage.models import IdentityRow, PairRow, PulseResponseRow
from storage.store import SqlStore

T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


async def seed(store: SqlStore) -> tuple[int, int]:
    rows = [
        RosterEntry(
            line=2,
            email="Ada@Example.com",
            name="Ada",
            level=2,
            title="Engineer",
            department="Tech",
            timezone="Europe/London",
            role=Role.MENTOR,
            teaches=("ai",),
            learns=("leadership",),
            slack_id="U1",
            teams_id="aad-1",
        ),
        RosterEntry(line=3, email="lin@example.com", name="Lin", level=8, role=Role.MENTEE),
    ]
    await store.import_roster(rows, deactivate_missing=False, dry_run=False, at=T0)
    ada, lin = (
        await store.person_by_email("ada@example.com"),
        await store.person_by_email("LIN@example.com"),
    )
    assert ada is not None and lin is not None
    return ada.id, lin.id


def test_sql_store_satisfies_the_store_protocol() -> None:
    def accepts(store: Store) -> None: ...

    accepts(SqlStore.__new__(SqlStore))  # a static check really: mypy would flag a mismatch
    for name in [n for n in dir(Store) if not n.startswith("_")]:
        assert callable(getattr(SqlStore, name)), name


async def test_lookups(store: SqlStore) -> None:
    ada_id, lin_id = await seed(store)
    assert [p.id for p in await store.all_people()] == [ada_id, lin_id]
    assert (await store.get_person(ada_id)).email == "ada@example.com"  # type: ignore[union-attr]
    assert await store.get_person(9999) is None
    assert await store.person_by_email("nobody@example.com") is None
    assert await store.person_by_identity(UserRef("slack", "T1", "U404")) is None


async def test_set_status_and_update_profile(store: SqlStore) -> None:
    ada_id, _ = await seed(store)
    paused = await store.set_status(ada_id, Status.PAUSED, paused_until=date(2027, 3, 1), at=T0)
    assert paused.status is Status.PAUSED and paused.paused_until == date(2027, 3, 1)
    resumed = await store.set_status(ada_id, Status.ENROLLED, at=T0.replace(day=20))
    assert resumed.paused_until is None and resumed.enrolled_at == T0  # resuming keeps the date

    updated = await store.update_profile(ada_id, role=Role.EITHER, learns=["design", "data"])
    assert updated.role is Role.EITHER and updated.learns == ("design", "data")
    assert updated.teaches == ("ai",) and updated.timezone == "Europe/London"
    assert await store.get_person(ada_id) == updated
    with pytest.raises(PersonNotFound):
        await store.set_status(9999, Status.LEFT, at=T0)


async def test_link_identity_adopts_the_roster_identity_and_keeps_fields(store: SqlStore) -> None:
    ada_id, lin_id = await seed(store)
    # The roster stored Teams id 'aad-1' without a tenant; any tenant finds it.
    assert (await store.person_by_identity(UserRef("teams", "tenant-x", "aad-1"))).id == ada_id  # type: ignore[union-attr]

    await store.link_identity(
        Identity(
            ada_id,
            "teams",
            "tenant-x",
            "aad-1",
            dm_conversation_id="a:1",
            service_url="https://smba",
            reference='{"conversation": {}}',
        )
    )
    await store.link_identity(Identity(ada_id, "teams", "tenant-x", "aad-1"))
    teams = [i for i in await store.identities_of(ada_id) if i.platform == "teams"]
    assert teams == [
        Identity(
            ada_id, "teams", "tenant-x", "aad-1", "a:1", "https://smba", '{"conversation": {}}'
        )
    ]
    assert await store.person_by_identity(UserRef("teams", "tenant-y", "aad-1")) is None

    await store.link_identity(Identity(lin_id, "slack", "T1", "U2", dm_conversation_id="D2"))
    lin = await store.person_by_identity(UserRef("slack", "T1", "U2"))
    assert lin is not None and lin.id == lin_id
    assert [i.platform for i in await store.identities_of(ada_id)] == ["slack", "teams"]


async def test_forget_erases_personal_data_and_their_own_answers(store: SqlStore) -> None:
    ada_id, lin_id = await seed(store)
    async with store._sessions.begin() as session:
        pair = PairRow(
            mentor_id=ada_id,
            mentee_id=lin_id,
            score=1.0,
            reasons=[],
            status="active",
            created_at=T0,
        )
        session.add(pair)
        await session.flush()
        for person, comment in ((ada_id, "private words"), (lin_id, "kept")):
            session.add(
                PulseResponseRow(
                    person_id=person,
                    pair_id=pair.id,
                    session_number=1,
                    met=True,
                    rating=5,
                    comment=comment,
                    comment_consent=True,
                    side="mentor",
                    created_at=T0,
                )
            )

    await store.forget(ada_id, at=T0)

    gone = await store.get_person(ada_id)
    assert gone is not None
    assert gone.email == f"forgotten-{ada_id}@invalid" and gone.name == ""
    assert gone.title == gone.department == gone.timezone == ""
    assert gone.teaches == gone.learns == () and gone.status is Status.LEFT
    assert await store.identities_of(ada_id) == []
    assert await store.person_by_identity(UserRef("slack", "T1", "U1")) is None
    async with store._sessions() as session:
        pulses = list(await session.scalars(select(PulseResponseRow).order_by(PulseResponseRow.id)))
    # Hers is deleted (published figures are stored apart); the partner's stays.
    assert [(p.person_id, p.comment, p.rating) for p in pulses] == [(lin_id, "kept", 5)]
    # A forgotten person is not "missing" from later roster files.
    lin_only = [RosterEntry(line=2, email="lin@example.com", name="Lin", level=8)]
    summary = await store.import_roster(lin_only, deactivate_missing=False, dry_run=True, at=T0)
    assert summary.missing == ()


async def test_two_first_messages_at_once_link_one_identity(store: SqlStore) -> None:
    """Two events from a new Slack user handled at the same moment both link, without an
    IntegrityError for the one that loses the race on the unique key."""
    import asyncio

    from conversations.types import Identity, RosterEntry

    at = datetime(2027, 1, 4, tzinfo=UTC)
    await store.import_roster(
        [RosterEntry(2, "race@x.com", "Race", 3)], deactivate_missing=False, dry_run=False, at=at
    )
    person = await store.person_by_email("race@x.com")
    assert person is not None
    identity = Identity(person.id, "slack", "T1", "U0RACE", dm_conversation_id="D0RACE")
    await asyncio.gather(*(store.link_identity(identity) for _ in range(5)))
    assert [i.user_id for i in await store.identities_of(person.id)] == ["U0RACE"]


async def test_forgetting_drops_waiting_messages_and_the_email_from_the_audit_log(
    store: SqlStore,
) -> None:
    from conversations.outbox.codec import message_to_dict
    from conversations.types import OutgoingMessage, RosterEntry, ToPerson

    at = datetime(2027, 1, 4, tzinfo=UTC)
    entries = [RosterEntry(2, "gone@x.com", "Gone", 3), RosterEntry(3, "stay@x.com", "Stay", 3)]
    await store.import_roster(entries, deactivate_missing=False, dry_run=False, at=at)
    gone = await store.person_by_email("gone@x.com")
    stay = await store.person_by_email("stay@x.com")
    assert gone is not None and stay is not None
    for person, key in ((gone, "nudge:gone"), (stay, "nudge:stay")):
        message = OutgoingMessage(ToPerson(person.id), "nudge", "hi", idempotency_key=key)
        await store.schedule("deliver", message_to_dict(message), at, key)
    await store.record("admin@x.com", "pause", "gone@x.com until 2027-02-01", at=at)
    await store.record("gone@x.com", "refused", "match", at=at)
    await store.record("admin@x.com", "pause", "agone@x.com until 2027-03-01", at=at)
    await store.forget(gone.id, at=at)
    waiting = await store.claim(at, limit=10, lease_until=at, worker="t", kinds=["deliver"])
    assert [w.idempotency_key for w in waiting] == ["nudge:stay"]
    audit = " ".join(f"{e.actor} {e.detail}" for e in await store.recent())
    assert " gone@x.com" not in audit and f"forgotten-{gone.id}@invalid" in audit
    assert "agone@x.com until" in audit  # someone else's address is left alone


async def test_reconciled_identities_leave_one_record_per_person_and_platform(
    store: SqlStore,
) -> None:
    """Roster ids (no tenant), a first event, the workspace from the platform and a second
    roster import end with one identity per person and platform, each with its tenant."""
    ada_id, lin_id = await seed(store)  # Ada: roster slack U1 and teams aad-1, tenant ''
    await store.import_roster(
        [
            RosterEntry(line=2, email="ada@example.com", name="Ada", level=2, slack_id="U1"),
            RosterEntry(line=3, email="lin@example.com", name="Lin", level=8, slack_id="U2"),
        ],
        deactivate_missing=False,
        dry_run=False,
        at=T0,
    )
    # Lin writes first: the event updates the roster's row instead of adding one.
    await store.link_identity(Identity(lin_id, "slack", "T1", "U2", dm_conversation_id="D2"))
    # Ada never wrote: the workspace from auth.test fills her roster id in.
    assert await store.fill_tenant("slack", "T1") == 1
    assert await store.fill_tenant("slack", "T1") == 0  # nothing left to fill
    slack = {
        pid: [
            (i.tenant_id, i.user_id)
            for i in await store.identities_of(pid)
            if i.platform == "slack"
        ]
        for pid in (ada_id, lin_id)
    }
    assert slack == {ada_id: [("T1", "U1")], lin_id: [("T1", "U2")]}

    # Ada talks to the bot in Teams from an id the roster had in another form: found by
    # email, that account replaces the roster's unconfirmed id rather than adding a second.
    await store.link_identity(Identity(ada_id, "teams", "tenant-x", "AAD-1-OTHER"))
    teams = [i for i in await store.identities_of(ada_id) if i.platform == "teams"]
    assert [(i.tenant_id, i.user_id) for i in teams] == [("tenant-x", "AAD-1-OTHER")]
    # Importing the same roster again does not bring the replaced id back.
    again = RosterEntry(line=2, email="ada@example.com", name="Ada", level=2, teams_id="aad-1")
    await store.import_roster([again], deactivate_missing=False, dry_run=False, at=T0)
    teams = [i for i in await store.identities_of(ada_id) if i.platform == "teams"]
    assert [(i.tenant_id, i.user_id) for i in teams] == [("tenant-x", "AAD-1-OTHER")]


async def test_filling_the_tenant_drops_a_roster_id_the_platform_linked_already(
    store: SqlStore,
) -> None:
    """A roster import racing a first message can store one account twice, with and without
    the tenant: filling the tenant keeps the platform's row (no unique-key error)."""
    ada_id, _ = await seed(store)
    await store.link_identity(Identity(ada_id, "slack", "T1", "U1", dm_conversation_id="D1"))
    # The race's other half: the roster's row for the same id, written without a tenant.
    async with store._sessions.begin() as session:
        session.add(
            IdentityRow(
                person_id=ada_id,
                platform="slack",
                tenant_id="",
                user_id="U1",
                dm_conversation_id="",
                service_url="",
                reference="",
            )
        )
    assert await store.fill_tenant("slack", "T1") == 0
    slack = [i for i in await store.identities_of(ada_id) if i.platform == "slack"]
    assert [(i.tenant_id, i.user_id, i.dm_conversation_id) for i in slack] == [("T1", "U1", "D1")]
