"""A missed session through Slack (the real `serve` against a fake Slack Web API): "We
couldn't meet" in the pair's group DM names nobody and asks nothing about who; each partner is
asked privately, in their own DM, what got in the way; the admin's escalation singles nobody
out and says "not reported" where nobody answered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from tests.adapters.slack.conftest import SlackDriver, slack_env
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.test_programme_round import buttons, click, find_button, intros
from tests.fakes import run_cli, start_server

GROUP = "GCEOSAM"  # the fake's group DM of Maya (U0CEO) and Sam (U0SAM)


def texts(fake: FakeSlack, channel: str) -> list[str]:
    """Everything posted (or updated) in a channel, with the text of its blocks."""
    found = []
    for message in fake.history.get(channel, []):
        parts = [message["text"]]
        for block in message.get("blocks", []):
            if block.get("type") == "section" and "text" in block:
                parts.append(block["text"]["text"])
            parts += [b["text"]["text"] for b in buttons({"blocks": [block]})]
        found.append(" ".join(parts))
    return found


def button_in(fake: FakeSlack, channel: str, value_end: str) -> tuple[str, dict[str, Any]] | None:
    """(ts, button) of the newest message in `channel` with a button whose value ends so."""
    for message in fake.history.get(channel, []):
        for button in buttons(message):
            if str(button.get("value", "")).endswith(value_end):
                return message["ts"], button
    return None


def at(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%MZ")


async def test_a_missed_session_is_answered_privately_in_slack(
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
    await run_cli(tmp_path, db_url, "tick", "--now", at(4), env=env)  # the welcomes first
    async with start_server(tmp_path, db_url, env) as base, aiohttp.ClientSession() as http:
        slack = SlackDriver(base, fake_slack, http)
        await slack.dm("U0SAM", "status")  # the workspace becomes known
        await fake_slack.wait_for(
            lambda: fake_slack.calls_to("chat.postMessage", channel="D0SAM"), what="Sam's reply"
        )
        await slack.command("U0KIM", "pair sam@example.com with ceo@example.com")
        await fake_slack.wait_for(lambda: intros(fake_slack), what="the intro")

    # Session 1 is due (four weeks after the intro): the pair is asked in its group DM.
    await run_cli(tmp_path, db_url, "tick", "--now", at(31), env=env)
    channel, ts, missed = await fake_slack.wait_for(
        lambda: find_button(fake_slack, "meeting.missed"), what="did-you-meet"
    )
    assert channel == GROUP
    async with start_server(tmp_path, db_url, env) as base, aiohttp.ClientSession() as http:
        slack = SlackDriver(base, fake_slack, http)
        await slack.interaction(click("U0SAM", channel, ts, missed))
        [update] = await fake_slack.wait_for_call("chat.update", ts=ts)
        # The shared reply: no buttons, nobody named, nothing asked about who.
        said = update.args["text"]
        assert "ask you each privately what got in the way" in said
        assert not buttons(update.args)
        for word in ("Sam", "Maya", "Who", "called off"):
            assert word not in said
        # Sam's own question comes at once, to his DM only, with reasons rather than names.
        sam_ts, diary = await fake_slack.wait_for(
            lambda: button_in(fake_slack, "D0SAM", ":diary"), what="Sam's private question"
        )
        (question,) = [t for t in texts(fake_slack, "D0SAM") if "What got in the way" in t]
        assert "Diary clash" in question and "Rather not say" in question
        assert "never Maya" in question
        # Each reason button says what it is; nothing names a partner.
        labels = [b["text"]["text"] for b in buttons(fake_slack.history["D0SAM"][0])]
        assert labels == ["Diary clash", "Urgent work", "Something else", "Rather not say"]
        await slack.interaction(click("U0SAM", "D0SAM", sam_ts, diary))
        [noted] = await fake_slack.wait_for_call("chat.update", ts=sam_ts)
        assert noted.args["text"] == "Thanks — noted. 🙏"
    assert button_in(fake_slack, "D0CEO", ":diary") is None  # Maya's waits for her hour

    # Maya's question reaches her own DM at her next delivery hour.
    await run_cli(tmp_path, db_url, "tick", "--now", at(33), env=env)
    maya_ts, work = await fake_slack.wait_for(
        lambda: button_in(fake_slack, "D0CEO", ":work"), what="Maya's private question"
    )
    assert any("never Sam" in t for t in texts(fake_slack, "D0CEO"))
    async with start_server(tmp_path, db_url, env) as base, aiohttp.ClientSession() as http:
        slack = SlackDriver(base, fake_slack, http)
        await slack.interaction(click("U0CEO", "D0CEO", maya_ts, work))
        await fake_slack.wait_for_call("chat.update", ts=maya_ts)

    # Session 2 goes unreported; after its lapse the admin hears about both alike.
    await run_cli(tmp_path, db_url, "tick", "--now", at(75), env=env)
    notice = await fake_slack.wait_for(
        lambda: next((t for t in texts(fake_slack, "D0KIM") if "have not held" in t), None),
        what="the escalation",
    )
    assert "Maya Okafor and Sam Lee have not held 2 of their sessions" in notice
    assert "Session 1 — couldn't meet (diary clash, urgent work)" in notice
    assert "Session 2 — not reported" in notice
    for word in ("mentor", "mentee", "called off"):
        assert word not in notice
    # Nothing in the pair's shared conversation ever said who called a session off.
    shared = " ".join(texts(fake_slack, GROUP))
    assert "called off" not in shared and "Who had to" not in shared
    assert "What got in the way" not in shared
