"""Neutral blocks → Block Kit, within Slack's documented limits."""

from __future__ import annotations

from datetime import UTC, date, datetime

from adapters.slack.render import (
    MESSAGE_BLOCKS,
    escape,
    neutral_action_id,
    render_home,
    render_message,
    split_text,
)
from conversations.config import AppConfig, ProgrammeConfig
from conversations.programme import survey_texts as programme_messages
from conversations.types import (
    Address,
    Button,
    Buttons,
    Choice,
    Facts,
    Link,
    Option,
    OutgoingMessage,
    Pair,
    PairStatus,
    Person,
    Text,
    ToPerson,
)

TO = Address("slack", "T1", "D1")


def message(*blocks: object, text: str = "fallback") -> OutgoingMessage:
    return OutgoingMessage(TO, "test", text, tuple(blocks))  # type: ignore[arg-type]


def test_text_facts_and_buttons_become_sections_and_an_actions_block() -> None:
    rendered = render_message(
        message(
            Text("Hi *Sam* 👋"),
            Facts((("Session", "2 of 6"), ("Partner", "Maya"))),
            Buttons(
                (
                    Button("We met", "meeting.met", "7:2", "primary"),
                    Button("Couldn't meet", "meeting.missed", "7:2", "danger"),
                    Button("Later", "help.command", "status"),
                )
            ),
        )
    )
    assert rendered["text"] == "fallback"
    section, facts, actions = rendered["blocks"]
    assert section == {"type": "section", "text": {"type": "mrkdwn", "text": "Hi *Sam* 👋"}}
    assert [f["text"] for f in facts["fields"]] == ["*Session*\n2 of 6", "*Partner*\nMaya"]
    met, missed, later = actions["elements"]
    assert met["style"] == "primary" and missed["style"] == "danger" and "style" not in later
    assert met["value"] == "7:2"
    assert neutral_action_id(met["action_id"]) == "meeting.met"


def test_buttons_sharing_a_neutral_id_get_unique_slack_action_ids() -> None:
    # Slack refuses a block whose elements repeat an action_id (the five pulse ratings do).
    rendered = render_message(
        message(Buttons(tuple(Button(str(n), "pulse.rate", f"1:1:{n}") for n in range(1, 6))))
    )
    ids = [e["action_id"] for e in rendered["blocks"][0]["elements"]]
    assert len(set(ids)) == 5
    assert {neutral_action_id(i) for i in ids} == {"pulse.rate"}


def test_limits_are_enforced_not_trusted() -> None:
    long_label = "L" * 200
    rendered = render_message(
        message(
            Text("word " * 2000),  # 10,000 characters
            Buttons(tuple(Button(long_label, "x", "v" * 3000) for _ in range(30))),
        )
    )
    sections = [b for b in rendered["blocks"] if b["type"] == "section"]
    assert len(sections) == 4 and all(len(s["text"]["text"]) <= 3000 for s in sections)
    actions = [b for b in rendered["blocks"] if b["type"] == "actions"]
    assert [len(a["elements"]) for a in actions] == [25, 5]  # 25 elements per actions block
    first = actions[0]["elements"][0]
    assert len(first["text"]["text"]) == 75 and first["text"]["text"].endswith("…")
    assert len(first["value"]) == 2000


def test_a_message_never_has_more_than_fifty_blocks() -> None:
    rendered = render_message(message(*(Text(f"paragraph {n}") for n in range(80))))
    assert len(rendered["blocks"]) == MESSAGE_BLOCKS
    assert rendered["blocks"][-1]["type"] == "context"
    # The Home tab allows 100.
    assert len(render_home(message(*(Text(str(n)) for n in range(80))))["blocks"]) == 80


def test_choices_and_links() -> None:
    rendered = render_message(
        message(
            Choice("profile.learns", "Pick topics", (Option("GenAI tools", "GenAI tools"),), True),
            Link("Open the dashboard", "https://mentor.example.com/admin"),
        )
    )
    select, links = rendered["blocks"]
    element = select["elements"][0]
    assert element["type"] == "multi_static_select"
    assert element["options"][0]["value"] == "GenAI tools"
    assert links["elements"][0]["url"] == "https://mentor.example.com/admin"


def test_mrkdwn_is_escaped_but_links_and_mentions_survive() -> None:
    assert escape("Slack & Teams <3 <https://x.example|the guide> <@U123>") == (
        "Slack &amp; Teams &lt;3 <https://x.example|the guide> <@U123>"
    )


def test_empty_messages_still_have_text() -> None:
    assert render_message(message(text=""))["text"] == "…"


def test_split_text_prefers_line_breaks_and_never_cuts_an_entity() -> None:
    chunks = split_text("a" * 2990 + "\n" + "b" * 100)
    assert chunks == ["a" * 2990, "b" * 100]
    chunks = split_text("x" * 2998 + "&amp;" + "y" * 10)
    assert chunks[0] == "x" * 2998 and chunks[1].startswith("&amp;")


def rating_question() -> OutgoingMessage:
    """The real pulse question, as the engine builds it."""
    config = AppConfig(
        programme=ProgrammeConfig(name="RM", start_date=date(2027, 1, 11), timezone="UTC")
    )
    pair = Pair(7, 1, 2, 1.0, (), PairStatus.ACTIVE, datetime(2027, 1, 4, tzinfo=UTC))
    tara = Person(2, "t@x.com", "Tara", 6)
    return programme_messages.pulse(ToPerson(1), pair, 2, tara, config, key="k")


def test_the_rating_scale_is_labelled_and_each_button_says_what_it_means() -> None:
    pulse = rating_question()
    assert "from 1 – not useful to 5 – very useful" in pulse.fallback_text
    (block,) = [b for b in render_message(pulse)["blocks"] if b["type"] == "actions"]
    buttons = block["elements"]
    assert [b["text"]["text"] for b in buttons] == [
        "1 – not useful",
        "2",
        "3",
        "4",
        "5 – very useful",
    ]
    labels = [b["accessibility_label"] for b in buttons]
    assert labels == [
        "1 out of 5: not useful",
        "2 out of 5",
        "3 out of 5: somewhat useful",
        "4 out of 5",
        "5 out of 5: very useful",
    ]
    assert "style" not in buttons[4]  # no answer is pushed as the "right" one


def test_an_accessibility_label_is_kept_within_slacks_75_characters() -> None:
    long = Button("Yes", "x.y", "1", description="word " * 40)
    (block,) = render_message(message(Buttons((long, Button("No", "x.y", "2")))))["blocks"]
    first, second = block["elements"]
    assert len(first["accessibility_label"]) == 75 and first["accessibility_label"].endswith("…")
    assert "accessibility_label" not in second  # none given: Slack reads the button's text
