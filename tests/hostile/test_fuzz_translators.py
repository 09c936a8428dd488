"""Every inbound translator, fed shaped-but-hostile payloads: a neutral event, None, or an
ignore-with-reason; never an exception, and never a non-string where the engine wants text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.slack import translate as slack
from adapters.teams import translate as teams
from conversations import registry as commands
from conversations.types import Action, Address, Command, IncomingMessage, MemberJoined, UserRef
from tests.hostile import payloads as p
from tests.hostile.strategies import FUZZ, anchored, json_values, shaped

NOW = datetime(2027, 1, 11, 10, tzinfo=UTC)
NEUTRAL = (IncomingMessage, Action, Command, MemberJoined)


def assert_neutral(event: object) -> None:
    """A well-typed neutral event: the engine can read every field without checking types."""
    assert isinstance(event, NEUTRAL)
    user, address = event.user, event.address
    assert isinstance(user, UserRef) and isinstance(address, Address)
    assert all(isinstance(v, str) for v in (user.platform, user.tenant_id, user.user_id))
    assert all(isinstance(v, str) for v in (address.tenant_id, address.conversation_id))
    assert address.thread_id is None or isinstance(address.thread_id, str)
    if isinstance(event, IncomingMessage):
        assert isinstance(event.text, str)
        commands.parse(event.text)  # what the engine does next
    elif isinstance(event, Command):
        assert isinstance(event.name, str) and isinstance(event.args, str)
        commands.parse(f"{event.name} {event.args}")
    elif isinstance(event, Action):
        assert isinstance(event.action_id, str) and isinstance(event.value, str)
        assert event.message_id is None or isinstance(event.message_id, str)


def check_slack(body: Any) -> None:
    inbound = slack.translate(body, NOW)
    if inbound is None:
        return
    assert isinstance(inbound, slack.Inbound)
    for name in ("dedupe_key", "special", "via", "dm_channel", "response_url", "trigger_id"):
        assert isinstance(getattr(inbound, name), str), name
    if inbound.event is not None:
        assert_neutral(inbound.event)


def check_teams(activity: Any) -> None:
    inbound = teams.translate(activity, NOW)
    assert isinstance(inbound, teams.Inbound)
    # Ignored activities say why (an install carries no event but is kept for its reference).
    assert inbound.event is not None or inbound.reason or inbound.installed
    if inbound.event is not None:
        assert_neutral(inbound.event)


# --- Slack -----------------------------------------------------------------------------------

SLACK_SHAPES = {
    "message.im": anchored(p.SLACK_MESSAGE_IM, type="event_callback"),
    "app_home_opened": anchored(p.SLACK_HOME_OPENED, type="event_callback"),
    "command": anchored(p.SLACK_COMMAND, command="/mentoring"),
    "block_actions": anchored(p.SLACK_BLOCK_ACTIONS, type="block_actions"),
    "view_submission": anchored(p.SLACK_VIEW_SUBMISSION, type="view_submission"),
}


@pytest.mark.parametrize("kind", sorted(SLACK_SHAPES))
@FUZZ
@given(data=st.data())
def test_slack_translators_never_raise(kind: str, data: st.DataObject) -> None:
    check_slack(data.draw(SLACK_SHAPES[kind]))


@FUZZ
@given(body=st.dictionaries(st.sampled_from(["type", "event", "command", "team"]), json_values))
def test_slack_dispatch_on_random_json_never_raises(body: dict[str, Any]) -> None:
    check_slack(body)


@FUZZ
@given(event=shaped(p.SLACK_MESSAGE_IM["event"]) | shaped(p.SLACK_HOME_OPENED["event"]))
def test_slack_event_of_any_shape_under_a_valid_envelope(event: Any) -> None:
    check_slack({**p.SLACK_MESSAGE_IM, "event": event})


def test_slack_documented_payloads_still_translate() -> None:
    """The anchors of the fuzzing are real payloads: each one gives an event (or Home)."""
    for body in (p.SLACK_MESSAGE_IM, p.SLACK_COMMAND, p.SLACK_BLOCK_ACTIONS):
        inbound = slack.translate({**body, "event": {**body.get("event", {}), "subtype": ""}}, NOW)
        assert inbound is not None and inbound.event is not None, body
    home = slack.translate(p.SLACK_HOME_OPENED, NOW)
    assert home is not None and home.special == slack.PUBLISH_HOME
    view = slack.translate(p.SLACK_VIEW_SUBMISSION, NOW)
    assert view is not None and isinstance(view.event, Action)


# --- Teams -----------------------------------------------------------------------------------

TEAMS_SHAPES = {
    "message": anchored(p.TEAMS_MESSAGE, type="message"),
    "message+value": anchored(p.TEAMS_SUBMIT, type="message"),
    "conversationUpdate": anchored(p.TEAMS_CONVERSATION_UPDATE, type="conversationUpdate"),
    "installationUpdate": anchored(p.TEAMS_INSTALLATION_UPDATE, type="installationUpdate"),
    "invoke": anchored(p.TEAMS_INVOKE, type="invoke"),
}


@pytest.mark.parametrize("kind", sorted(TEAMS_SHAPES))
@FUZZ
@given(data=st.data())
def test_teams_translators_never_raise(kind: str, data: st.DataObject) -> None:
    check_teams(data.draw(TEAMS_SHAPES[kind]))


@FUZZ
@given(
    activity=st.dictionaries(
        st.sampled_from(["type", "from", "conversation", "value"]), json_values
    )
)
def test_teams_dispatch_on_random_json_never_raises(activity: dict[str, Any]) -> None:
    check_teams(activity)


def test_teams_documented_payloads_still_translate() -> None:
    for activity in (
        {**p.TEAMS_MESSAGE, "type": "message"},
        {**p.TEAMS_SUBMIT, "type": "message"},
        {**p.TEAMS_CONVERSATION_UPDATE, "type": "conversationUpdate"},
        {**p.TEAMS_INVOKE, "type": "invoke"},
    ):
        inbound = teams.translate(activity, NOW)
        assert inbound.event is not None, inbound.reason
    installed = teams.translate({**p.TEAMS_INSTALLATION_UPDATE, "type": "installationUpdate"}, NOW)
    assert installed.installed
