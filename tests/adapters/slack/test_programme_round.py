"""A whole programme round through Slack alone: join, pair, consent by button, intro, the
did-you-meet question, "We met" (which updates the clicked message) and the pulse."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from tests.adapters.slack.conftest import SlackDriver, slack_env
from tests.adapters.slack.fake_slack import TEAM, FakeSlack
from tests.fakes import run_cli, start_server


def buttons(call_args: dict[str, Any]) -> list[dict[str, Any]]:
    """Every button element of a posted message."""
    return [
        e
        for b in call_args.get("blocks", [])
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] == "button"
    ]


def find_button(fake: FakeSlack, prefix: str) -> tuple[str, str, dict[str, Any]] | None:
    """(channel, ts, button) of the latest posted message with a button whose id starts so."""
    for channel, messages in fake.history.items():
        for message in messages:
            for button in buttons(message):
                if button["action_id"].startswith(prefix):
                    return channel, message["ts"], button
    return None


def find_button_in(
    fake: FakeSlack, channel: str, prefix: str
) -> tuple[str, str, dict[str, Any]] | None:
    """Like `find_button`, in one channel only."""
    for message in fake.history.get(channel, []):
        for button in buttons(message):
            if button["action_id"].startswith(prefix):
                return channel, message["ts"], button
    return None


def click(user: str, channel: str, ts: str, button: dict[str, Any]) -> dict[str, Any]:
    """A block_actions payload for pressing `button` on message `ts`, as Slack sends it."""
    return {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
        "api_app_id": "A0APP",
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": f"{time.time_ns()}.click",
        "channel": {"id": channel, "name": "directmessage"},
        "message": {"type": "message", "ts": ts, "text": "", "bot_id": "B0BOT"},
        "response_url": f"https://hooks.slack.invalid/actions/{ts}",
        "actions": [
            {
                "action_id": button["action_id"],
                "block_id": "b1",
                "text": button["text"],
                "value": button.get("value", ""),
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


async def test_a_round_from_join_to_pulse_runs_in_slack(
    tmp_path: Path, db_url: str, fake_slack: FakeSlack
) -> None:
    # Started last week, so intros go out at once rather than on the start date.
    start = (datetime.now(UTC) - timedelta(days=7)).date()
    (tmp_path / "app.yaml").write_text(
        f"programme:\n  name: Test Programme\n  start_date: {start}\n"
        "admins: [ceo@example.com, kim@example.com]\n"
    )
    (tmp_path / "people.csv").write_text(
        "email,name,title,level,department,timezone,role,slack_id\n"
        "ceo@example.com,Maya Okafor,CEO,8,Operations,Europe/London,,U0CEO\n"
        "kim@example.com,Kim Park,Programme lead,5,People,Europe/London,,U0KIM\n"
        "sam@example.com,Sam Lee,Analyst,2,Finance,Europe/London,,U0SAM\n"
    )
    await run_cli(tmp_path, db_url, "roster", "import", "people.csv")
    env = slack_env(fake_slack)
    async with start_server(tmp_path, db_url, env) as base, aiohttp.ClientSession() as http:
        slack = SlackDriver(base, fake_slack, http)
        await slack.command("U0SAM", "join mentor", channel="D0SAM")
        await slack.command("U0CEO", "join mentee", channel="D0CEO")
        await fake_slack.wait_for(lambda: len(fake_slack.responses) >= 2, what="both joined")

        # Kim pairs them: an admin never pairs herself (conversations/pairing/rounds.py).
        await slack.command("U0KIM", "pair sam@example.com with ceo@example.com", channel="D0KIM")
        # The senior's consent preview is queued and delivered at once, to their DM.
        channel, ts, accept = await fake_slack.wait_for(
            lambda: find_button(fake_slack, "consent.accept"), what="consent preview"
        )
        assert channel == "D0CEO"
        await slack.interaction(click("U0CEO", channel, ts, accept))
        # The junior is asked too, privately; the second yes introduces them.
        channel, ts, accept = await fake_slack.wait_for(
            lambda: find_button_in(fake_slack, "D0SAM", "consent.accept"), what="Sam's preview"
        )
        await slack.interaction(click("U0SAM", channel, ts, accept))

        # The intro reaches the pair (the delivery worker decides where: group DM or DMs).
        await fake_slack.wait_for(
            lambda: any(
                "Maya" in m["text"]
                for ch, msgs in fake_slack.history.items()
                if ch != "D0CEO"
                for m in msgs
            ),
            what="intro",
        )

    # A month on, the scheduler asks the pair whether they met (sent through Slack).
    later = (datetime.now(UTC) + timedelta(days=45)).isoformat()
    await run_cli(tmp_path, db_url, "tick", "--now", later, env=env)
    channel, ts, met = await fake_slack.wait_for(
        lambda: find_button(fake_slack, "meeting.met"), what="did-you-meet"
    )

    async with start_server(tmp_path, db_url, env) as base, aiohttp.ClientSession() as http:
        slack = SlackDriver(base, fake_slack, http)
        await slack.interaction(click("U0SAM", channel, ts, met))
        # The answer replaces the clicked message, so it is clear it was taken…
        [update] = await fake_slack.wait_for_call("chat.update", ts=ts)
        assert update.args["channel"] == channel
        assert not any(b["action_id"].startswith("meeting.") for b in buttons(update.args))
        # …and the person who answered gets the 1–5 pulse, privately.
        await fake_slack.wait_for(
            lambda: (
                find_button(fake_slack, "pulse.rate")
                or [c for c in fake_slack.calls_to("chat.postEphemeral") if buttons(c.args)]
            ),
            what="pulse",
        )


async def test_a_junior_declines_a_proposal_in_slack(
    tmp_path: Path, db_url: str, fake_slack: FakeSlack
) -> None:
    """Sam, the junior, taps "Ask for someone else" on his private preview: the pairing is
    declined, Maya (who had said yes) gets a kind note that names nobody, and no intro."""
    start = (datetime.now(UTC) - timedelta(days=7)).date()
    (tmp_path / "app.yaml").write_text(
        f"programme:\n  name: Test Programme\n  start_date: {start}\nadmins: [kim@example.com]\n"
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
    await run_cli(tmp_path, db_url, "tick", "--now", soon, env=env)  # the welcomes first
    async with start_server(tmp_path, db_url, env) as base, aiohttp.ClientSession() as http:
        slack = SlackDriver(base, fake_slack, http)
        await slack.command("U0KIM", "pair sam@example.com with ceo@example.com")
        maya = await fake_slack.wait_for(
            lambda: find_button_in(fake_slack, "D0CEO", "consent.accept"), what="Maya's preview"
        )
        sam = await fake_slack.wait_for(
            lambda: find_button_in(fake_slack, "D0SAM", "consent.decline"), what="Sam's preview"
        )
        preview = next(m for m in fake_slack.history["D0SAM"] if m["ts"] == sam[1])
        assert "Maya Okafor" in preview["text"] and "reverse mentor" in preview["text"]
        await slack.interaction(click("U0CEO", *maya))
        await slack.interaction(click("U0SAM", *sam))
        [answer] = await fake_slack.wait_for_call("chat.update", ts=sam[1])
        assert "stays between you and me" in answer.args["text"]
        # Maya is told kindly, without who or why.
        note = await fake_slack.wait_for(
            lambda: [m for m in fake_slack.history["D0CEO"] if "won't go ahead" in m["text"]],
            what="the kind note",
        )
        assert "Sam" not in note[0]["text"] and "declin" not in note[0]["text"]
        # A stale Accept on Maya's preview now changes nothing; no intro anywhere.
        await slack.interaction(click("U0CEO", *maya))
        await fake_slack.wait_for(
            lambda: any(
                "no longer open" in c.args.get("text", "")
                for c in fake_slack.calls
                if c.method in ("chat.update", "chat.postMessage", "chat.postEphemeral")
            ),
            what="the stale answer",
        )
    assert intros(fake_slack) == {}


def intros(fake: FakeSlack) -> dict[str, int]:
    """How many intros each channel received."""
    found: dict[str, int] = {}
    for channel, messages in fake.history.items():
        for message in messages:
            if "Meet your reverse-mentoring partner" in message["text"]:
                found[channel] = found.get(channel, 0) + 1
    return found


async def test_a_pair_gets_one_group_dm_when_only_one_partner_wrote_first(
    tmp_path: Path, db_url: str, fake_slack: FakeSlack
) -> None:
    """The mixed case: Sam wrote to the bot (his identity came from an event, with the
    workspace), Maya is known only from the roster's slack_id (no workspace). The pair still
    shares a workspace, so the intro goes to one group DM opened for both."""
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
    # The welcomes go out first (an intro never comes before either partner's welcome).
    soon = (datetime.now(UTC) + timedelta(days=4)).strftime("%Y-%m-%dT%H:%MZ")
    await run_cli(tmp_path, db_url, "tick", "--now", soon, env=env)
    async with start_server(tmp_path, db_url, env) as base, aiohttp.ClientSession() as http:
        slack = SlackDriver(base, fake_slack, http)
        await slack.dm("U0SAM", "status")  # Sam writes first; Maya never does
        await fake_slack.wait_for(
            lambda: fake_slack.calls_to("chat.postMessage", channel="D0SAM"), what="Sam's reply"
        )
        await slack.command("U0KIM", "pair sam@example.com with ceo@example.com")
        await fake_slack.wait_for(lambda: intros(fake_slack), what="the intro")
        await fake_slack.wait_for_call("conversations.open", users="U0CEO,U0SAM")

    group = "G" + "CEO" + "SAM"  # the fake's channel id for a group DM of U0CEO and U0SAM
    assert intros(fake_slack) == {group: 1}  # one intro, to the group DM; none to their DMs


async def test_a_corrected_slack_id_in_the_roster_keeps_strangers_out_of_the_group_dm(
    tmp_path: Path, db_url: str, fake_slack: FakeSlack
) -> None:
    """The roster first gave Maya a mistyped slack_id that happens to be a colleague's (Tom);
    the admin corrects it and imports again. The intro's group DM is opened with the corrected
    id: Tom is not let into the pair's conversation, and Maya's old id no longer names her."""
    fake_slack.add_user("U0TOM", "tom@example.com", name="Tom Stranger")
    start = (datetime.now(UTC) - timedelta(days=7)).date()
    (tmp_path / "app.yaml").write_text(
        f"programme:\n  name: Test Programme\n  start_date: {start}\n"
        "  require_mentee_consent: false\n  require_mentor_consent: false\n"
        "admins: [kim@example.com]\n"
    )
    header = "email,name,title,level,department,timezone,role,slack_id\n"
    others = (
        "sam@example.com,Sam Lee,Analyst,2,Finance,Europe/London,mentor,U0SAM\n"
        "kim@example.com,Kim Park,Manager,5,Finance,Europe/London,,U0KIM\n"
    )
    (tmp_path / "typo.csv").write_text(
        header
        + "ceo@example.com,Maya Okafor,CEO,8,Operations,Europe/London,mentee,U0TOM\n"
        + others
    )
    (tmp_path / "fixed.csv").write_text(
        header
        + "ceo@example.com,Maya Okafor,CEO,8,Operations,Europe/London,mentee,U0CEO\n"
        + others
    )
    await run_cli(tmp_path, db_url, "roster", "import", "typo.csv")
    await run_cli(tmp_path, db_url, "roster", "import", "fixed.csv")
    env = slack_env(fake_slack)
    # The welcomes go out first (an intro never comes before either partner's welcome).
    soon = (datetime.now(UTC) + timedelta(days=4)).strftime("%Y-%m-%dT%H:%MZ")
    await run_cli(tmp_path, db_url, "tick", "--now", soon, env=env)
    async with start_server(tmp_path, db_url, env) as base, aiohttp.ClientSession() as http:
        slack = SlackDriver(base, fake_slack, http)
        await slack.dm("U0SAM", "status")  # the workspace becomes known (tenants filled in)
        await fake_slack.wait_for(
            lambda: fake_slack.calls_to("chat.postMessage", channel="D0SAM"), what="Sam's reply"
        )
        await slack.dm("U0TOM", "status")  # Tom is not Maya: the bot does not know him
        await fake_slack.wait_for(
            lambda: fake_slack.calls_to("chat.postMessage", channel="D0TOM"), what="Tom's reply"
        )
        await slack.command("U0KIM", "pair sam@example.com with ceo@example.com")
        await fake_slack.wait_for(lambda: intros(fake_slack), what="the intro")
        await fake_slack.wait_for_call("conversations.open", users="U0CEO,U0SAM")

    opened = [c.args["users"] for c in fake_slack.calls_to("conversations.open")]
    assert not [users for users in opened if "U0TOM" in str(users) and "," in str(users)]
    assert intros(fake_slack) == {"GCEOSAM": 1}
    tom_saw = " ".join(m["text"] for m in fake_slack.history.get("D0TOM", []))
    assert "Maya" not in tom_saw and "Sam Lee" not in tom_saw


def said(fake: FakeSlack, text: str) -> list[str]:
    """Channels where a message (posted or ephemeral) containing `text` went."""
    posted = [ch for ch, msgs in fake.history.items() for m in msgs if text in m["text"]]
    ephemeral = [
        c.args["channel"]
        for c in fake.calls_to("chat.postEphemeral")
        if text in str(c.args.get("text", ""))
    ]
    responded = [name for name, body in fake.responses if text in str(body.get("text", ""))]
    return posted + ephemeral + responded


async def test_both_partners_agree_the_ground_rules_in_slack(
    tmp_path: Path, db_url: str, fake_slack: FakeSlack
) -> None:
    start = (datetime.now(UTC) - timedelta(days=7)).date()
    (tmp_path / "app.yaml").write_text(
        f"programme:\n  name: Test Programme\n  start_date: {start}\n"
        "  require_mentee_consent: false\n  require_mentor_consent: false\n"
        "admins: [ceo@example.com, kim@example.com]\n"
    )
    (tmp_path / "people.csv").write_text(
        "email,name,title,level,department,timezone,role,slack_id\n"
        "ceo@example.com,Maya Okafor,CEO,8,Operations,Europe/London,mentee,U0CEO\n"
        "kim@example.com,Kim Park,Programme lead,5,People,Europe/London,,U0KIM\n"
        "sam@example.com,Sam Lee,Analyst,2,Finance,Europe/London,mentor,U0SAM\n"
    )
    await run_cli(tmp_path, db_url, "roster", "import", "people.csv")
    env = slack_env(fake_slack)
    soon = (datetime.now(UTC) + timedelta(days=4)).strftime("%Y-%m-%dT%H:%MZ")
    await run_cli(tmp_path, db_url, "tick", "--now", soon, env=env)  # the welcomes
    async with start_server(tmp_path, db_url, env) as base, aiohttp.ClientSession() as http:
        slack = SlackDriver(base, fake_slack, http)
        # Kim pairs them: an admin never pairs herself (conversations/pairing/rounds.py).
        await slack.command("U0KIM", "pair sam@example.com with ceo@example.com", channel="D0KIM")
        await fake_slack.wait_for(lambda: intros(fake_slack), what="the intro")

    # Session 1 comes round: Sam's private choice of topic, then the pair's message with the
    # ground rules and its "I agree" button, in their group DM.
    later = (datetime.now(UTC) + timedelta(days=34)).isoformat()
    await run_cli(tmp_path, db_url, "tick", "--now", later, env=env)
    channel, ts, agree = await fake_slack.wait_for(
        lambda: find_button(fake_slack, "ground_rules.agree"), what="the ground rules"
    )
    assert channel == "GCEOSAM" and agree["text"]["text"] == "I agree"
    (rules,) = [m for m in fake_slack.history[channel] if m["ts"] == ts]
    assert "stays between the two of you" in rules["text"] and "concern" in rules["text"]
    assert find_button(fake_slack, "topic.choose")[0] != channel  # type: ignore[index]

    async with start_server(tmp_path, db_url, env) as base, aiohttp.ClientSession() as http:
        slack = SlackDriver(base, fake_slack, http)
        # Each confirmation is for the one who tapped (ephemeral, through the response_url).
        for user in ("U0SAM", "U0CEO"):
            payload = click(user, channel, ts, agree)
            payload["response_url"] = fake_slack.response_url(f"agree-{user}")
            await slack.interaction(payload)
            if user == "U0SAM":
                await fake_slack.wait_for(
                    lambda: said(fake_slack, "Thanks, Sam — waiting for Maya."), what="Sam agreed"
                )
        await fake_slack.wait_for(
            lambda: said(fake_slack, "You've both agreed the ground rules"), what="both agreed"
        )
        assert said(fake_slack, "You've both agreed the ground rules") == ["agree-U0CEO"]
        # Recorded: Sam's status reads it back from the database.
        await slack.dm("U0SAM", "status")
        await fake_slack.wait_for(
            lambda: said(fake_slack, "Ground rules: agreed by both"), what="status"
        )
