"""Published pulse figures cannot be differenced (issue 15): export, answer, export again.

Two exports either side of one junior's pulse answer used to give that answer away. These run
the real CLI, the real `mentorbot serve` and the real export on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import csv
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import build_app
from bot.export import run_export
from bot.settings import Secrets, Settings, parse_config
from conversations.types import PublishRules, PulseAnswer
from storage.db import create_engine, make_sessionmaker
from storage.models import PublishedAggregateRow
from storage.sql_aggregates import PublishedAggregates
from storage.store import SqlStore
from tests.dashboard.seed import NOW, Seeded, seed_programme
from tests.fakes import FakeClock, run_cli, start_server

TOKEN = "test-admin-token-0123456789abcdefghij"  # the minimum is 32 characters
APP_YAML = "programme:\n  name: Pilot\n  start_date: 2027-01-11\n"
K = 5
Row = dict[str, str]


def aggregate_rows(folder: Path) -> dict[tuple[str, str, str], Row]:
    """pulse_aggregate.csv keyed by (dimension, window, group)."""
    with (folder / "pulse_aggregate.csv").open(encoding="utf-8-sig", newline="") as handle:
        return {(r["dimension"], r["window"], r["group"]): r for r in csv.DictReader(handle)}


def assert_same_published_rows(before: dict[object, Row], after: dict[object, Row]) -> None:
    """Every row present in both is identical, and no row has fewer than k respondents."""
    assert before, "nothing was published: the test would prove nothing"
    for key in before.keys() & after.keys():
        assert before[key] == after[key], key
    assert all(int(row["people"]) >= K for row in (*before.values(), *after.values()))


async def answer(
    db_url: str, seeded: Seeded, who: str, pair: str, session: int, rating: int, at: datetime
) -> None:
    """One pulse tap, stored by the bot's own storage code."""
    side = "mentor" if who in MENTORS else "mentee"
    store = SqlStore.open(db_url)
    try:
        answer = PulseAnswer(seeded.people[who], seeded.pairs[pair], session, side, rating)
        await store.save_pulse(answer, at=at)
    finally:
        await store.close()


MENTORS = {"e1", "e2", "e3", "s1", "s2", "s3", "l1", "e4"}


def pulse_section(html: str) -> str:
    """The dashboard's pulse card and pulse section, without the late-answers note."""
    card = re.search(r'<div class="stat-label">Pulse</div>.*?</div>.*?</div>', html, re.S)
    section = re.search(r'<section class="card" id="pulse">.*?</section>', html, re.S)
    assert card and section
    return card.group(0) + re.sub(r"<p[^>]*>\d+ late answers?[^<]*</p>", "", section.group(0))


async def test_export_answer_one_pulse_export_again_changes_no_published_figure(
    tmp_path: Path, db_url: str
) -> None:
    # The issue's test through the real CLI and server: round 1's session 1 (8 people) is
    # published; then the senior of pair 3 answers about session 1, after it closed.
    (tmp_path / "app.yaml").write_text(APP_YAML)
    seeded = await seed_programme(db_url, datetime.now(UTC))
    env = {"MENTORBOT_ADMIN_TOKEN": TOKEN}
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    async with start_server(tmp_path, db_url, env) as base, aiohttp.ClientSession() as http:

        async def readings(name: str) -> tuple[dict[str, object], str, bytes]:
            await run_cli(tmp_path, db_url, "export", str(tmp_path / name))
            report = json.loads(await run_cli(tmp_path, db_url, "report", "--format", "json"))
            async with http.get(f"{base}/admin", headers=bearer) as response:
                assert response.status == 200
                page = await response.text()
            async with http.get(f"{base}/admin/chart.png", headers=bearer) as response:
                assert response.status == 200
                chart = await response.read()
            return report, page, chart

        report_before, page_before, chart_before = await readings("before")
        await answer(db_url, seeded, "s6", "P3", 1, 1, datetime.now(UTC))
        report_after, page_after, chart_after = await readings("after")

    assert_same_published_rows(
        aggregate_rows(tmp_path / "before"), aggregate_rows(tmp_path / "after")
    )
    assert aggregate_rows(tmp_path / "before") == aggregate_rows(tmp_path / "after")
    assert report_before["average_rating"] == pytest.approx(35 / 9)
    assert (report_before["late_answers"], report_after["late_answers"]) == (0, 1)
    assert {k: v for k, v in report_after.items() if k != "late_answers"} == {
        k: v for k, v in report_before.items() if k != "late_answers"
    }
    assert pulse_section(page_after) == pulse_section(page_before)
    assert "1 late answer not included" in page_after
    assert "3.9 / 5" in pulse_section(page_before)
    assert "not enough answers" in page_before  # round 1's session 2: two people
    assert "2.5" not in page_before  # ...whose average (2 and 3) is never shown
    assert chart_after == chart_before


