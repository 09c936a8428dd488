"""`mentorbot serve` with Slack on logs nothing routine at INFO: no scheduler chatter for every
tick, no Bolt warning about the token, no unclosed HTTP session at shutdown."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from tests.adapters.slack.conftest import APP_YAML, SlackDriver, slack_env
from tests.adapters.slack.fake_slack import FakeSlack
from tests.fakes import run_cli
from tests.serving import serve

# Kim is enrolled but has no slack_id: the tick's housekeeping finds her by email, which is how
# the test knows ticks ran.
ROSTER = """email,name,title,level,department,timezone,role,slack_id
ceo@example.com,Maya Okafor,CEO,8,Operations,Europe/London,mentee,U0CEO
kim@example.com,Kim Park,Manager,5,Finance,Europe/Berlin,mentor,
"""
NOISE = (
    "Running job",
    "executed successfully",
    "`token` will be unused",
    "Unclosed client session",
    "Unclosed connector",
    "Traceback",
)


async def test_a_normal_run_with_ticks_and_an_answer_logs_no_noise(
    tmp_path: Path, db_url: str, fake_slack: FakeSlack
) -> None:
    (tmp_path / "app.yaml").write_text(APP_YAML)
    (tmp_path / "people.csv").write_text(ROSTER)
    await run_cli(tmp_path, db_url, "roster", "import", "people.csv")
    env = slack_env(fake_slack, MENTORBOT_TICK_SECONDS="0.05")
    async with serve(tmp_path, db_url, env) as served, aiohttp.ClientSession() as http:
        await fake_slack.wait_for_call("users.lookupByEmail")  # a tick ran
        await SlackDriver(served.url, fake_slack, http).dm("U0CEO", "status")
        await fake_slack.wait_for_call("chat.postMessage", channel="D0CEO")
    log = served.log_text  # the whole run, shutdown included
    assert "Mentorbot listening on" in log
    found = [line for line in log.splitlines() if any(n in line for n in NOISE)]
    assert found == [], log
