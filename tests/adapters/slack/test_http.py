"""The real `mentorbot serve` driven over HTTP exactly as Slack drives it."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.adapters.slack.conftest import SlackDriver, sign
from tests.adapters.slack.fake_slack import TEAM


async def queue_counts(slack: SlackDriver) -> dict[str, int]:
    """The delivery queue by status, from the server's own health endpoint."""
    async with slack.http.get(f"{slack.base}/healthz") as response:
        return dict((await response.json())["queue"])


async def test_a_dm_saying_status_is_answered_in_the_dm(slack: SlackDriver) -> None:
    response = await slack.dm("U0SAM", "status")
    assert response.status == 200
    [call] = await slack.fake.wait_for_call("chat.postMessage", channel="D0SAM")
    assert "not enrolled" in call.args["text"]
    buttons = [e for b in call.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["text"]["text"] for b in buttons] == ["Join the programme"]


async def test_someone_known_only_by_email_is_linked_through_their_slack_profile(
    slack: SlackDriver,
) -> None:
    # Kim's roster row has no slack_id: the bot reads her email with users.info.
    await slack.dm("U0KIM", "status")
    [call] = await slack.fake.wait_for_call("chat.postMessage", channel="D0KIM")
    assert "not enrolled" in call.args["text"]
    assert slack.fake.calls_to("users.info", user="U0KIM")


async def test_a_stranger_is_told_the_bot_does_not_know_them(slack: SlackDriver) -> None:
    await slack.dm("U0NOBODY", "status")
    [call] = await slack.fake.wait_for_call("chat.postMessage", channel="D0NOBODY")
    assert "not in the programme's directory" in call.args["text"]


async def test_join_opens_the_modal_and_submitting_it_enrols(slack: SlackDriver) -> None:
    response = await slack.command("U0KIM", "join", trigger="1111.2222")
    assert response.status == 200
    [opened] = await slack.fake.wait_for_call("views.open", trigger_id="1111.2222")
    view = opened.args["view"]
    assert view["type"] == "modal" and view["callback_id"] == "enrol.form"
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["timezone"]["element"]["initial_value"] == "Europe/Berlin"  # Slack profile
    role_options = [o["text"]["text"] for o in blocks["role"]["element"]["options"]]
    assert "I'd like to mentor a senior leader" in role_options
    assert "I'd like a junior mentor" in role_options
    topics = [
        o["value"] for g in blocks["learns"]["element"]["option_groups"] for o in g["options"]
    ]
    assert "GenAI tools" in topics

    submission = view_submission(
        "U0KIM",
        view,
        role="mentee",
        teaches=["Data literacy"],
        learns=["GenAI tools", "Accessibility"],
        timezone="Europe/Berlin",
    )
    response = await slack.interaction(submission)
    assert response.status == 200
    await slack.fake.wait_for_call("chat.postMessage", channel="D0KIM")
    # The new status shows on the Home tab, and `status` confirms the enrolment.
    await slack.fake.wait_for_call("views.publish", user_id="U0KIM")
    await slack.dm("U0KIM", "status")
    await slack.fake.wait_for(
        lambda: any(
            "You're enrolled" in c.args["text"]
            for c in slack.fake.calls_to("chat.postMessage", channel="D0KIM")
        ),
        what="status after enrolling",
    )


async def test_a_bad_time_zone_in_the_modal_is_shown_under_the_field(slack: SlackDriver) -> None:
    await slack.command("U0KIM", "join", trigger="3333.4444")
    [opened] = await slack.fake.wait_for_call("views.open", trigger_id="3333.4444")
    submission = view_submission("U0KIM", opened.args["view"], role="mentee", timezone="Mars/Base")
    async with slack.http.post(
        f"{slack.base}/slack/events",
        data=(body := form_body(submission)),
        headers={"Content-Type": "application/x-www-form-urlencoded", **sign(body)},
    ) as response:
        answer = await response.json()
    assert answer["response_action"] == "errors"
    assert "timezone" in answer["errors"]


async def test_a_non_admin_asking_to_match_is_refused_ephemerally_and_nothing_changes(
    slack: SlackDriver,
) -> None:
    before = await queue_counts(slack)
    response = await slack.command("U0SAM", "match publish", trigger="5555.6666")
    assert response.status == 200
    [(_, answer)] = await slack.fake.wait_for(
        lambda: [r for r in slack.fake.responses if r[0] == "5555-6666"], what="refusal"
    )
    assert answer["response_type"] == "ephemeral"
    assert "Only programme admins" in answer["text"] and "ceo@example.com" in answer["text"]
    assert await queue_counts(slack) == before
    assert not slack.fake.calls_to("chat.postMessage")  # nothing was posted anywhere


