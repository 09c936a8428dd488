"""The dashboard's queries on a seeded database, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from conversations.insights.breakdowns import OTHER
from conversations.insights.summary import build_insights
from conversations.insights.windows import MIXED_TRACKS, PublishedPulse
from conversations.types import CycleSessions, PublishRules
from storage.db import create_engine, make_sessionmaker
from storage.sql_aggregates import PublishedAggregates, pulse_facts
from storage.sql_insights import InsightQueries
from storage.sql_unreachable import FORGOTTEN_NAME
from tests.dashboard.seed import (
    CONSENTED_COMMENTS,
    NOW,
    PRIVATE_COMMENT,
    RTL_NAME,
    SCRIPT_NAME,
    Seeded,
    seed_programme,
)

TODAY = NOW.date()
ANSWER_BY = TODAY - timedelta(days=7)


@pytest.fixture
async def seeded(db_url: str) -> AsyncIterator[tuple[InsightQueries, Seeded]]:
    """The seeded programme and an `InsightQueries` repository on it."""
    ids = await seed_programme(db_url)
    engine = create_engine(db_url)
    try:
        yield InsightQueries(make_sessionmaker(engine)), ids
    finally:
        await engine.dispose()


async def test_empty_database_gives_empty_facts(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        data = await InsightQueries(make_sessionmaker(engine)).gather(
            today=TODAY, answer_by=ANSWER_BY
        )
    finally:
        await engine.dispose()
    assert data.participants == () and data.cycles == ()
    assert data.queue == {"pending": 0, "leased": 0, "done": 0, "failed": 0, "cancelled": 0}
    insights = build_insights(data, PublishedPulse(5), k=5, now=NOW)
    assert insights.headline.meeting_rate is None and insights.headline.match_rate is None


async def test_raw_facts_of_the_seeded_programme(seeded: tuple[InsightQueries, Seeded]) -> None:
    repo, ids = seeded
    data = await repo.gather(today=TODAY, answer_by=ANSWER_BY)

    assert len(data.participants) == 16
    departments = sorted({p.department for p in data.participants})
    assert departments == ["Engineering", "Finance", "Legal", "Sales"]
    assert data.matched_people == 16
    assert data.pair_statuses == {"active": 7, "ended": 1, "proposed": 1}
    assert sorted(data.cycles, key=lambda c: c.cycle or 0) == [
        CycleSessions(1, due=13, held=11, missed=1, unanswered=1),
        CycleSessions(2, due=1, held=0, missed=0, unanswered=1),
    ]
    async with repo._sessions() as session:
        pulses = await pulse_facts(session)
    assert len(pulses) == 11 and {p.cycle for p in pulses} == {1}
    tracks = sorted((p.track or "-", p.session_number) for p in pulses)
    assert tracks.count(("technology", 1)) == 8 and tracks.count(("inclusion", 2)) == 2
    assert ("-", 1) in tracks  # the ended pair got no prompt
    assert sum(1 for p in pulses if p.respondent is None) == 1

    health = {h.pair_id: h for h in data.pairs}
    assert set(health) == {ids.pairs[k] for k in ("P1", "P2", "P3", "P4", "P5", "P6", "P8", "P9")}
    assert health[ids.pairs["P2"]].mentor == SCRIPT_NAME
    assert health[ids.pairs["P2"]].mentee == RTL_NAME
    assert (health[ids.pairs["P2"]].missed, health[ids.pairs["P2"]].unanswered) == (1, 0)
    assert (health[ids.pairs["P3"]].missed, health[ids.pairs["P3"]].unanswered) == (0, 1)
    assert health[ids.pairs["P8"]].unanswered == 0  # due 29 March: not overdue by 25 March
    assert health[ids.pairs["P1"]].held == 2

    sides = sorted((p.person_id, p.side, p.cycle, p.enrolled_now) for p in data.participation)
    assert (ids.people["gone"], "mentor", 1, False) in sides
    assert (ids.people["l2"], "mentee", 2, True) in sides
    assert not any(p.person_id == ids.people["e4"] for p in data.participation)  # proposed only

    assert {p.text[:4]: p.deliveries for p in data.prompts} == {"Show": 6, "When": 6, "What": 0}
    assert data.queue == {"pending": 1, "leased": 0, "done": 10, "failed": 1, "cancelled": 0}
    assert data.retrying == 1 and data.messages_sent == 10
    assert [(f.kind, f.error, f.attempts) for f in data.failed] == [
        ("deliver", "channel_not_found", 8)
    ]
    assert sorted(u.name for u in data.unreachable) == ["Senior F1", "Una Reachable"]
    async with repo._sessions() as session:
        facts = await pulse_facts(session)
    # A comment reaches the published figures only when its author agreed to share it.
    assert sorted(f.comment for f in facts if f.comment) == sorted(CONSENTED_COMMENTS)
    assert PRIVATE_COMMENT not in {f.comment for f in facts}


async def test_dashboard_figures_of_the_seeded_programme(
    seeded: tuple[InsightQueries, Seeded],
) -> None:
    repo, ids = seeded
    data = await repo.gather(today=TODAY, answer_by=ANSWER_BY)
    rules = PublishRules(5, ZoneInfo("Europe/London"), NOW, timedelta(days=14))
    published = await PublishedAggregates(repo._sessions).publish(rules)
    insights = build_insights(data, published, k=5, now=NOW)

    head = insights.headline
    assert (head.participants, head.sessions_due, head.meetings_held) == (16, 14, 11)
    assert head.meeting_rate == pytest.approx(11 / 14)
    assert head.by_role == {"mentor": 8, "mentee": 8}
    # Round 1's sessions 1 and 2 have closed (due 8 Feb and 8 Mar, 14 days' grace). Session 1
    # has 8 respondents; session 2 only 2, so it shows nothing, for good.
    assert head.average_rating == pytest.approx((6 * 4 + 2 * 5 + 1) / 9)
    assert head.pulse_responses == 9
    # Legal and Finance (3) would follow from 16 − 7 − 6: Sales joins them in "other".
    assert [g.label for g in insights.departments.groups] == ["Engineering", OTHER]
    assert not insights.departments.suppressed and insights.departments.merged == 3
    # Two seniors answered: a per-side figure would leave them derivable, so none is shown.
    assert insights.by_side == ()
    assert [(f.label, f.answers) for f in insights.by_track] == [(MIXED_TRACKS, 9)]
    assert [(p.label, p.average is not None) for p in insights.trend] == [
        ("R1 S1", True),
        ("R1 S2", False),
    ]
    assert insights.pulse.hidden == 1 and insights.pulse.late == 0
    at_risk = {p.pair_id: p.reason for p in insights.at_risk}
    assert set(at_risk) == {ids.pairs["P2"], ids.pairs["P3"], ids.pairs["P9"]}
    assert "waiting for consent for 31 days" in at_risk[ids.pairs["P9"]]
    assert insights.retention.mentors == 8 and insights.retention.mentors_retained == 7
    assert insights.retention.seniors == 7 and insights.retention.seniors_again == 1
    assert insights.prompts.unused == 1 and insights.prompts.by_track == {
        "inclusion": 6,
        "technology": 6,
    }
    assert insights.comments == tuple(sorted(CONSENTED_COMMENTS))  # round 1's session 1
    assert insights.comments == published.comments


async def test_export_rows_leave_out_private_and_forgotten_data(
    seeded: tuple[InsightQueries, Seeded],
) -> None:
    repo, ids = seeded
    people = {row["id"]: row for row in await repo.people_rows()}
    assert people[ids.people["gone"]] == {"id": ids.people["gone"], "status": "forgotten"}
    assert "paused_until" not in people[ids.people["e1"]]
    assert people[ids.people["e2"]]["name"] == SCRIPT_NAME
    pairs = await repo.pair_rows()
    assert len(pairs) == 9 and {p["cycle"] for p in pairs} == {1, 2}
    sessions = await repo.session_rows()
    assert len(sessions) == 22
    assert FORGOTTEN_NAME == "(forgotten)"
