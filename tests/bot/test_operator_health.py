"""An operator's first hour, continued: `mentorbot health` agreeing with chat and `report`, and
the CLI's wording and exit codes (the real `mentorbot` command as a subprocess).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from conversations.types import Status
from storage.store import SqlStore
from tests.bot.operator_cli import ROSTER, one_line_error, run, workdir_in


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return workdir_in(tmp_path)


# --- `mentorbot health` agrees with chat `health` and `report` ---------------------------------


async def test_health_on_the_cli_in_chat_and_report_count_the_same_unreachable_people(
    workdir: Path, db_url: str, store: SqlStore
) -> None:
    """With Slack configured, a participant with no Slack account cannot be reached, even
    after using `mentorbot chat` (a console identity delivers nothing on Slack)."""
    # No Slack server is contacted: health, report and chat only read the database.
    env = {"DATABASE_URL": db_url, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s"}
    assert run(workdir, "roster", "import", "people.csv", env=env).code == 0
    # Ana's platform said she cannot be reached; Maya takes part but has no chat account.
    ana = await store.person_by_email("ana@example.com")
    assert ana is not None
    await store.set_status(ana.id, Status.UNREACHABLE, at=datetime.now(UTC))
    maya = run(workdir, "chat", "--as", "maya@example.com", env=env, stdin="help\nquit\n")
    assert maya.code == 0, maya.err

    cli = run(workdir, "health", env=env)
    assert cli.code == 0, cli.err
    assert "Can't be reached (2): Ana Diaz, Maya Okafor" in cli.out
    assert "• no Slack or Teams account linked (1)" in cli.out
    assert "• the platform says the bot cannot reach them (1)" in cli.out
    report = run(workdir, "report", env=env)
    assert "2 people the bot cannot reach" in report.out
    chat = run(workdir, "chat", "--as", "kim@example.com", env=env, stdin="health\nquit\n")
    assert chat.code == 0, chat.err
    for line in cli.out.strip().splitlines():
        assert line in chat.out  # the same text, line for line


async def test_with_the_console_as_the_platform_nobody_lacks_an_account(
    workdir: Path, db_url: str, store: SqlStore
) -> None:
    """No Slack or Teams configured: `tick` and `chat` deliver to everyone's console inbox, so
    only the people a platform refused count as unreachable, whether or not they ran `chat`."""
    env = {"DATABASE_URL": db_url}
    assert run(workdir, "roster", "import", "people.csv", env=env).code == 0
    ana = await store.person_by_email("ana@example.com")
    assert ana is not None
    await store.set_status(ana.id, Status.UNREACHABLE, at=datetime.now(UTC))

    cli = run(workdir, "health", env=env)
    assert cli.code == 0, cli.err
    assert "Can't be reached (1): Ana Diaz" in cli.out
    assert "account linked" not in cli.out and "Maya" not in cli.out
    report = run(workdir, "report", env=env)
    assert "1 person the bot cannot reach" in report.out
    chat = run(workdir, "chat", "--as", "kim@example.com", env=env, stdin="health\nquit\n")
    assert chat.code == 0, chat.err
    for line in cli.out.strip().splitlines():
        assert line in chat.out


# --- CLI wording and exit codes ----------------------------------------------------------------


def test_match_on_the_cli_speaks_cli_and_counts_in_good_english(workdir: Path) -> None:
    assert run(workdir, "roster", "import", "people.csv").code == 0
    ran = run(workdir, "match")
    assert ran.code == 0, ran.err
    assert "Dry run — nothing is stored or sent yet: 1 pair, 0 unmatched" in ran.out
    assert "Run `mentorbot match --publish` to store this pair" in ran.out
    assert "`match publish`" not in ran.out
    (workdir / "one.csv").write_text(ROSTER.splitlines()[0] + "\n" + ROSTER.splitlines()[1])
    one = run(workdir, "roster", "import", "one.csv", "--dry-run")
    assert "Would import 1 person: 0 new, 0 updated, 1 unchanged" in one.out
    assert "2 people in the directory are not in this file" in one.out


def test_an_unknown_command_exits_1_naming_the_known_ones(workdir: Path) -> None:
    line = one_line_error(run(workdir, "frobnicate"))
    assert "unknown command 'frobnicate'" in line
    assert all(name in line for name in ("roster", "match", "report", "health", "serve"))
    assert "roster: unknown action 'frob'" in one_line_error(run(workdir, "roster", "frob"))
    assert one_line_error(run(workdir, "report", "--format", "xml")).count("xml") == 1
    helped = run(workdir, "--help")
    assert helped.code == 0 and "health" in helped.out