async def test_an_admin_command_is_acked_at_once_and_answered_through_the_response_url(
    slack: SlackDriver,
) -> None:
    started = time.monotonic()
    response = await slack.command("U0CEO", "match", trigger="7777.8888")
    assert response.status == 200
    assert time.monotonic() - started < 3  # Slack's window for the ack
    [(_, answer)] = await slack.fake.wait_for(
        lambda: [r for r in slack.fake.responses if r[0] == "7777-8888"], what="match answer"
    )
    assert answer["response_type"] == "ephemeral"
    assert "Only programme admins" not in answer["text"]


async def test_a_retried_event_is_acted_on_once(slack: SlackDriver) -> None:
    first = await slack.dm("U0SAM", "status", event_id="Ev0RETRY1")
    retry = await slack.dm("U0SAM", "status", event_id="Ev0RETRY1", retry=1)
    assert first.status == retry.status == 200
    assert "X-Mentorbot-Duplicate" not in first.headers
    assert retry.headers["X-Mentorbot-Duplicate"] == "1"
    # A later message is answered; by then the retry would have been too.
    await slack.dm("U0SAM", "help", event_id="Ev0LATER")
    await slack.fake.wait_for_call("chat.postMessage", 2, channel="D0SAM")
    texts = [c.args["text"] for c in slack.fake.calls_to("chat.postMessage", channel="D0SAM")]
    assert sum("not enrolled" in t for t in texts) == 1, texts


async def test_a_bad_signature_is_refused_with_401(slack: SlackDriver) -> None:
    body = json.dumps({"type": "event_callback", "event_id": "Ev0BAD", "event": {}})
    response = await slack.post(
        body, "application/json", headers=sign(body, secret="not-the-secret")
    )
    assert response.status == 401
    assert not slack.fake.calls_to("chat.postMessage")


async def test_a_stale_timestamp_is_refused_with_401(slack: SlackDriver) -> None:
    body = "token=x&team_id=T0ACME&user_id=U0SAM&command=%2Fmentoring&text=status"
    six_minutes_ago = int(time.time()) - 6 * 60
    response = await slack.post(
        body, "application/x-www-form-urlencoded", headers=sign(body, timestamp=six_minutes_ago)
    )
    assert response.status == 401


async def test_an_oversized_request_is_refused_with_413(slack: SlackDriver) -> None:
    body = json.dumps({"type": "event_callback", "padding": "x" * (2 * 1024 * 1024)})
    response = await slack.post(body, "application/json")
    assert response.status == 413


async def test_a_rate_limited_answer_waits_retry_after_and_is_delivered_once(
    slack: SlackDriver,
) -> None:
    slack.fake.rate_limit("chat.postMessage", times=1, retry_after=1)
    await slack.dm("U0SAM", "status")
    await slack.fake.wait_for_call("chat.postMessage", channel="D0SAM")
    attempts = [c.status for c in slack.fake.calls if c.method == "chat.postMessage"]
    assert attempts == [429, 200]
    assert len(slack.fake.history["D0SAM"]) == 1


async def test_opening_the_home_tab_publishes_the_persons_home(slack: SlackDriver) -> None:
    await slack.event(
        {
            "type": "app_home_opened",
            "user": "U0CEO",
            "channel": "D0CEO",
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
    )
    [call] = await slack.fake.wait_for_call("views.publish", user_id="U0CEO")
    view = call.args["view"]
    assert view["type"] == "home" and view["blocks"]
    assert len(view["blocks"]) <= 100


def form_body(payload: dict[str, Any]) -> str:
    from urllib.parse import urlencode

    return urlencode({"payload": json.dumps(payload)})


def view_submission(user: str, view: dict[str, Any], **answers: Any) -> dict[str, Any]:
    """A view_submission payload as Slack sends it, with `answers` filled into the state."""
    values: dict[str, Any] = {}
    if "role" in answers:
        values["role"] = {
            "role": {"type": "radio_buttons", "selected_option": _option(answers["role"])}
        }
    for key in ("teaches", "learns"):
        values[key] = {
            key: {
                "type": "multi_static_select",
                "selected_options": [_option(t) for t in answers.get(key, [])],
            }
        }
    values["timezone"] = {
        "timezone": {"type": "plain_text_input", "value": answers.get("timezone")}
    }
    return {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
        "api_app_id": "A0APP",
        "token": "legacy-verification-token",
        "trigger_id": f"{time.time_ns()}.submit",
        "view": {
            **view,
            "id": "V0MODAL",
            "team_id": TEAM,
            "state": {"values": values},
            "hash": "1700000000.abcd",
            "app_id": "A0APP",
            "bot_id": "B0BOT",
        },
        "response_urls": [],
        "is_enterprise_install": False,
    }


def _option(value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": value, "emoji": True}, "value": value}
