"""The directory, audit log, concerns and reports' contract on every store (`any_store`)."""

from __future__ import annotations

from conversations.ports import Store
from conversations.types import (
    ConcernCounts,
    Identity,
    PairStatus,
    Role,
    RosterEntry,
    SessionStatus,
    Status,
    Unreachable,
    UserRef,
)
from tests.storage.contract import DAY, T0, new, people


async def test_people_are_found_by_email_and_identity(any_store: Store) -> None:
    a, b = await people(any_store, 2)
    found = await any_store.person_by_email("  P0@Example.COM ")
    assert found is not None and (found.id, found.name, found.role) == (a, "P0", Role.EITHER)
    assert await any_store.person_by_email("nobody@example.com") is None
    await any_store.link_identity(Identity(a, "slack", "", "U1"))  # a roster id: no tenant
    await any_store.link_identity(Identity(b, "slack", "T2", "U2"))
    any_tenant = await any_store.person_by_identity(UserRef("slack", "T9", "U1"))
    exact = await any_store.person_by_identity(UserRef("slack", "T2", "U2"))
    assert any_tenant is not None and exact is not None and (any_tenant.id, exact.id) == (a, b)
    assert await any_store.person_by_identity(UserRef("slack", "T9", "U2")) is None
    assert await any_store.person_by_identity(UserRef("teams", "T2", "U2")) is None
    assert [p.id for p in await any_store.all_people()] == [a, b]
    identities = await any_store.identities_of_people([a, b, 999])
    assert [i.user_id for i in identities[a]] == ["U1"] and identities[999] == []


async def test_linking_adopts_the_roster_identity_and_keeps_filled_fields(
    any_store: Store,
) -> None:
    (a,) = await people(any_store, 1)
    await any_store.link_identity(Identity(a, "teams", "", "roster-id"))
    await any_store.link_identity(Identity(a, "teams", "T1", "29:real", dm_conversation_id="D1"))
    await any_store.link_identity(Identity(a, "teams", "T1", "29:real", service_url="https://s"))
    await any_store.link_identity(Identity(a, "console", "local", "p0@example.com"))
    assert await any_store.identities_of(a) == [
        Identity(a, "console", "local", "p0@example.com"),
        Identity(a, "teams", "T1", "29:real", dm_conversation_id="D1", service_url="https://s"),
    ]


async def test_status_changes_stamp_enrolment_and_pauses(any_store: Store) -> None:
    entry = RosterEntry(line=2, email="d@example.com", name="D", level=3)
    await any_store.import_roster([entry], deactivate_missing=False, dry_run=False, at=T0)
    person = await any_store.person_by_email("d@example.com")
    assert person is not None and (person.status, person.enrolled_at) == (Status.DIRECTORY, None)
    enrolled = await any_store.set_status(person.id, Status.ENROLLED, at=T0 + DAY)
    assert enrolled.enrolled_at == T0 + DAY
    paused = await any_store.set_status(
        person.id, Status.PAUSED, paused_until=(T0 + 9 * DAY).date(), at=T0 + 2 * DAY
    )
    assert (paused.paused_since, paused.paused_until) == (
        (T0 + 2 * DAY).date(),
        (T0 + 9 * DAY).date(),
    )
    resumed = await any_store.set_status(person.id, Status.ENROLLED, at=T0 + 3 * DAY)
    assert (resumed.enrolled_at, resumed.paused_since, resumed.paused_until) == (
        T0 + DAY,
        None,
        None,
    )
    updated = await any_store.update_profile(person.id, role=Role.MENTEE, learns=["ai"])
    assert (updated.role, updated.learns, updated.teaches) == (Role.MENTEE, ("ai",), ())
    await any_store.set_first_in_line([person.id], True)
    assert (await any_store.get_person(person.id)).first_in_line  # type: ignore[union-attr]


async def test_a_roster_import_plans_the_same_on_every_store(any_store: Store) -> None:
    first = [
        RosterEntry(line=2, email="Boss@x.com", name="Boss", level=1),
        RosterEntry(
            line=3,
            email="a@x.com",
            name="A",
            level=5,
            manager_email="boss@x.com",
            role=Role.MENTOR,
            slack_id="UA",
        ),
    ]
    dry = await any_store.import_roster(first, deactivate_missing=False, dry_run=True, at=T0)
    assert dry.created == ("boss@x.com", "a@x.com") and await any_store.all_people() == []
    await any_store.import_roster(first, deactivate_missing=False, dry_run=False, at=T0)
    boss, a = await any_store.all_people()
    assert (a.manager_id, a.status, a.enrolled_at, boss.status) == (
        boss.id,
        Status.ENROLLED,
        T0,
        Status.DIRECTORY,
    )
    assert [i.user_id for i in await any_store.identities_of(a.id)] == ["UA"]
    second = [RosterEntry(line=2, email="a@x.com", name="A2", level=5, slack_id="UB")]
    summary = await any_store.import_roster(second, deactivate_missing=True, dry_run=False, at=T0)
    assert (summary.updated, summary.missing, summary.deactivated) == (
        ("a@x.com",),
        ("boss@x.com",),
        ("boss@x.com",),
    )
    boss, a = await any_store.all_people()
    assert (boss.status, a.name, a.role, a.manager_id) == (Status.INACTIVE, "A2", Role.MENTOR, None)
    assert [i.user_id for i in await any_store.identities_of(a.id)] == ["UB"]  # corrected id


