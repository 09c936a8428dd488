"""Shared pulse comments cannot be differenced either (issue 15): read, answer, read again.

Comments read live let an admin who loads the page before and after a known person answers
see that person's comment appear. These run the real `mentorbot serve`, the real CLI export
and the real storage on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bot.app import build_app
from bot.dashboard.data import load_insights
from bot.export import run_export
from bot.settings import Secrets, Settings, parse_config
from storage.store import SqlStore
from tests.dashboard.seed import CONSENTED_COMMENTS, NOW, Seeded, seed_programme
from tests.dashboard.test_published_aggregates import APP_YAML, TOKEN, answer
from tests.fakes import FakeClock, run_cli, start_server


def exported_comments(folder: Path) -> list[str]:
    """comments.csv as written (a formula-like comment keeps its leading apostrophe)."""
    with (folder / "comments.csv").open(encoding="utf-8-sig", newline="") as handle:
        return [row["comment"] for row in csv.DictReader(handle)]


def comments_section(html: str) -> str:
    """The dashboard's comments card."""
    found = re.search(r'<section class="card" id="comments">.*?</section>', html, re.S)
    assert found
    return found.group(0)


async def share(
    db_url: str, seeded: Seeded, who: str, pair: str, session: int, text: str, at: datetime
) -> None:
    """Write the "one thing" and agree to share it, through the bot's own storage code."""
    store = SqlStore.open(db_url)
    try:
        person, pair_id = seeded.people[who], seeded.pairs[pair]
        await store.set_pulse_comment(person, pair_id, session, text, consent=False, at=at)
        await store.set_comment_consent(person, pair_id, session, True, at=at)
    finally:
        await store.close()


async def test_one_person_answering_with_a_shared_comment_changes_no_published_list(
    tmp_path: Path, db_url: str
) -> None:
    # Round 1's session 1 (8 respondents, 5 shared comments) is published; session 3 is due in
    # four days and still open. The admin reads, a known senior answers session 3 with a shared
    # comment, a known junior shares a comment on session 1 only now, the admin reads again.
    (tmp_path / "app.yaml").write_text(APP_YAML)
    seeded = await seed_programme(db_url, datetime.now(UTC))
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    env = {"MENTORBOT_ADMIN_TOKEN": TOKEN}
    async with start_server(tmp_path, db_url, env) as base, aiohttp.ClientSession() as http:

        async def readings(name: str) -> tuple[str, list[str]]:
            await run_cli(tmp_path, db_url, "export", str(tmp_path / name))
            async with http.get(f"{base}/admin", headers=bearer) as response:
                assert response.status == 200
                page = await response.text()
            return comments_section(page), exported_comments(tmp_path / name)

        page_before, csv_before = await readings("before")
        later = datetime.now(UTC)  # after the first reading published session 1
        await answer(db_url, seeded, "s6", "P3", 3, 5, later)
        await share(db_url, seeded, "s6", "P3", 3, "S6 SAYS: ask juniors first", later)
        await share(db_url, seeded, "s4", "P1", 1, "S4 SAYS: late but true", later)
        page_after, csv_after = await readings("after")

    assert len(csv_before) == len(CONSENTED_COMMENTS) and csv_before == sorted(csv_before)
    assert csv_after == csv_before
    assert page_after == page_before
    assert "SAYS" not in page_after and not any("SAYS" in c for c in csv_after)
    assert "Good questions, honest answers" in page_before


async def test_comments_appear_when_their_window_closes_with_k_people_and_never_under_k(
    tmp_path: Path, db_url: str
) -> None:
    seeded = await seed_programme(db_url)
    config = parse_config({"programme": {"start_date": "2027-01-11"}})
    clock = FakeClock(NOW)
    april = datetime(2027, 4, 6, 9, tzinfo=UTC)
    async with build_app(Settings(config, Secrets(database_url=db_url)), clock=clock) as app:

        async def comments(name: str) -> list[str]:
            await run_export(app, tmp_path / name)
            shown = list((await load_insights(app)).comments)
            assert [c.lstrip("'") for c in exported_comments(tmp_path / name)] == [
                c.lstrip("'") for c in shown
            ]
            return shown

        first = await comments("first")
        assert first == sorted(CONSENTED_COMMENTS)
        # Round 1's session 3 (due 5 April): five people answer it on 6 April and share a
        # comment. Round 2's session 1 (due 29 March, one active pair) gets one answer and one
        # comment: its window closes on 12 April with a single respondent.
        five = (("e1", "P1"), ("s4", "P1"), ("e2", "P2"), ("s5", "P2"), ("e3", "P3"))
        for who, pair in five:
            await answer(db_url, seeded, who, pair, 3, 4, april)
            await share(db_url, seeded, who, pair, 3, f"round 1 session 3 by {who}", april)
        await answer(db_url, seeded, "l1", "P8", 1, 5, april)
        await share(db_url, seeded, "l1", "P8", 1, "ALONE in round 2", april)

        clock.set(datetime(2027, 4, 13, 12, tzinfo=UTC))  # round 2's session 1 closed, under k
        assert await comments("small-window-closed") == first
        clock.set(datetime(2027, 4, 18, 12, tzinfo=UTC))  # session 3 still within its grace
        assert await comments("still-open") == first
        clock.set(datetime(2027, 4, 20, 12, tzinfo=UTC))  # session 3 published with five people
        published = await comments("published")
        session3 = [f"round 1 session 3 by {who}" for who, _ in five]
        assert published == sorted([*CONSENTED_COMMENTS, *session3])
        assert not any("ALONE" in c for c in published)

        # After publication: a changed comment and a new shared one are never shown, and the
        # published list stays as it was.
        later = datetime(2027, 4, 21, 9, tzinfo=UTC)
        await share(db_url, seeded, "e1", "P1", 3, "e1 CHANGED their mind", later)
        await answer(db_url, seeded, "s6", "P3", 3, 2, later)
        await share(db_url, seeded, "s6", "P3", 3, "s6 LATE comment", later)
        # A second "yes" on the old share button is no new sharing: e2's comment stays.
        store = SqlStore.open(db_url)
        try:
            await store.set_comment_consent(
                seeded.people["e2"], seeded.pairs["P2"], 3, True, at=later
            )
        finally:
            await store.close()
        clock.set(datetime(2027, 5, 1, 12, tzinfo=UTC))
        final = await comments("final")
        assert final == [c for c in published if c != "round 1 session 3 by e1"]
        assert not any("CHANGED" in c or "LATE" in c for c in final)
