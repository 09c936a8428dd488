"""`concern` through Slack alone (the real `serve`, a fake Slack Web API): the slash command
with the text, and a DM conversation (`concern`, then the text). Only the concern contact's
DM receives it; the partner, the pair's group DM and the admin receive nothing about it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from tests.adapters.slack.conftest import SlackDriver, slack_env
from tests.adapters.slack.fake_slack import FakeSlack
from tests.fakes import run_cli, start_server

FIRST = "Maya keeps asking me who I vote for and I don't want to say"
SECOND = "After our last session Maya messaged me late at night several times"


def _posts_with(fake: FakeSlack, words: str) -> list[str]:
    """The channels of every message, ephemeral or response the bot sent containing
    `words`."""
    found = [
        channel
        for channel, messages in fake.history.items()
        for message in messages
        if words in message["text"] or words in str(message["blocks"])
    ]
    found += [
        f"ephemeral:{call.args.get('channel')}"
        for call in fake.calls_to("chat.postEphemeral")
        if words in str(call.args)
    ]
    found += [f"response:{name}" for name, body in fake.responses if words in str(body)]
    return found


async def test_a_concern_reaches_only_the_contacts_dm_on_slack(
    tmp_path: Path, db_url: str, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("U0HR", "hana@example.com", name="Hana Ito")
    start = (datetime.now(UTC) - timedelta(days=7)).date()
    (tmp_path / "app.yaml").write_text(
        f"programme:\n  name: Test Programme\n  start_date: {start}\n"
        "  require_mentee_consent: false\n"
        "admins: [kim@example.com, ceo@example.com]\n"
        "privacy:\n  concern_contacts: [hana@example.com]\n"
        "  support_text: Our Employee Assistance Programme is open any time.\n"
    )
    (tmp_path / "people.csv").write_text(
        "email,name,title,level,department,timezone,role,slack_id\n"
        "ceo@example.com,Maya Okafor,CEO,8,Operations,Europe/London,mentee,U0CEO\n"
        "sam@example.com,Sam Lee,Analyst,2,Finance,Europe/London,mentor,U0SAM\n"
        "kim@example.com,Kim Park,Manager,5,Finance,Europe/London,,U0KIM\n"
        "hana@example.com,Hana Ito,HR Partner,6,People,Europe/London,,U0HR\n"
    )
    await run_cli(tmp_path, db_url, "roster", "import", "people.csv")
    env = slack_env(fake_slack)
    async with start_server(tmp_path, db_url, env) as base, aiohttp.ClientSession() as http:
        slack = SlackDriver(base, fake_slack, http)
        await slack.command("U0KIM", "pair sam@example.com with ceo@example.com")
        await fake_slack.wait_for(lambda: fake_slack.responses, what="the pairing answer")

        # The slash command, from any channel: answered privately through response_url.
        await slack.command("U0SAM", f"concern {FIRST}", channel="C0GENERAL")
        await fake_slack.wait_for(
            lambda: _posts_with(fake_slack, FIRST) and "D0HR" in _posts_with(fake_slack, FIRST),
            what="the first concern in Hana's DM",
        )
        thanks = [b for _, b in fake_slack.responses if "Thank you for telling us" in str(b)]
        assert thanks and "Hana Ito will be in touch" in str(thanks[0])

        # A DM: `concern`, then the text on its own line.
        await slack.dm("U0SAM", "concern")
        await fake_slack.wait_for(
            lambda: any(
                "never your partner" in m["text"] for m in fake_slack.history.get("D0SAM", [])
            ),
            what="the invitation",
        )
        await slack.dm("U0SAM", SECOND)
        await fake_slack.wait_for(
            lambda: "D0HR" in _posts_with(fake_slack, SECOND), what="the second concern"
        )
        await fake_slack.wait_for(
            lambda: any(
                "Your reference is C-2" in m["text"] for m in fake_slack.history.get("D0SAM", [])
            ),
            what="the thanks in Sam's DM",
        )

    # Each went to Hana's DM once, and nowhere else (no partner, group DM or admin).
    assert _posts_with(fake_slack, FIRST) == ["D0HR"]
    assert _posts_with(fake_slack, SECOND) == ["D0HR"]
    for channel in ("D0CEO", "D0KIM", "GCEOSAM"):
        assert not any("Concern C-" in m["text"] for m in fake_slack.history.get(channel, []))
    (notice,) = [m for m in fake_slack.history["D0HR"] if "Concern C-1" in m["text"]]
    assert "From Sam Lee (sam@example.com), the junior mentor" in notice["text"]
