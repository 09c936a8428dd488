"""Processed events, the audit log and the report figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from conversations.types import AuditEntry, ReportFigures, Role, RosterEntry, Status
from storage.models import PairRow, PulseResponseRow, SessionRow
from storage.store import SqlStore

T0 = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)


async def test_record_event_once(store: SqlStore) -> None:
    assert await store.record_event("slack", "Ev1", T0) is True
    assert await store.record_event("slack", "Ev1", T0) is False
    assert await store.record_event("teams", "Ev1", T0) is True


async def test_audit_log_newest_first(store: SqlStore) -> None:
    for n in range(3):
        await store.record(
            "admin@example.com", "match.publish", f"round {n}", at=T0 + timedelta(minutes=n)
        )
    recent = await store.recent(limit=2)
    assert recent == [
        AuditEntry("admin@example.com", "match.publish", "round 2", T0 + timedelta(minutes=2)),
        AuditEntry("admin@example.com", "match.publish", "round 1", T0 + timedelta(minutes=1)),
    ]


async def test_figures_are_zero_before_anything_happens(store: SqlStore) -> None:
    assert await store.figures() == ReportFigures(
        delivery={"pending": 0, "leased": 0, "done": 0, "failed": 0, "cancelled": 0}
    )


async def test_figures_count_what_happened(store: SqlStore) -> None:
    roster = [
        RosterEntry(line=2, email="a@x.com", name="A", level=2, role=Role.MENTOR),
        RosterEntry(line=3, email="b@x.com", name="B", level=8, role=Role.MENTEE),
        RosterEntry(line=4, email="c@x.com", name="C", level=3, role=Role.MENTOR),
        RosterEntry(line=5, email="d@x.com", name="D", level=9, role=Role.MENTEE),
        RosterEntry(line=6, email="e@x.com", name="E", level=5),
    ]
    await store.import_roster(roster, deactivate_missing=False, dry_run=False, at=T0)
    ids = {p.email[0]: p.id for p in await store.all_people()}
    await store.set_status(ids["c"], Status.PAUSED, paused_until=date(2027, 2, 1), at=T0)
    await store.set_status(ids["d"], Status.LEFT, at=T0)
    async with store._sessions.begin() as session:
        active = PairRow(
            mentor_id=ids["a"],
            mentee_id=ids["b"],
            score=3.0,
            reasons=["ai"],
            status="active",
            created_at=T0,
        )
        ended = PairRow(
            mentor_id=ids["c"],
            mentee_id=ids["d"],
            score=1.0,
            reasons=[],
            status="ended",
            created_at=T0,
        )
        session.add_all([active, ended])
        await session.flush()
        session.add_all(
            [
                SessionRow(pair_id=active.id, number=1, due_date=date(2027, 2, 8), met=True),
                SessionRow(pair_id=active.id, number=2, due_date=date(2027, 3, 8), met=False),
                SessionRow(pair_id=ended.id, number=1, due_date=date(2027, 2, 8), met=True),
            ]
        )
        for person, rating in ((ids["a"], 5), (ids["b"], 4), (ids["c"], None)):
            session.add(
                PulseResponseRow(
                    person_id=person,
                    pair_id=active.id,
                    session_number=1,
                    met=True,
                    rating=rating,
                    side="mentor",
                    created_at=T0,
                )
            )
    for key, kind in (("m1", "deliver"), ("m2", "deliver"), ("m3", "deliver"), ("n1", "tick")):
        await store.schedule(kind, {}, T0, key)
    claimed = await store.claim(T0, limit=10, lease_until=T0, worker="w")
    for work in claimed[:2] + claimed[3:]:
        await store.complete(work.id, at=T0)

    figures = await store.figures()

    # Without publishing rules there are no pulse figures at all: ratings reach admins only
    # through published windows (tests/dashboard/test_published_aggregates.py).
    assert figures == ReportFigures(
        participants=3,  # a, b and paused c; d left, e is directory-only
        active_pairs=1,
        messages_sent=2,  # done 'deliver' rows only
        meetings_reported=2,
        pulse_responses=0,
        average_rating=None,
        by_role={"mentor": 2, "mentee": 1},
        delivery={"pending": 0, "leased": 1, "done": 3, "failed": 0, "cancelled": 0},
        raters=0,
    )
