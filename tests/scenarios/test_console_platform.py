"""The terminal is a real platform: a whole small programme run with the real `mentorbot`
command, as a newcomer would after `make demo`, with no Slack or Teams configured.

The example app.yaml and the shipped sample roster; the demo's closing hint, run as printed;
`tick` delivering to console inboxes; `chat --as` showing a person's messages with buttons that
work by number or label; `status` telling a pending proposal; the consent preview never before
the welcome; then the intro, did-you-meet and the pulse.
"""

from __future__ import annotations

import csv
import json
import os
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.demo import TRY_AS, TRY_JUNIOR, try_it_yourself
from bot.settings import load_config
from tests.serving import CLEARED

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "bot" / "data" / "sample_roster.csv"


@dataclass
class Ran:
    code: int
    out: str
    err: str


def run(command: Sequence[str], workdir: Path, db_url: str, stdin: str = "") -> Ran:
    """One `mentorbot …` command in a fresh process, in `workdir`, no platform configured."""
    environment = {k: v for k, v in os.environ.items() if k not in CLEARED}
    environment["DATABASE_URL"] = db_url
    environment.pop("MENTORBOT_CONFIG", None)
    done = subprocess.run(
        list(command),
        cwd=workdir,
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return Ran(done.returncode, done.stdout, done.stderr)


def ok(ran: Ran) -> str:
    assert ran.code == 0, (ran.out, ran.err)
    return ran.out


def later_working_day(day: date, days: int) -> str:
    """`days` after `day`, moved to a working day, at noon UTC (after everyone's 10:00)."""
    moved = day + timedelta(days=days)
    while moved.weekday() >= 5:
        moved += timedelta(days=1)
    return f"{moved:%Y-%m-%d}T12:00Z"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with the repository's example app.yaml, as a fresh clone has."""
    shutil.copyfile(ROOT / "app.yaml", tmp_path / "app.yaml")
    monkeypatch.chdir(tmp_path)  # where the demo's hint is printed for
    return tmp_path


def test_a_newcomer_runs_a_programme_in_the_terminal(workdir: Path, db_url: str) -> None:
    hint = try_it_yourself(workdir / "app.yaml", datetime.now(UTC).date())
    commands = [shlex.split(line) for line in hint.splitlines() if line.startswith("  ")]
    assert [c[-2:] for c in commands[:2]] == [["import", str(SAMPLE)], ["match", "--publish"]]
    imp, publish, tick, chat_senior, chat_junior = commands
    now = tick[-1]
    mentorbot = imp[: -len(["roster", "import", str(SAMPLE)])]

    assert "35 welcome messages queued" in ok(run(imp, workdir, db_url))
    published = ok(run(publish, workdir, db_url))
    junior = next(
        line.split(" mentors ")[0].split(". ", 1)[1]
        for line in published.splitlines()
        if line.endswith("five levels apart") and "Priya Raghunathan" in line
    )
    assert junior == "Aisha Al-Sayed"
    mentor = TRY_JUNIOR
    assert chat_junior[-3] == mentor

    # Right after publishing, nobody's welcome is due yet: the preview waits for it.
    ticked = ok(run([*mentorbot, "tick"], workdir, db_url))
    assert "the console is the platform: delivered" in ticked
    early = ok(run([*mentorbot, "chat", "--as", TRY_AS], workdir, db_url, "status\nquit\n"))
    assert "I'd like to pair you with" not in early
    assert "No messages for you yet." in early
    # …but `status` already tells both sides about the pending proposal, each with buttons.
    assert "You have a proposed reverse mentor: Aisha Al-Sayed" in early
    assert "[1] Accept   [2] Ask for someone else" in early
    waiting = ok(run([*mentorbot, "chat", "--as", mentor], workdir, db_url, "status\n"))
    assert "You have a proposed mentee: Priya Raghunathan" in waiting
    assert "[1] Accept   [2] Ask for someone else" in waiting
    assert "I'll let you know as soon as you have a partner" not in waiting

    delivered = ok(run(tick, workdir, db_url))
    assert "the console is the platform: delivered" in delivered
    assert "console inboxes (read them with `mentorbot chat --as EMAIL`)" in delivered

    senior = ok(run(chat_senior, workdir, db_url, "accept\nstatus\nquit\n"))
    welcome = senior.index("Welcome to Reverse Mentoring 2027")
    preview = senior.index("I'd like to pair you with Aisha Al-Sayed")
    assert welcome < preview
    assert "Accept" in senior[preview:] and "I didn't catch that" not in senior
    assert "as soon as Aisha confirms too" in senior[preview:]
    assert "Waiting for Aisha Al-Sayed to confirm" in senior[preview:]

    junior_side = ok(run(chat_junior, workdir, db_url, "accept\nquit\n"))
    preview = junior_side.index("I'd like you to be Priya Raghunathan's reverse mentor")
    accepted = junior_side.index("Wonderful — I'll introduce you to Priya now.", preview)
    assert junior_side.index("Meet your reverse-mentoring partner!", accepted) > accepted
    senior_side = ok(run(chat_senior, workdir, db_url, "status\nquit\n"))
    assert "Meet your reverse-mentoring partner!" in senior_side
    assert "Your mentor: Aisha Al-Sayed" in senior_side

    # Four weeks on: session 1 is due; the junior answers by label, then rates by number.
    first_day = datetime.fromisoformat(now.replace("Z", "+00:00")).date()
    session_1 = later_working_day(first_day, 30)
    ok(run([*mentorbot, "tick", "--now", session_1], workdir, db_url))
    answered = ok(
        run(
            [*mentorbot, "chat", "--as", mentor, "--now", session_1],
            workdir,
            db_url,
            "we met\n5\nquit\n",
        )
    )
    # `tick --now` jumped past the session's date: the question names it, not "today".
    asked = answered[answered.index("Session 1 of 6 was planned for ") :]
    assert asked.index("Did you meet?") < 60 and "planned for today" not in answered
    assert "Aisha says you met for Session 1 of 6" in answered
    assert "Thanks — 5/5 noted." in answered
    figures = json.loads(ok(run([*mentorbot, "report", "--format", "json"], workdir, db_url)))
    # (pulse answers are counted once their window closes, never one person's alone)
    assert figures["meetings_reported"] == 1
    assert figures["active_pairs"] == 1


def test_a_junior_asks_for_someone_else_in_the_terminal(workdir: Path, db_url: str) -> None:
    """The junior declines before the senior's preview goes out: the senior never sees it,
    is never told who or why, and the two are not proposed together again."""
    hint = try_it_yourself(workdir / "app.yaml", datetime.now(UTC).date())
    imp, publish, tick, chat_senior, chat_junior = (
        shlex.split(line) for line in hint.splitlines() if line.startswith("  ")
    )
    mentorbot = imp[: -len(["roster", "import", str(SAMPLE)])]
    ok(run(imp, workdir, db_url))
    assert "Aisha Al-Sayed mentors Priya Raghunathan" in ok(run(publish, workdir, db_url))

    junior = ok(run([*mentorbot, "chat", "--as", TRY_JUNIOR], workdir, db_url, "status\n2\nquit\n"))
    assert "You have a proposed mentee: Priya Raghunathan" in junior
    answer = " ".join(junior[junior.index("[2] Ask for someone else") :].split())
    assert "I'll look for someone else for you in the next round" in answer
    assert "your answer stays between you and me" in answer and "Priya" not in answer

    ok(run(tick, workdir, db_url))  # Priya's preview was waiting for her welcome: cancelled
    senior = ok(run(chat_senior, workdir, db_url, "status\nquit\n"))
    assert "Welcome to Reverse Mentoring 2027" in senior
    assert "I'd like to pair you with" not in senior and "Aisha" not in senior
    assert "Accept" not in senior

    again = ok(run([*mentorbot, "match"], workdir, db_url))
    assert "Aisha Al-Sayed mentors Priya Raghunathan" not in again
    assert "Aisha Al-Sayed" in again and "Priya Raghunathan" in again  # first in line
    junior = ok(run(chat_junior, workdir, db_url, "status\nquit\n"))
    assert "Priya" not in junior.split("Ask for someone else")[-1]


def test_the_example_admin_is_in_the_sample_roster() -> None:
    with SAMPLE.open(encoding="utf-8") as sample:
        emails = {row["email"] for row in csv.DictReader(sample)}
    admins = load_config(ROOT / "app.yaml").admins
    assert admins and set(admins) <= emails


def test_both_partners_agree_the_ground_rules_in_the_terminal(workdir: Path, db_url: str) -> None:
    hint = try_it_yourself(workdir / "app.yaml", datetime.now(UTC).date())
    imp, publish, tick, chat_senior, chat_junior = [
        shlex.split(line) for line in hint.splitlines() if line.startswith("  ")
    ]
    now = tick[-1]
    mentorbot = imp[: -len(["roster", "import", str(SAMPLE)])]
    ok(run(imp, workdir, db_url))
    ok(run(publish, workdir, db_url))
    ok(run(tick, workdir, db_url))
    ok(run(chat_senior, workdir, db_url, "accept\nquit\n"))
    ok(run(chat_junior, workdir, db_url, "accept\nquit\n"))  # both partners consent
    # The day before session 1 (due four weeks after the intro, on a working day): the
    # junior's choice of topic and then the pair's session 1 message have both gone out.
    due = datetime.fromisoformat(now.replace("Z", "+00:00")).date() + timedelta(days=28)
    while due.weekday() >= 5:
        due += timedelta(days=1)
    eve = f"{due - timedelta(days=1):%Y-%m-%d}T12:00Z"
    ok(run([*mentorbot, "tick", "--now", eve], workdir, db_url))
    mentor = "aisha.alsayed@example.com"

    junior = ok(
        run([*mentorbot, "chat", "--as", mentor, "--now", eve], workdir, db_url, "I agree\nquit\n")
    )
    assert "You lead — pick the topic" in junior  # the private choice came first
    rules = junior.index("It starts with your ground rules")
    for rule in ("stays between the two of you", "concern", "pass on any question"):
        assert rule in junior[rules:], rule
    assert "Thanks, Aisha — waiting for Priya." in junior

    senior = ok(
        run(
            [*mentorbot, "chat", "--as", TRY_AS, "--now", eve],
            workdir,
            db_url,
            "I agree\nstatus\nquit\n",
        )
    )
    assert "You lead — pick the topic" not in senior  # the junior's choice is theirs alone
    assert "You've both agreed the ground rules ✅" in senior
    # Recorded: a fresh process reads it back.
    again = ok(run([*mentorbot, "chat", "--as", mentor, "--now", eve], workdir, db_url, "status\n"))
    assert "Ground rules: agreed by both" in again
