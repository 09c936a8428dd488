"""The app manifest a workspace admin pastes must grant what the code uses."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

from adapters.slack.app import EVENTS_PATH
from adapters.slack.translate import TRANSLATORS
from conversations.config import SlackConfig

# What each Web API method the adapter calls needs (docs.slack.dev/reference/methods).
SCOPES_FOR_CALLS = {
    "chat.postMessage / chat.update / chat.postEphemeral": {"chat:write"},
    "conversations.open (DM and group DM)": {"im:write", "mpim:write"},
    "conversations.history (find_sent)": {"im:history", "mpim:history"},
    "users.info": {"users:read"},
    "users.info email / users.lookupByEmail": {"users:read.email"},
    "slash command": {"commands"},
}
# Events API names → the translator keys in adapters/slack/translate.py.
EVENT_TRANSLATOR = {"message.im": "event:message", "app_home_opened": "event:app_home_opened"}


def manifest() -> dict[str, Any]:
    text = resources.files("adapters.slack").joinpath("manifest.yaml").read_text("utf-8")
    loaded = yaml.safe_load(text)
    assert isinstance(loaded, dict)
    return loaded


def test_the_manifest_grants_every_scope_the_code_needs() -> None:
    scopes = set(manifest()["oauth_config"]["scopes"]["bot"])
    for call, needed in SCOPES_FOR_CALLS.items():
        assert needed <= scopes, f"{call} needs {needed - scopes}"


def test_the_manifest_subscribes_to_exactly_the_events_we_translate() -> None:
    events = manifest()["settings"]["event_subscriptions"]["bot_events"]
    assert sorted(events) == sorted(EVENT_TRANSLATOR)
    for event in events:
        assert EVENT_TRANSLATOR[event] in TRANSLATORS


def test_the_command_interactivity_and_home_tab_are_configured() -> None:
    m = manifest()
    [command] = m["features"]["slash_commands"]
    assert command["command"] == SlackConfig().command
    assert command["should_escape"] is True  # mentions arrive as <@U…> for admin commands
    urls = [
        command["url"],
        m["settings"]["event_subscriptions"]["request_url"],
        m["settings"]["interactivity"]["request_url"],
    ]
    assert all(url == f"https://HOST{EVENTS_PATH}" for url in urls)
    assert m["settings"]["interactivity"]["is_enabled"] is True
    home = m["features"]["app_home"]
    assert home["home_tab_enabled"] and home["messages_tab_enabled"]
    assert not home["messages_tab_read_only_enabled"]  # people type commands in the DM


def test_display_fields_fit_slacks_limits() -> None:
    info = manifest()["display_information"]
    assert len(info["name"]) <= 35
    assert len(info["description"]) <= 139
    assert 174 <= len(info["long_description"]) <= 4000
