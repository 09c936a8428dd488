"""Running the real `mentorbot` command as an operator would, for tests/bot/test_operator*.py:
a work folder with app.yaml and a roster, one run in a fresh process, its one-line errors."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.serving import CLEARED

APP_YAML = """programme:
  name: Test Programme
  start_date: 2027-01-11
admins: [kim@example.com]
"""
# Maya (senior) and Ana (junior, not in Maya's reporting line) make one pair; Kim, the admin,
# is only in the directory.
ROSTER = """email,name,title,level,department,manager_email,timezone,role,teaches,learns
maya@example.com,Maya Okafor,CEO,8,Operations,,Europe/London,mentee,,GenAI tools
ana@example.com,Ana Diaz,Analyst,2,Finance,,Europe/London,mentor,GenAI tools,
kim@example.com,Kim Park,Manager,5,Finance,,Europe/Berlin,,,
"""
EVERY_COMMAND = (
    ("db", "upgrade"),
    ("roster", "import", "people.csv"),
    ("roster", "import", "people.csv", "--dry-run"),
    ("match",),
    ("report",),
    ("health",),
    ("export", "out"),
    ("tick",),
    ("chat", "--as", "kim@example.com"),
    ("serve",),
)


@dataclass
class Ran:
    code: int
    out: str
    err: str


def run(
    workdir: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    stdin: str = "",
) -> Ran:
    """`mentorbot --config workdir/app.yaml ARGS` in a fresh process; no platform switched on."""
    environment = {k: v for k, v in os.environ.items() if k not in (*CLEARED, "DATABASE_URL")}
    environment.update({"HOST": "127.0.0.1", "PORT": "0", **(env or {})})
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(workdir / "app.yaml"), *args],
        cwd=cwd or workdir,
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return Ran(done.returncode, done.stdout, done.stderr)


def one_line_error(ran: Ran) -> str:
    """The single stderr line of a failed command (and proof that there was nothing else)."""
    assert ran.code == 1, (ran.code, ran.out, ran.err)
    lines = ran.err.splitlines()
    assert len(lines) == 1, ran.err
    assert "Traceback" not in ran.err and lines[0].startswith("mentorbot")
    return lines[0]


def workdir_in(folder: Path) -> Path:
    """`folder` with the operator's app.yaml and people.csv in it."""
    (folder / "app.yaml").write_text(APP_YAML)
    (folder / "people.csv").write_text(ROSTER)
    return folder


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_server_url() -> str:
    """The PostgreSQL test server (`TEST_DATABASE_URL`), or skip (fail under CI=true)."""
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true requires TEST_DATABASE_URL")
        pytest.skip("TEST_DATABASE_URL is not set")
    return url
