"""`end pairing` in Slack, with the real `serve` against the fake Slack Web API: the junior's
slash command `/mentoring end pairing`, the block_actions confirm on the ephemeral answer, a
reason typed in the DM; the senior's DM then has a blame-free note and never the reason, the
admin's DM has it, and the senior is held out of matching."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from tests.adapters.slack.conftest import SlackDriver, slack_env
from tests.adapters.slack.fake_slack import TEAM, FakeSlack
from tests.adapters.slack.test_programme_round import buttons
from tests.fakes import run_cli, start_server

REASON = "I felt my ideas were brushed aside every time."


def ephemeral_button(fake: FakeSlack, value_suffix: str) -> tuple[str, dict[str, Any]] | None:
    """(response_url name, button) of the latest response_url answer with that button."""
    for name, body in reversed(fake.responses):
        for button in buttons(body):
            if button["action_id"].startswith("pairing.end") and button["value"].endswith(
                value_suffix
            ):
                return name, button
    return None


def click_ephemeral(
    fake: FakeSlack, user: str, channel: str, name: str, button: dict[str, Any]
) -> dict[str, Any]:
    """A block_actions payload for a button on an ephemeral message, as Slack sends it."""
    return {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
        "api_app_id": "A0APP",
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": f"{time.time():.6f}",
            "channel_id": channel,
            "is_ephemeral": True,
        },
        "trigger_id": f"{time.time_ns()}.click",
        "channel": {"id": channel, "name": "directmessage"},
        "response_url": fake.response_url(f"{name}-click-{time.time_ns()}"),
        "actions": [
            {
                "action_id": button["action_id"],
                "block_id": "b1",
                "text": button["text"],
                "value": button["value"],
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def texts_in(fake: FakeSlack, channel: str) -> str:
    return "\n".join(m["text"] for m in fake.history.get(channel, []))


async def test_a_junior_ends_the_pairing_in_slack(
    tmp_path: Path, db_url: str, fake_slack: FakeSlack
) -> None:
    start = (datetime.now(UTC) - timedelta(days=7)).date()
    (tmp_path / "app.yaml").write_text(
        f"programme:\n  name: Test Programme\n  start_date: {start}\n"
        "  require_mentee_consent: false\n  require_mentor_consent: false\n"
        "admins: [kim@example.com]\n"
    )
    (tmp_path / "people.csv").write_text(
        "email,name,title,level,department,timezone,role,slack_id\n"
        "ceo@example.com,Maya Okafor,CEO,8,Operations,Europe/London,mentee,U0CEO\n"
        "sam@example.com,Sam Lee,Analyst,2,Finance,Europe/London,mentor,U0SAM\n"
        "kim@example.com,Kim Park,Manager,5,Finance,Europe/London,,U0KIM\n"
    )
    await run_cli(tmp_path, db_url, "roster", "import", "people.csv")
    env = slack_env(fake_slack)
    soon = (datetime.now(UTC) + timedelta(days=4)).strftime("%Y-%m-%dT%H:%MZ")
    await run_cli(tmp_path, db_url, "tick", "--now", soon, env=env)  # the welcomes
    async with start_server(tmp_path, db_url, env) as base, aiohttp.ClientSession() as http:
        slack = SlackDriver(base, fake_slack, http)
        await slack.command("U0KIM", "pair sam@example.com with ceo@example.com")
        await fake_slack.wait_for(
            lambda: any(
                "Meet your reverse-mentoring" in texts_in(fake_slack, c)
                for c in list(fake_slack.history)
            ),
            what="the intro",
        )

        await slack.command("U0SAM", "end pairing", channel="D0SAM")
        name, confirm = await fake_slack.wait_for(
            lambda: ephemeral_button(fake_slack, ":confirm"), what="the confirm step"
        )
        asked = next(body for n, body in fake_slack.responses if n == name)
        assert "End your pairing with Maya?" in asked["text"]
        await slack.interaction(click_ephemeral(fake_slack, "U0SAM", "D0SAM", name, confirm))
        await fake_slack.wait_for(lambda: ephemeral_button(fake_slack, ":skip"), what="ended")
        await slack.dm("U0SAM", REASON)
        await fake_slack.wait_for(
            lambda: "only to them" in texts_in(fake_slack, "D0SAM"), what="reason taken"
        )
        # The programme team's notices go at once: that it ended (and the hold), and why.
        admin = await fake_slack.wait_for(
            lambda: [c for c in fake_slack.history if REASON in texts_in(fake_slack, c)],
            what="the reason to the admin",
        )

    # The senior's note goes at their next delivery hour.
    later = (datetime.now(UTC) + timedelta(days=6)).strftime("%Y-%m-%dT%H:%MZ")
    await run_cli(tmp_path, db_url, "tick", "--now", later, env=env)
    senior = [c for c in fake_slack.history if "come to an end" in texts_in(fake_slack, c)]
    assert len(senior) == 1
    note = texts_in(fake_slack, senior[0])
    assert "your pairing has come to an end" in note and "nobody's fault" in note
    # Only Kim's DM holds the reason; Maya's DM and the pair's conversation never do.
    assert admin == [c for c in fake_slack.history if REASON in texts_in(fake_slack, c)]
    assert senior[0] not in admin
    kim = texts_in(fake_slack, admin[0])
    assert "Maya Okafor is held out of matching" in kim
    health = await run_cli(tmp_path, db_url, "health", env=env)
    assert "Pairs awaiting review (1)" in health
