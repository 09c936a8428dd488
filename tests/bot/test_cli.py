"""The `mentorbot` command line, run in-process against real databases."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.cli import main
from storage.db import create_engine

ROSTER = """email,name,title,level,department,manager_email,timezone,role,teaches,learns
ceo@example.com,Maya Okafor,CEO,8,Operations,,Europe/London,mentee,,GenAI tools
sam@example.com,Sam Lee,Analyst,2,Finance,ceo@example.com,Europe/London,mentor,GenAI tools,
kim@example.com,Kim Park,Manager,5,Finance,ceo@example.com,Europe/Berlin,,,
"""


@pytest.fixture
def workdir(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "app.yaml").write_text(
        "programme:\n  start_date: 2027-01-11\n  name: Test Programme\nadmins: [ceo@example.com]\n"
    )
    (tmp_path / "people.csv").write_text(ROSTER)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.delenv("MENTORBOT_CONFIG", raising=False)
    return tmp_path


def report(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    capsys.readouterr()
    assert main(["report", "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_report_is_all_zeros_on_an_empty_database(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert report(capsys) == {
        "participants": 0,
        "active_pairs": 0,
        "messages_sent": 0,
        "meetings_reported": 0,
        "pulse_responses": 0,
        "average_rating": None,
        "late_answers": 0,
        "open_respondents": 0,
        "open_counts": [0, 0, 0],
    }


def test_roster_import_dry_run_then_for_real(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["roster", "import", "people.csv", "--dry-run"]) == 0
    assert "Would import 3 people: 3 new" in capsys.readouterr().out
    assert report(capsys)["participants"] == 0
    assert main(["roster", "import", "people.csv"]) == 0
    out = capsys.readouterr().out
    assert "Imported 3 people: 3 new, 0 updated, 0 unchanged; 2 newly enrolled." in out
    assert "2 welcome messages queued" in out
    # With no platform, `serve` never delivers to the console: the operator is sent to `tick`.
    assert (
        "(sent by `mentorbot tick`, or by `mentorbot serve` once Slack or Teams is set up)" in out
    )
    assert report(capsys)["participants"] == 2
    # Importing the same file again changes nothing and welcomes nobody twice.
    assert main(["roster", "import", "people.csv"]) == 0
    assert "0 new, 0 updated, 3 unchanged; 0 newly enrolled." in capsys.readouterr().out


def test_a_roster_with_five_mistakes_gets_five_lines_and_changes_nothing(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "bad.csv").write_text(
        "email,name,level,role,timezone,manager_email\n"
        ",No Email,3,mentor,UTC,\n"
        "ana@example.com,Ana,two,mentor,UTC,\n"
        "bo@example.com,Bo,3,teacher,UTC,\n"
        "cy@example.com,Cy,3,mentor,Europe/Lodnon,\n"
        "ana@example.com,Ana Again,4,mentee,UTC,\n"
    )
    assert main(["roster", "import", "bad.csv"]) == 1
    err = capsys.readouterr().err
    problems = [line for line in err.splitlines() if line.startswith("line ")]
    assert len(problems) == 5, err
    assert problems[0].startswith("line 2: email:")
    assert problems[1].startswith("line 3: level:")
    assert problems[2].startswith("line 4: role:")
    assert problems[3].startswith("line 5: timezone:")
    assert problems[4].startswith("line 6: email:") and "line 3" in problems[4]
    assert "Traceback" not in err
    assert report(capsys)["participants"] == 0


def test_user_errors_exit_1_with_one_clear_message(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["roster", "import", "nope.csv"]) == 1
    assert "nope.csv: no such file" in capsys.readouterr().err
    assert main(["tick", "--now", "yesterday"]) == 1
    assert "not an ISO 8601 time" in capsys.readouterr().err
    assert main(["chat", "--as", "nobody@example.com"]) == 1
    assert "no one with email" in capsys.readouterr().err
    (workdir / "app.yaml").write_text(
        "programme:\n  start_date: 2027-01-11\nmatching:\n  min_level_gap: two\n"
    )
    assert main(["report"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == (
        "mentorbot: app.yaml: matching.min_level_gap: must be an integer >= 0 and <= 100, got 'two'"
    )


def test_tick_without_a_platform_delivers_to_the_console_inbox(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["roster", "import", "people.csv"]) == 0
    assert main(["tick", "--now", "2027-01-12T12:00:00Z"]) == 0
    out = capsys.readouterr().out
    assert "the console is the platform: delivered 2 messages to console inboxes" in out
    assert "mentorbot chat --as EMAIL" in out
    assert report(capsys)["messages_sent"] == 2


def test_chat_as_a_person(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    assert main(["roster", "import", "people.csv"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("status\npause until 2099-01-01\n1\nquit\n"))
    assert main(["chat", "--as", "SAM@example.com"]) == 0
    out = capsys.readouterr().out
    assert "Chatting with Mentorbot as Sam Lee" in out
    assert "You're enrolled as a reverse mentor" in out
    assert "Paused until Thu 1 Jan 2099" in out
    assert "Welcome back! You're active again." in out  # "1" pressed "Resume now"


def test_forget_erases_someone_by_email_and_refuses_what_it_cannot_do(
    workdir: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from storage.store import SqlStore
    from tests.dbfixtures import run_sync

    async def look() -> tuple[Any, ...]:
        store = SqlStore.open(db_url)
        try:
            people = {p.id: p for p in await store.all_people()}
            audit = [(e.actor, e.action, e.detail) for e in await store.recent()]
            return people, audit, await store.queue_counts()
        finally:
            await store.close()

    assert main(["roster", "import", "people.csv"]) == 0  # welcomes Sam and Maya
    capsys.readouterr()
    # Not a terminal and no --yes: nothing is erased.
    assert main(["forget", "sam@example.com"]) == 1
    assert "add --yes" in capsys.readouterr().err
    assert main(["forget", "nobody@example.com", "--yes"]) == 1
    err = capsys.readouterr().err
    assert "nobody with the email 'nobody@example.com'" in err and "Traceback" not in err

    assert main(["forget", "SAM@example.com", "--yes"]) == 0

    people, audit, queue = run_sync(look)
    [sam] = [p for p in people.values() if p.email.startswith("forgotten-")]
    out = capsys.readouterr().out
    assert f"call them {sam.email}" in out and "still listed under `admins`" not in out
    assert sam.name == sam.title == "" and "Sam Lee" not in repr(audit)
    assert ("cli", "forget", sam.email) in audit
    assert queue["cancelled"] == 1 and queue["pending"] == 1  # his welcome never goes out
    assert report(capsys)["participants"] == 1
    assert main(["forget", "sam@example.com", "--yes"]) == 1  # gone: no such email any more


def test_forgetting_an_admin_says_to_remove_them_from_app_yaml(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Erasing reaches the database, not app.yaml: the operator is told to finish the job."""
    assert main(["roster", "import", "people.csv"]) == 0
    capsys.readouterr()
    assert main(["forget", "CEO@example.com", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "ceo@example.com is still listed under `admins` in app.yaml: remove it there" in out


def test_match_publish_twice_publishes_nothing_new_and_tells_nobody_twice(
    workdir: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Two mentors for one senior: Sam reports to her, so Ann is paired and Sam left out.
    with (workdir / "people.csv").open("a") as roster:
        roster.write("ann@example.com,Ann Bell,Designer,2,Legal,,Europe/London,mentor,,\n")
    assert main(["roster", "import", "people.csv"]) == 0
    capsys.readouterr()
    assert main(["match", "--publish"]) == 0
    first = capsys.readouterr().out
    assert first.startswith("Published: 1 pair, 1 unmatched")
    assert "Sam Lee: no mentee at least 2 levels more senior outside their reporting line" in first
    # Bea joins late; the only senior is taken.
    with (workdir / "people.csv").open("a") as roster:
        roster.write("bea@example.com,Bea Cho,Engineer,2,Legal,,Europe/London,mentor,,\n")
    assert main(["roster", "import", "people.csv"]) == 0
    capsys.readouterr()
    assert main(["match", "--publish"]) == 0
    again = capsys.readouterr().out
    # Says what happened: Bea was told now (Sam before); pairing by hand is a chat command.
    assert again.startswith(
        "Nothing new to publish: no new pair can be made, so no round was started; 1 person "
        "without a partner was told why. Pair people by hand in an admin chat: "
        "`pair MENTOR with MENTEE`."
    )
    assert "Left without a partner (1 told now; 1 told before, not again):" in again
    assert asyncio.run(audit_details(db_url, "match publish")) == [
        "round 1: 1 pair, 1 unmatched",
        "no new round: 0 new pairs, 2 unmatched (1 told before, not again)",
    ]
    # What stops each of them, truly: Sam's reporting line still; for Bea, the senior is taken.
    assert "Sam Lee: no mentee at least 2 levels more senior outside their reporting line" in again
    assert "Bea Cho: every compatible mentee is already in a pair (1 would fit" in again
    # Sam is not told a second time; Bea is told once.
    assert asyncio.run(queued_like(db_url, "unmatched:%")) == 2


async def audit_details(db_url: str, action: str) -> list[str]:
    """The audit log's details for `action`, oldest first."""
    engine = create_engine(db_url)
    try:
        async with engine.connect() as connection:
            query = text("SELECT detail FROM audit_log WHERE action = :a ORDER BY id")
            return [str(d) for d in await connection.scalars(query, {"a": action})]
    finally:
        await engine.dispose()


async def queued_like(db_url: str, pattern: str) -> int:
    """How many queued rows have an idempotency key like `pattern`."""
    engine = create_engine(db_url)
    try:
        async with engine.connect() as connection:
            query = text("SELECT count(*) FROM due_work WHERE idempotency_key LIKE :p")
            return int(await connection.scalar(query, {"p": pattern}) or 0)
    finally:
        await engine.dispose()
