"""Documented payload shapes to fuzz around: one of each kind the translators dispatch on."""

from __future__ import annotations

from typing import Any

TEAM = "T0ACME"

SLACK_MESSAGE_IM: dict[str, Any] = {
    "token": "legacy",
    "team_id": TEAM,
    "api_app_id": "A0APP",
    "type": "event_callback",
    "event_id": "Ev0001",
    "event_time": 1700000000,
    "event": {
        "type": "message",
        "channel": "D0SAM",
        "user": "U0SAM",
        "text": "pause until 2027-02-01",
        "ts": "1700000000.000200",
        "thread_ts": "1700000000.000100",
        "channel_type": "im",
        "subtype": "",
        "bot_id": "",
        "team": TEAM,
    },
    "authorizations": [{"team_id": TEAM, "user_id": "U0BOT", "is_bot": True}],
}
SLACK_HOME_OPENED: dict[str, Any] = {
    "team_id": TEAM,
    "type": "event_callback",
    "event_id": "Ev0002",
    "event": {"type": "app_home_opened", "user": "U0SAM", "channel": "D0SAM", "tab": "home"},
}
SLACK_COMMAND: dict[str, Any] = {
    "token": "legacy",
    "team_id": TEAM,
    "team_domain": "acme",
    "channel_id": "C0GENERAL",
    "user_id": "U0SAM",
    "command": "/mentoring",
    "text": "pair a@b.c with d@e.f --force",
    "response_url": "https://hooks.slack.com/commands/T0/1/x",
    "trigger_id": "1111.2222",
}
SLACK_BLOCK_ACTIONS: dict[str, Any] = {
    "type": "block_actions",
    "team": {"id": TEAM, "domain": "acme"},
    "user": {"id": "U0SAM", "team_id": TEAM},
    "trigger_id": "3333.4444",
    "response_url": "https://hooks.slack.com/actions/T0/1/x",
    "channel": {"id": "D0SAM"},
    "container": {
        "type": "message",
        "message_ts": "1700000000.000300",
        "channel_id": "D0SAM",
        "is_ephemeral": False,
    },
    "message": {"ts": "1700000000.000300"},
    "actions": [
        {
            "type": "button",
            "action_id": "pulse.rate~2",
            "value": "3:1:5",
            "url": "",
            "selected_option": {"value": "mentor"},
            "selected_options": [{"value": "GenAI tools"}],
        }
    ],
}
SLACK_VIEW_SUBMISSION: dict[str, Any] = {
    "type": "view_submission",
    "team": {"id": TEAM},
    "user": {"id": "U0SAM", "team_id": TEAM},
    "trigger_id": "5555.6666",
    "view": {
        "id": "V0MODAL",
        "hash": "1700000000.abcd",
        "callback_id": "enrol.form",
        "private_metadata": '{"dm": "D0SAM"}',
        "state": {
            "values": {
                "role": {"role": {"type": "radio_buttons", "selected_option": {"value": "mentor"}}},
                "teaches": {
                    "teaches": {
                        "type": "multi_static_select",
                        "selected_options": [{"value": "GenAI tools"}],
                    }
                },
                "learns": {"learns": {"type": "multi_static_select", "selected_options": []}},
                "timezone": {"timezone": {"type": "plain_text_input", "value": "Europe/London"}},
            }
        },
    },
}

TENANT = "72f988bf-0000-4000-8000-00000000tenant"
BOT = {"id": "28:bot", "name": "Mentorbot"}
_TEAMS_BASE: dict[str, Any] = {
    "id": "1700000000001",
    "timestamp": "2027-01-11T10:00:00.000Z",
    "serviceUrl": "https://smba.trafficmanager.net/emea/",
    "channelId": "msteams",
    "from": {"id": "29:1aad-sam", "aadObjectId": "aad-sam", "name": "Sam"},
    "conversation": {
        "conversationType": "personal",
        "tenantId": TENANT,
        "id": "a:1chat-sam",
        "isGroup": False,
    },
    "recipient": BOT,
    "channelData": {"tenant": {"id": TENANT}},
    "locale": "en-GB",
    "replyToId": "card-1",
}
TEAMS_MESSAGE: dict[str, Any] = {**_TEAMS_BASE, "text": "<at>Mentorbot</at> status&nbsp;"}
TEAMS_SUBMIT: dict[str, Any] = {
    **_TEAMS_BASE,
    "value": {
        "action": "enrol.form",
        "value": "7",
        "role": "mentor",
        "teaches": "GenAI tools,Accessibility",
        "learns": ["Data literacy"],
        "timezone": "Europe/Berlin",
    },
}
TEAMS_CONVERSATION_UPDATE: dict[str, Any] = {**_TEAMS_BASE, "membersAdded": [{"id": BOT["id"]}]}
TEAMS_INSTALLATION_UPDATE: dict[str, Any] = {**_TEAMS_BASE, "action": "add"}
TEAMS_INVOKE: dict[str, Any] = {
    **_TEAMS_BASE,
    "name": "adaptiveCard/action",
    "value": {
        "action": {
            "type": "Action.Execute",
            "verb": "pulse.rate",
            "data": {"action": "pulse.rate", "value": "3:1:5"},
        },
        "trigger": "manual",
    },
}
