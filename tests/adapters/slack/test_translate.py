"""Slack payloads, shaped as Slack's documentation shows them, → neutral events."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from adapters.slack.translate import OPEN_ENROL_MODAL, PUBLISH_HOME, translate
from conversations.types import Action, Address, Command, IncomingMessage, MemberJoined, UserRef

NOW = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)
SAM = UserRef("slack", "T0001", "U0SAM")


def envelope(event: dict[str, Any], event_id: str = "Ev0001") -> dict[str, Any]:
    return {
        "token": "XXYYZZ",
        "team_id": "T0001",
        "api_app_id": "A0001",
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1700000000,
        "authorizations": [{"team_id": "T0001", "user_id": "U0BOT", "is_bot": True}],
    }


def test_a_direct_message_is_an_incoming_message_keyed_by_event_id() -> None:
    inbound = translate(
        envelope(
            {
                "type": "message",
                "channel": "D0SAM",
                "user": "U0SAM",
                "text": "profile learns Slack &amp; Teams habits",
                "ts": "1700000000.000200",
                "event_ts": "1700000000.000200",
                "channel_type": "im",
            }
        ),
        NOW,
    )
    assert inbound is not None
    assert inbound.event == IncomingMessage(
        SAM,
        Address("slack", "T0001", "D0SAM"),
        "profile learns Slack & Teams habits",
        NOW,
    )
    assert inbound.dedupe_key == "event:Ev0001"
    assert inbound.dm_channel == "D0SAM"


def test_edits_bot_posts_and_channel_messages_are_ignored() -> None:
    base = {"type": "message", "channel": "D0SAM", "user": "U0SAM", "text": "hi", "ts": "1.2"}
    edited = {**base, "subtype": "message_changed", "channel_type": "im"}
    from_bot = {**base, "bot_id": "B0BOT", "channel_type": "im"}
    in_channel = {**base, "channel": "C0GEN", "channel_type": "channel"}
    for event in (edited, from_bot, in_channel):
        assert translate(envelope(event), NOW) is None


def test_a_message_in_a_thread_is_answered_in_the_thread() -> None:
    inbound = translate(
        envelope(
            {
                "type": "message",
                "channel": "D0SAM",
                "user": "U0SAM",
                "text": "help",
                "ts": "1700000001.000300",
                "thread_ts": "1700000000.000200",
                "channel_type": "im",
            }
        ),
        NOW,
    )
    assert inbound is not None and inbound.event is not None
    assert inbound.event.address.thread_id == "1700000000.000200"


def test_a_slash_command_splits_name_and_arguments() -> None:
    body = {
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "team_id": "T0001",
        "team_domain": "example",
        "enterprise_id": "E0001",
        "enterprise_name": "Globular Construct Inc",
        "channel_id": "C2147483705",
        "channel_name": "test",
        "user_id": "U0SAM",
        "user_name": "Steve",
        "command": "/mentoring",
        "text": "pause <@U0KIM|kim> until 2027-03-01",
        "response_url": "https://hooks.slack.com/commands/1234/5678",
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        "api_app_id": "A123456",
    }
    inbound = translate(body, NOW)
    assert inbound is not None
    assert inbound.event == Command(
        SAM,
        Address("slack", "T0001", "C2147483705"),
        "pause",
        "<@U0KIM|kim> until 2027-03-01",
        NOW,
    )
    assert inbound.response_url == "https://hooks.slack.com/commands/1234/5678"
    assert inbound.dedupe_key == "command:13345224609.738474920.8088930838d88f008e0"
    assert inbound.special == ""


def test_join_alone_opens_the_form_and_an_empty_command_is_help() -> None:
    body = {"team_id": "T0001", "user_id": "U0SAM", "command": "/mentoring", "text": " Join "}
    joined = translate({**body, "trigger_id": "1.2"}, NOW)
    assert joined is not None and joined.special == OPEN_ENROL_MODAL
    with_role = translate({**body, "text": "join mentor"}, NOW)
    assert with_role is not None and with_role.special == ""
    empty = translate({**body, "text": ""}, NOW)
    assert empty is not None and isinstance(empty.event, Command)
    assert empty.event.name == "help"


def block_actions(action: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": "T0001", "domain": "example"},
        "user": {"id": "U0SAM", "username": "sam", "name": "sam", "team_id": "T0001"},
        "api_app_id": "A0001",
        "token": "9s8d9as89d8as9d8as989",
        "container": {
            "type": "message",
            "message_ts": "1700000000.000500",
            "channel_id": "G0PAIR",
            "is_ephemeral": False,
        },
        "trigger_id": "12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3",
        "channel": {"id": "G0PAIR", "name": "mpdm-sam--maya-1"},
        "message": {"type": "message", "ts": "1700000000.000500", "text": "Did you meet?"},
        "response_url": "https://hooks.slack.com/actions/T0001/1/xyz",
        "actions": [action],
        **extra,
    }


def test_a_button_press_is_an_action_on_the_clicked_message() -> None:
    inbound = translate(
        block_actions(
            {
                "action_id": "pulse.rate#3",
                "block_id": "=qXel",
                "text": {"type": "plain_text", "text": "4", "emoji": True},
                "value": "7:2:4",
                "type": "button",
                "action_ts": "1700000001.111",
            }
        ),
        NOW,
    )
    assert inbound is not None
    assert inbound.event == Action(
        SAM, Address("slack", "T0001", "G0PAIR"), "pulse.rate", "7:2:4", NOW, "1700000000.000500"
    )
    assert inbound.response_url.startswith("https://hooks.slack.com/actions/")
    assert not inbound.clicked_ephemeral
    assert inbound.dm_channel == ""  # a group DM is not the person's own DM


def test_a_join_button_opens_the_form_and_link_buttons_are_ignored() -> None:
    join = translate(
        block_actions(
            {"action_id": "help.command#0", "type": "button", "value": "join", "block_id": "b"}
        ),
        NOW,
    )
    assert join is not None and join.special == OPEN_ENROL_MODAL
    link = block_actions(
        {"action_id": "link.open#1", "type": "button", "url": "https://x", "block_id": "b"}
    )
    assert translate(link, NOW) is None


def test_a_home_tab_click_is_answered_in_the_dm() -> None:
    payload = block_actions(
        {"action_id": "enrol.leave#2", "type": "button", "value": "", "block_id": "b"},
        container={"type": "view", "view_id": "V0HOME"},
        view={"id": "V0HOME", "type": "home"},
    )
    del payload["channel"], payload["message"]
    inbound = translate(payload, NOW)
    assert inbound is not None and isinstance(inbound.event, Action)
    assert inbound.event.address == Address("slack", "T0001", "U0SAM")
    assert inbound.event.message_id is None


def test_a_multi_select_value_is_a_json_list() -> None:
    inbound = translate(
        block_actions(
            {
                "type": "multi_static_select",
                "action_id": "profile.learns#0",
                "block_id": "b",
                "selected_options": [
                    {"text": {"type": "plain_text", "text": "GenAI tools"}, "value": "GenAI tools"}
                ],
            }
        ),
        NOW,
    )
    assert inbound is not None and isinstance(inbound.event, Action)
    assert json.loads(inbound.event.value) == ["GenAI tools"]


def test_app_home_opened_publishes_home_or_greets_once_in_messages() -> None:
    home = translate(
        envelope({"type": "app_home_opened", "user": "U0SAM", "channel": "D0SAM", "tab": "home"}),
        NOW,
    )
    assert home is not None and home.special == PUBLISH_HOME and home.event is None
    messages = translate(
        envelope(
            {"type": "app_home_opened", "user": "U0SAM", "channel": "D0SAM", "tab": "messages"}
        ),
        NOW,
    )
    assert messages is not None
    assert messages.event == MemberJoined(SAM, Address("slack", "T0001", "D0SAM"))
    assert messages.dedupe_key == "welcome:T0001:U0SAM"  # not per event: once per person


def test_the_enrolment_form_becomes_one_enrol_form_action() -> None:
    payload = {
        "type": "view_submission",
        "team": {"id": "T0001", "domain": "example"},
        "user": {"id": "U0SAM", "username": "sam", "name": "sam", "team_id": "T0001"},
        "api_app_id": "A0001",
        "trigger_id": "12466734323.1395872398.ad4a5b",
        "view": {
            "id": "V0MODAL",
            "type": "modal",
            "callback_id": "enrol.form",
            "private_metadata": json.dumps({"dm": "D0SAM"}),
            "hash": "156772938.1827394",
            "state": {
                "values": {
                    "role": {
                        "role": {
                            "type": "radio_buttons",
                            "selected_option": {"value": "mentor", "text": {"text": "x"}},
                        }
                    },
                    "teaches": {
                        "teaches": {
                            "type": "multi_static_select",
                            "selected_options": [{"value": "GenAI tools", "text": {}}],
                        }
                    },
                    "learns": {"learns": {"type": "multi_static_select", "selected_options": []}},
                    "timezone": {
                        "timezone": {"type": "plain_text_input", "value": " Europe/Paris "}
                    },
                }
            },
        },
    }
    inbound = translate(payload, NOW)
    assert inbound is not None and isinstance(inbound.event, Action)
    assert inbound.event.action_id == "enrol.form"
    assert inbound.event.address == Address("slack", "T0001", "D0SAM")
    assert json.loads(inbound.event.value) == {
        "role": "mentor",
        "teaches": ["GenAI tools"],
        "learns": [],
        "timezone": "Europe/Paris",
    }
    bad = json.loads(json.dumps(payload))
    bad["view"]["state"]["values"]["timezone"]["timezone"]["value"] = "Europe/Lodnon"
    refused = translate(bad, NOW)
    assert refused is not None and refused.event is None and "timezone" in refused.errors


def test_unknown_and_malformed_payloads_are_ignored_not_raised() -> None:
    assert translate({"type": "shortcut", "callback_id": "x"}, NOW) is None
    assert translate(envelope({"type": "reaction_added"}), NOW) is None
    assert translate(envelope({"type": "message", "channel_type": "im"}), NOW) is None