async def test_a_window_is_published_once_it_closes_and_late_answers_never_move_it(
    tmp_path: Path, db_url: str
) -> None:
    seeded = await seed_programme(db_url)
    config = parse_config({"programme": {"start_date": "2027-01-11"}})
    clock = FakeClock(NOW)
    april = datetime(2027, 4, 6, 9, tzinfo=UTC)
    async with build_app(Settings(config, Secrets(database_url=db_url)), clock=clock) as app:

        async def export(name: str) -> dict[tuple[str, str, str], Row]:
            await run_export(app, tmp_path / name)
            return aggregate_rows(tmp_path / name)

        # Round 1's session 3 is due 5 April: five people answer it on 6 April.
        for who, pair in (("e1", "P1"), ("s4", "P1"), ("e2", "P2"), ("s5", "P2"), ("e3", "P3")):
            await answer(db_url, seeded, who, pair, 3, 5, april)
        session3 = ("window", "Round 1 · session 3", "all")
        clock.set(datetime(2027, 4, 18, 12, tzinfo=UTC))  # within 14 days' grace: still open
        assert session3 not in await export("open")
        clock.set(datetime(2027, 4, 20, 12, tzinfo=UTC))
        first = await export("closed")
        assert (first[session3]["people"], first[session3]["average_rating"]) == ("5", "5.0")

        # A sixth answer, and a second tap changing a rating, after publication: both late.
        await answer(db_url, seeded, "s6", "P3", 3, 1, april + timedelta(days=15))
        await answer(db_url, seeded, "e1", "P1", 3, 1, april + timedelta(days=15))
        second = await export("late")
        assert second == first
        assert_same_published_rows(first, second)

        # Round 1's session 2 closed with two people: "not enough answers" for good, even once
        # five more answer it late.
        for who, pair in (("s4", "P1"), ("e5", "P4"), ("s2", "P5"), ("e6", "P5"), ("s3", "P6")):
            await answer(db_url, seeded, who, pair, 2, 5, april + timedelta(days=15))
        third = await export("still-hidden")
        assert third == first and not any("session 2" in key[1] for key in third)

        rules = PublishRules.from_config(app.settings.config, clock.now())
        figures = await app.store.figures(rules)
        assert figures.late_answers == 7 and figures.pulse_responses == 9 + 5
        assert figures.average_rating == pytest.approx((35 + 25) / 14)


async def test_publishing_twice_at_once_stores_one_row_per_window(
    tmp_path: Path, db_url: str
) -> None:
    await seed_programme(db_url)
    rules = PublishRules(K, ZoneInfo("Europe/London"), NOW, timedelta(days=14))
    engines = [create_engine(db_url), create_engine(db_url)]
    try:
        repos = [PublishedAggregates(make_sessionmaker(engine)) for engine in engines]
        results = await asyncio.gather(*(repo.publish(rules) for repo in repos))
        again = await repos[0].publish(rules)
        async with make_sessionmaker(engines[0])() as session:
            counts = (
                await session.execute(
                    select(func.count())
                    .select_from(PublishedAggregateRow)
                    .group_by(
                        PublishedAggregateRow.kind,
                        PublishedAggregateRow.period,
                        PublishedAggregateRow.breakdown,
                        PublishedAggregateRow.label,
                    )
                )
            ).scalars()
            assert list(counts) == [1, 1]  # round 1's sessions 1 and 2, one row each
    finally:
        for engine in engines:
            await engine.dispose()
    assert results[0] == results[1] == again
    assert [w.key.period for w in again.windows] == ["1:1", "1:2"]
    assert [w.shown for w in again.windows] == [True, False]


async def test_two_report_processes_at_once_publish_each_window_once(
    tmp_path: Path, db_url: str
) -> None:
    (tmp_path / "app.yaml").write_text(APP_YAML)
    await seed_programme(db_url, datetime.now(UTC))
    outputs = await asyncio.gather(
        *(run_cli(tmp_path, db_url, "report", "--format", "json") for _ in range(2))
    )
    assert json.loads(outputs[0]) == json.loads(outputs[1])
    engine = create_engine(db_url)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = (await session.scalars(select(PublishedAggregateRow))).all()
    finally:
        await engine.dispose()
    assert sorted((r.kind, r.period, r.breakdown, r.label) for r in rows) == [
        ("session", "1:1", "overall", "all"),
        ("session", "1:2", "overall", "all"),
    ]
    hidden = next(r for r in rows if r.period == "1:2")
    assert hidden.respondents is hidden.answers is hidden.rating_total is None