async def test_forget_erases_the_person_and_their_traces(any_store: Store) -> None:
    a, b = await people(any_store, 2)
    [pair] = await any_store.publish_round(
        [new(a, b, 1.0, "both like AI")], status=PairStatus.ACTIVE, at=T0
    )
    await any_store.link_identity(Identity(a, "slack", "T1", "UA1"))
    await any_store.create_sessions(pair.id, [(T0 + DAY).date()])
    await any_store.report_session(pair.id, 1, status=SessionStatus.MET, by=a, at=T0)
    await any_store.schedule("deliver", {"to": {"type": "person", "person_id": a}}, T0, "hi:a")
    await any_store.record("p0@example.com", "pair", "paired P0 with P1", at=T0)
    await any_store.add_concern(a, pair.id, "P1 is rude", [], at=T0)
    await any_store.set_pending_input(a, "concern", {"pair": pair.id}, T0 + DAY)
    await any_store.forget(a, at=T0 + DAY)
    person = await any_store.get_person(a)
    assert person is not None
    assert (person.email, person.name, person.status) == (f"forgotten-{a}@invalid", "", Status.LEFT)
    assert await any_store.identities_of(a) == []
    kept = await any_store.get_pair(pair.id)
    assert kept is not None and kept.reasons == ()
    assert (await any_store.get_session(pair.id, 1)).reported_by is None  # type: ignore[union-attr]
    assert await any_store.waiting_until("hi:a") is None
    [cancelled] = await any_store.cancelled_work()
    assert cancelled.extra["last_error"] == "cancelled: a person in it asked to be forgotten"
    [entry] = await any_store.recent()
    assert (entry.actor, entry.detail) == (
        f"forgotten-{a}@invalid",
        f"paired forgotten-{a}@invalid with P1",
    )
    assert await any_store.concern_counts() == ConcernCounts(raised=1, undelivered=0)
    assert await any_store.take_pending_input(a, T0) is None


async def test_concerns_are_counted_and_a_waiting_one_passed_on_once(any_store: Store) -> None:
    a, b, c = await people(any_store, 3)
    first = await any_store.add_concern(a, None, "help", [], at=T0)
    await any_store.add_concern(a, None, "again", [c], at=T0 + DAY)
    await any_store.add_concern(b, None, "mine", [], at=T0 + DAY)
    assert await any_store.concerns_raised_by(a, T0) == 2
    assert await any_store.concerns_raised_by(a, T0 + DAY) == 1
    assert await any_store.concern_counts() == ConcernCounts(raised=3, undelivered=2)
    waiting = await any_store.undelivered_concerns()
    assert [(w.id, w.sender_id, w.text, w.raised_at) for w in waiting[:1]] == [
        (first, a, "help", T0)
    ]
    assert await any_store.mark_concern_sent(first, [c])
    assert not await any_store.mark_concern_sent(first, [c])
    await any_store.forget(b, at=T0 + DAY)
    assert await any_store.concern_counts() == ConcernCounts(raised=3, undelivered=0)
    assert await any_store.undelivered_concerns() == []


async def test_the_audit_log_reads_newest_first(any_store: Store) -> None:
    await any_store.record("a", "one", "", at=T0 + DAY)
    await any_store.record("a", "two", "", at=T0)
    await any_store.record("a", "three", "", at=T0 + DAY)
    assert [e.action for e in await any_store.recent()] == ["three", "one", "two"]
    assert [e.action for e in await any_store.recent(limit=1)] == ["three"]


async def test_figures_and_who_cannot_be_reached(any_store: Store) -> None:
    a, b, c = await people(any_store, 3)
    [pair] = await any_store.publish_round([new(a, b)], status=PairStatus.ACTIVE, at=T0)
    await any_store.create_sessions(pair.id, [(T0 + DAY).date()] * 2)
    await any_store.report_session(pair.id, 1, status=SessionStatus.MET, by=a, at=T0)
    await any_store.schedule("deliver", {}, T0, "m1")
    [row] = await any_store.claim(T0, limit=1, lease_until=T0 + DAY, worker="w")
    await any_store.complete(row.id, at=T0)
    await any_store.link_identity(Identity(a, "slack", "T1", "UA"))
    await any_store.set_status(c, Status.UNREACHABLE, at=T0)
    figures = await any_store.figures()
    assert (figures.participants, figures.active_pairs, figures.messages_sent) == (2, 1, 1)
    assert (figures.meetings_reported, figures.by_role, figures.pulse_responses) == (
        1,
        {"either": 2},
        0,
    )
    assert figures.delivery["done"] == 1
    assert list(await any_store.unreachable()) == [
        Unreachable("P2", "the platform says the bot cannot reach them"),
        Unreachable("P1", "no Slack or Teams account linked"),
    ]
