"""Fixtures for the hostile suite: the adapter suites' fakes, and a workdir whose roster is
enrolled (so an admin command that slipped through would have something to change)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.adapters.slack.conftest import fake_slack, run_cli  # noqa: F401
from tests.adapters.teams.conftest import connector  # noqa: F401

ADMIN = "ceo@example.com"
APP_YAML = f"""programme:
  name: Hostile Programme
  start_date: 2027-01-11
admins: [{ADMIN}]
"""
# Sam (Slack U0SAM, Teams aad-sam) is the non-admin who tries every admin command.
ROSTER = """email,name,title,level,department,timezone,role,teaches,learns,slack_id,teams_id
ceo@example.com,Maya Okafor,CEO,8,Operations,Europe/London,,,,U0CEO,aad-ceo
sam@example.com,Sam Lee,Analyst,2,Finance,Europe/London,mentor,GenAI tools,,U0SAM,aad-sam
kim@example.com,Kim Park,Director,7,Sales,Europe/London,mentee,,GenAI tools,U0KIM,aad-kim
lee@example.com,Lee Chan,Engineer,1,Sales,Europe/London,mentor,GenAI tools,,U0LEE,aad-lee
ana@example.com,Ana Ruiz,VP,9,Finance,Europe/London,mentee,,GenAI tools,U0ANA,aad-ana
"""


@pytest.fixture
async def hostile_workdir(tmp_path: Path, db_url: str) -> Path:
    """app.yaml (admin: ceo@) and an imported, enrolled roster in a fresh database."""
    (tmp_path / "app.yaml").write_text(APP_YAML)
    (tmp_path / "people.csv").write_text(ROSTER)
    await run_cli(tmp_path, db_url, "roster", "import", "people.csv")
    return tmp_path
