"""`end pairing` on the console, with the real `mentorbot` command in fresh processes: the junior
ends the pairing and gives a reason; the senior's inbox has a blame-free note without it; the
admin's inbox has it; `mentorbot health` lists the pair for review; `mentorbot match` leaves
the senior out until the admin types `release EMAIL`.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from tests.scenarios.test_console_platform import ROOT, SAMPLE, ok, run

JUNIOR = "aisha.alsayed@example.com"
SENIOR = "priya.raghunathan@example.com"
ADMIN = "folasade.adeyemi@example.com"  # app.yaml's admin, in the sample roster
REASON = "He kept checking his phone and dismissed my ideas."
MENTORBOT = [sys.executable, "-m", "bot"]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with the repository's example app.yaml, as a fresh clone has."""
    shutil.copyfile(ROOT / "app.yaml", tmp_path / "app.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_junior_ends_the_pairing_in_the_terminal(workdir: Path, db_url: str) -> None:
    def mentorbot(*args: str, stdin: str = "") -> str:
        # Lines wrapped for the terminal are joined again, so phrases read whole.
        return " ".join(ok(run([*MENTORBOT, *args], workdir, db_url, stdin)).split())

    mentorbot("roster", "import", str(SAMPLE))
    assert "Aisha Al-Sayed mentors Priya Raghunathan" in mentorbot("match", "--publish")
    mentorbot("tick", "--now", "2027-01-11T12:00Z")
    mentorbot("chat", "--as", SENIOR, "--now", "2027-01-11T12:05Z", stdin="accept\nquit\n")
    mentorbot("chat", "--as", JUNIOR, "--now", "2027-01-11T12:06Z", stdin="accept\nquit\n")
    mentorbot("tick", "--now", "2027-01-12T12:00Z")

    ended = mentorbot(
        "chat",
        "--as",
        JUNIOR,
        "--now",
        "2027-01-20T12:00Z",
        stdin=f"end pairing\nEnd the pairing\n{REASON}\nquit\n",
    )
    assert "End your pairing with Priya?" in ended
    assert "Done — your pairing with Priya has ended." in ended
    assert "only the programme team reads it" in ended
    assert "passed that on to the programme team, and only to them" in ended

    mentorbot("tick", "--now", "2027-01-21T12:00Z")
    senior = mentorbot("chat", "--as", SENIOR, "--now", "2027-01-21T12:05Z", stdin="quit\n")
    note = senior[senior.index("(partner_left)") :]
    assert "your pairing has come to an end" in note
    assert "nobody's fault" in note
    assert "dismissed" not in senior and "checking his phone" not in senior
    assert "held" not in note and "first in line" not in note

    admin = mentorbot("chat", "--as", ADMIN, "--now", "2027-01-21T12:05Z", stdin="quit\n")
    assert "Priya Raghunathan is held out of matching" in admin
    assert f"“{REASON}”" in admin

    health = mentorbot("health")
    assert "Pairs awaiting review (1)" in health
    assert f"`release {SENIOR}` once reviewed" in health
    held = mentorbot("match")
    assert f"Held for review (1): Priya Raghunathan ({SENIOR})" in held
    assert "mentors Priya Raghunathan" not in held

    released = mentorbot(
        "chat", "--as", ADMIN, "--now", "2027-01-21T12:10Z", stdin=f"release {SENIOR}\nquit\n"
    )
    assert "Priya Raghunathan is back in matching" in released
    assert "awaiting review" not in mentorbot("health")
    again = mentorbot("match")
    assert "Held for review" not in again
    assert "Aisha Al-Sayed mentors Priya Raghunathan" not in again  # never paired again
