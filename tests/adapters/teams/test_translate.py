"""Activity JSON → neutral events, on payloads shaped as the Bot Framework documents them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from adapters.teams.translate import strip_mentions, tenant_of, translate
from conversations.types import Action, Address, IncomingMessage, MemberJoined, UserRef, actions
from tests.adapters.teams import activities as a

NOW = datetime(2027, 1, 11, 10, tzinfo=UTC)
URL = "https://smba.trafficmanager.net/emea/"
MAYA = a.user("aad-maya", "Maya Okafor")
ME = UserRef("teams", a.TENANT, "aad-maya")
HERE = Address("teams", a.TENANT, a.chat_id(MAYA))


def test_a_typed_command_is_an_incoming_message_without_the_mention() -> None:
    activity = a.message(MAYA, "<at>Mentorbot</at> status&nbsp;", URL)
    inbound = translate(activity, NOW)
    assert inbound.event == IncomingMessage(ME, HERE, "status", NOW)
    assert inbound.personal and not inbound.invoke


def test_the_tenant_comes_from_channel_data_which_botbuilder_keeps() -> None:
    activity = a.message(MAYA, "help", URL)
    del activity["conversation"]["tenantId"]
    assert tenant_of(activity) == a.TENANT
    del activity["channelData"]
    activity["conversation"]["tenantId"] = "from-conversation"
    assert tenant_of(activity) == "from-conversation"


def test_action_submit_arrives_as_a_message_with_value() -> None:
    activity = a.submit(MAYA, {"action": "consent.accept", "value": "7"}, URL, reply_to="card-9")
    inbound = translate(activity, NOW)
    assert inbound.event == Action(ME, HERE, "consent.accept", "7", NOW, "card-9")
    assert not inbound.invoke


def test_action_execute_arrives_as_an_adaptive_card_invoke() -> None:
    activity = a.execute(MAYA, {"action": "pulse.rate", "value": "3:1:5"}, URL, reply_to="c2")
    inbound = translate(activity, NOW)
    assert inbound.event == Action(ME, HERE, "pulse.rate", "3:1:5", NOW, "c2")
    assert inbound.invoke


def test_the_enrolment_form_becomes_one_enrol_form_action_with_a_json_value() -> None:
    data = {
        "action": actions.ENROL_FORM,
        "role": "mentor",
        "teaches": "GenAI tools,Social media",
        "learns": "",
        "timezone": " Europe/London ",
    }
    inbound = translate(a.execute(MAYA, data, URL), NOW)
    assert isinstance(inbound.event, Action)
    assert inbound.event.action_id == "enrol.form"
    assert json.loads(inbound.event.value) == {
        "role": "mentor",
        "teaches": ["GenAI tools", "Social media"],
        "timezone": "Europe/London",
    }


def test_installing_the_bot_greets_once_and_installation_update_only_records() -> None:
    installed = translate(a.installed(MAYA, URL), NOW)
    assert installed.event == MemberJoined(ME, HERE) and installed.installed
    update = translate(a.installation_update(MAYA, URL), NOW)
    assert update.event is None and update.installed


def test_a_conversation_update_that_does_not_add_the_bot_is_ignored() -> None:
    activity = a.installed(MAYA, URL)
    activity["membersAdded"] = [{"id": "29:someone-else"}]
    assert translate(activity, NOW).event is None


def test_malformed_and_unknown_activities_are_ignored_with_a_reason() -> None:
    cases = [
        {"type": "message"},  # no sender, no conversation
        {**a.message(MAYA, "hi", URL), "type": "typing"},
        {**a.message(MAYA, "hi", URL), "type": 42},
        a.message(MAYA, "", URL),
        a.submit(MAYA, {"no": "action"}, URL),
        a.submit(MAYA, {"action": "x", "value": "v" * 5000}, URL),
        {**a.execute(MAYA, {"action": "x"}, URL), "name": "task/fetch"},
        {**a.execute(MAYA, {"action": "x"}, URL), "value": "not a dict"},
    ]
    for activity in cases:
        inbound = translate(activity, NOW)
        assert inbound.event is None and inbound.reason, activity


def test_the_emulator_without_aad_ids_is_keyed_by_its_user_id() -> None:
    activity = a.message({"id": "emulator-user", "name": "User"}, "help", URL)
    inbound = translate(activity, NOW)
    assert inbound.user == UserRef("teams", a.TENANT, "emulator-user")


def test_strip_mentions_keeps_the_words() -> None:
    assert strip_mentions("<at>Mentor bot</at>  pause until <b>2027-02-01</b>") == (
        "pause until 2027-02-01"
    )
