"""Neutral messages → Adaptive Cards 1.5: structure, bound data, button payloads."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from adapters.teams.render import TEMPLATES, load_template, markdown, render_card
from conversations import texts
from conversations.data.catalogue import all_topics
from conversations.enrolment import enrolment_texts
from conversations.types import (
    Address,
    Button,
    Buttons,
    Choice,
    Facts,
    Link,
    Option,
    OutgoingMessage,
    Text,
    ToPair,
    actions,
)

HERE = Address("teams", "t", "a:1")
ELEMENTS = {"TextBlock", "FactSet", "Container", "ActionSet", "Input.ChoiceSet", "Input.Text"}
ACTIONS = {"Action.Execute", "Action.Submit", "Action.OpenUrl"}


def check_card(card: dict[str, Any]) -> None:
    """The Adaptive Card 1.5 structure Teams renders (the parts we use)."""
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.5"
    assert isinstance(card["body"], list) and card["body"]
    assert isinstance(card["actions"], list)
    ids: list[str] = []

    def walk_action(action: dict[str, Any]) -> None:
        assert action["type"] in ACTIONS, action
        assert action["title"]
        if action["type"] == "Action.OpenUrl":
            assert action["url"].startswith("https://")
        else:
            assert isinstance(action["data"]["action"], str)
            if action["type"] == "Action.Execute":
                assert action["verb"] == action["data"]["action"]
                walk_action(action["fallback"])

    def walk(element: dict[str, Any]) -> None:
        assert element["type"] in ELEMENTS, element
        if "id" in element:
            ids.append(element["id"])
        if element["type"] == "TextBlock":
            assert isinstance(element["text"], str) and element["text"]
        for child in element.get("items", []):
            walk(child)
        for action in element.get("actions", []):
            walk_action(action)

    for element in card["body"]:
        walk(element)
    for action in card["actions"]:
        walk_action(action)
    assert len(ids) == len(set(ids)), f"duplicate element ids: {ids}"


@pytest.mark.parametrize("name", [*sorted(set(TEMPLATES.values())), "generic", "enrol_form"])
def test_every_template_is_an_adaptive_card_1_5(name: str) -> None:
    card = load_template(name)
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    assert any(e.get("id") == "content" for e in card["body"])


def test_buttons_become_execute_actions_with_a_submit_fallback_carrying_the_value() -> None:
    message = texts.reply(
        HERE,
        "forget",
        "Sure?",
        Button("Yes, erase my data", actions.PRIVACY_FORGET, "confirm", "danger"),
        Button("Keep my data", actions.PRIVACY_FORGET, "cancel"),
    )
    card = render_card(message)
    check_card(card)
    action_set = next(e for e in card["body"][0]["items"] if e["type"] == "ActionSet")
    erase, keep = action_set["actions"]
    assert erase["data"] == {"action": "privacy.forget", "value": "confirm"}
    assert erase["style"] == "destructive" and "style" not in keep
    assert erase["fallback"]["type"] == "Action.Submit"
    assert erase["fallback"]["data"] == erase["data"]


def test_kinds_with_a_layout_get_their_heading_and_links_become_open_url() -> None:
    message = OutgoingMessage(
        ToPair(1),
        "intro",
        "Meet your partner",
        (
            Text("Meet *Sam Lee*, who will mentor you."),
            Facts((("Mentor", "Sam Lee"), ("First conversation", "by Mon 8 Feb 2027"))),
            Link("Chat with Sam", "https://teams.microsoft.com/l/chat/0/0?users=sam@example.com"),
        ),
        "intro:1",
    )
    card = render_card(message)
    check_card(card)
    assert card["body"][0]["text"].startswith("Meet your reverse-mentoring partner")
    content = card["body"][1]["items"]
    assert content[0]["text"] == "Meet **Sam Lee**, who will mentor you."
    assert content[1]["facts"][1] == {"title": "First conversation", "value": "by Mon 8 Feb 2027"}
    assert card["actions"] == [
        {
            "type": "Action.OpenUrl",
            "title": "Chat with Sam",
            "url": "https://teams.microsoft.com/l/chat/0/0?users=sam@example.com",
        }
    ]


def test_data_is_bound_not_substituted_so_odd_names_cannot_break_the_card() -> None:
    name = "Zoë \"}{ <at>O'Neil</at> ${name}"
    message = texts.reply(HERE, "status", f"Hello {name}")
    card = render_card(message)
    assert card["body"][0]["items"][0]["text"] == f"Hello {name}"


def test_unknown_kinds_use_the_generic_card_and_a_blockless_message_shows_its_text() -> None:
    message = OutgoingMessage(HERE, "something.new", "Just text")
    card = render_card(message)
    check_card(card)
    assert [e.get("id") for e in card["body"]] == ["content"]
    assert card["body"][0]["items"][0]["text"] == "Just text"


def test_a_choice_is_an_input_with_a_send_button() -> None:
    choice = Choice("pulse.rate", "How was it?", (Option("Great", "5"), Option("Meh", "2")))
    card = render_card(OutgoingMessage(HERE, "pulse", "How was it?", (choice,)))
    check_card(card)
    field, buttons = card["body"][2]["items"]
    assert field["id"] == "pulse.rate" and field["choices"][0] == {"title": "Great", "value": "5"}
    assert buttons["actions"][0]["data"] == {"action": "pulse.rate"}


def test_join_answers_with_the_enrolment_form() -> None:
    join_reply = texts.compose(
        HERE, "join.role", Text("Great to have you!"), Buttons(enrolment_texts.ROLE_BUTTONS)
    )
    topics = ("GenAI tools", "Accessibility")
    card = render_card(join_reply, topics=topics)
    check_card(card)
    inputs = {e["id"]: e for e in card["body"] if e["type"].startswith("Input.")}
    assert [c["value"] for c in inputs["role"]["choices"]] == ["mentor", "mentee", "either"]
    assert inputs["teaches"]["isMultiSelect"] and inputs["learns"]["isMultiSelect"]
    assert [c["title"] for c in inputs["learns"]["choices"]] == list(topics)
    assert inputs["timezone"]["type"] == "Input.Text"
    (submit,) = card["actions"]
    assert submit["verb"] == actions.ENROL_FORM == submit["data"]["action"]


def test_shipped_topics_have_no_commas_because_multi_select_values_are_comma_joined() -> None:
    assert all("," not in topic for topic in all_topics())


def test_markdown_translates_the_neutral_markup() -> None:
    assert markdown("*bold* and `status` and <https://x.example|a link>") == (
        "**bold** and **status** and [a link](https://x.example)"
    )
    assert markdown("2 * 3 * 4") == "2 * 3 * 4"


def test_an_intro_gets_chat_and_meeting_links_but_none_to_oneself() -> None:
    from urllib.parse import parse_qs, urlsplit

    from adapters.teams.activities import message_activity
    from conversations.types import OutgoingMessage, Text, ToPair

    intro = OutgoingMessage(
        to=ToPair(1),
        kind="intro",
        fallback_text="Meet your partner",
        blocks=(Text("Meet your partner"),),
        metadata={
            "mentor_email": "ana@x.com",
            "mentee_email": "femi+cfo@x.com",
            "mentor_name": "Ana Lima",
            "mentee_name": "Femi Ade",
            "subject": "RM: Ana & Femi",
        },
    )
    activity = message_activity(intro, topics=(), tenant_id="t", drop_links_to="ana@x.com")
    card = activity.attachments[0].content
    actions = {a["title"]: a["url"] for a in card["actions"]}
    assert set(actions) == {"Chat with Femi Ade", "Schedule a meeting"}
    assert parse_qs(urlsplit(actions["Chat with Femi Ade"]).query) == {"users": ["femi+cfo@x.com"]}
    meeting = parse_qs(urlsplit(actions["Schedule a meeting"]).query)
    assert meeting == {"attendees": ["ana@x.com,femi+cfo@x.com"], "subject": ["RM: Ana & Femi"]}


def test_the_rating_buttons_carry_a_tooltip_narrators_read() -> None:
    from tests.adapters.slack.test_render import rating_question

    card = render_card(replace(rating_question(), to=HERE))
    check_card(card)
    rating = [a for e in card["body"] for a in _actions(e)]
    titles = [a["title"] for a in rating]
    assert titles == ["1 – not useful", "2", "3", "4", "5 – very useful"]
    tips = [(a["tooltip"], a["fallback"]["tooltip"]) for a in rating]
    assert tips[0] == ("1 out of 5: not useful", "1 out of 5: not useful")
    assert tips[4] == ("5 out of 5: very useful", "5 out of 5: very useful")
    plain = render_card(texts.reply(HERE, "answer", "Sure?", Button("Yes", "x.y", "1")))
    (yes,) = [a for e in plain["body"] for a in _actions(e)]
    assert "tooltip" not in yes and "tooltip" not in yes["fallback"]


def _actions(element: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(element.get("actions", []))
    for child in element.get("items", []):
        found += _actions(child)
    return found
