"""What a proposed partner may see, and every sign-up saying so
(conversations/pairing/disclosure.py).

Previews name technology topics but fold inclusion topics into "perspectives on inclusion";
match reasons read as plain words; the sign-up line is on the chat flow, the welcome, the
saved form, the Slack modal and the Teams card.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from adapters.slack.modal import LEARNS, enrol_modal
from adapters.teams.render import render_card
from conversations.config import AppConfig, ProgrammeConfig
from conversations.data.catalogue import is_technology, load_topics
from conversations.matching.explain import hours_words, level_words, number_words
from conversations.pairing.disclosure import (
    INCLUSION_WORDS,
    WHAT_PARTNERS_SEE,
    preview_reasons,
    shown_topics,
)
from conversations.pairing.pairing_texts import consent_preview
from conversations.types import Pair, PairStatus, Person, actions
from tests.conversations.test_enrolment import Flow, text_of


def _person(pid: int, name: str, **fields: Any) -> Person:
    return Person(id=pid, email=f"{name.lower()}@x.com", name=name, level=2, **fields)


def test_only_technology_topics_are_named() -> None:
    topics = load_topics()
    assert all(is_technology(t) for t in topics["technology"])
    assert not any(is_technology(t) for t in topics["inclusion"])
    shown = shown_topics(
        ["GenAI tools", "Race & ethnicity at work", "genai tools", "Neurodiversity"]
    )
    assert shown == ("GenAI tools", INCLUSION_WORDS)
    # A label the catalogue does not ship says less, not more.
    assert shown_topics(["Something I typed"]) == (INCLUSION_WORDS,)
    assert shown_topics([]) == ()


def test_reasons_naming_an_inclusion_topic_are_folded() -> None:
    mentor = _person(1, "Ana", teaches=("GenAI tools", "LGBTQ+ inclusion"))
    mentee = _person(2, "Femi", learns=("GenAI tools", "LGBTQ+ inclusion"))
    reasons = (
        "both interested in GenAI tools",
        "both interested in LGBTQ+ inclusion",
        "in the same time zone",
    )
    assert preview_reasons(reasons, mentor, mentee) == (
        f"both interested in {INCLUSION_WORDS}",
        "both interested in GenAI tools",
        "in the same time zone",
    )
    assert preview_reasons(reasons[:1], mentor, mentee) == reasons[:1]


def test_numbers_read_as_words() -> None:
    assert [number_words(n) for n in (0, 3, 20, 21)] == ["zero", "three", "twenty", "21"]
    assert hours_words(120) == "two hours" and hours_words(60) == "one hour"
    assert hours_words(90) == "one hour 30 minutes" and hours_words(30) == "30 minutes"
    assert level_words(2) == "two levels apart" and level_words(1) == "one level apart"
    assert level_words(0) == "at the same level"
    assert level_words(-1) == "one level apart, the mentor more senior"


def test_both_previews_hide_inclusion_topics_everywhere() -> None:
    mentor = _person(
        1,
        "Ana",
        title="Analyst",
        department="Eng",
        timezone="Europe/London",
        teaches=("Gender equity", "Data literacy"),
    )
    mentee = _person(2, "Femi", title="CFO", department="Finance", learns=("Gender equity",))
    pair = Pair(
        1,
        1,
        2,
        10.0,
        ("both interested in Gender equity", "from different departments (Eng and Finance)"),
        PairStatus.PROPOSED,
        datetime(2027, 1, 4, tzinfo=UTC),
    )
    config = AppConfig(programme=ProgrammeConfig(name="RM", start_date=date(2027, 1, 11)))
    for viewer, other in ((mentee, mentor), (mentor, mentee)):
        text = consent_preview(pair, viewer, other, config, key="k").fallback_text
        assert "Gender equity" not in text and INCLUSION_WORDS in text
    senior = consent_preview(pair, mentee, mentor, config, key="k").fallback_text
    assert "Can share: Data literacy, perspectives on inclusion" in senior
    assert "About them: Analyst, Eng" in senior and "Time zone: Europe/London" in senior
    junior = consent_preview(pair, mentor, mentee, config, key="k").fallback_text
    assert "Hopes to learn: perspectives on inclusion" in junior


async def test_the_chat_sign_up_and_the_welcome_say_what_partners_see() -> None:
    flow = Flow()
    dana = await flow.person("dana@example.com", name="Dana")
    asked = await flow.say(dana, "join")
    assert WHAT_PARTNERS_SEE in text_of(asked)
    welcome = await flow.tap(dana, actions.ENROL_ROLE, "mentor")
    assert WHAT_PARTNERS_SEE in text_of(welcome)
    form = json.dumps({"teaches": ["GenAI tools"]})
    saved = await flow.tap(dana, actions.ENROL_FORM, form)
    assert "Saved" in text_of(saved) and WHAT_PARTNERS_SEE in text_of(saved)


async def test_the_teams_card_says_what_partners_see() -> None:
    flow = Flow()
    dana = await flow.person("dana@example.com", name="Dana")
    (asked,) = await flow.say(dana, "join")
    card = render_card(asked, topics=("GenAI tools", "Accessibility"))
    assert WHAT_PARTNERS_SEE in json.dumps(card, ensure_ascii=False)


def test_the_slack_modal_says_what_partners_see() -> None:
    modal = enrol_modal(None, topics=load_topics(), partners_see=WHAT_PARTNERS_SEE)
    context = [b for b in modal["blocks"] if b["type"] == "context"]
    assert [e["text"] for b in context for e in b["elements"]] == [WHAT_PARTNERS_SEE]
    # Right after the topic pickers, which it is about.
    kinds = [b.get("block_id", b["type"]) for b in modal["blocks"]]
    assert kinds.index("context") == kinds.index(LEARNS) + 1
