"""Neutral `OutgoingMessage` → Adaptive Card 1.5 (a plain dict; no botbuilder here).

Layouts live in JSON templates under `adapters/teams/cards/` (Icebreaker's card JSON + data
object, so a designer can edit them without Python); this module only binds data into them, by
element `id`, never by string
replacement — a name with a quote or a brace in it cannot break a card.

Buttons become `Action.Execute` (Universal Actions: Teams answers with an `invoke` and can
replace the card in place) with an `Action.Submit` fallback for clients that predate 1.4; both
carry `{"action": action_id, "value": value}`, which `translate.py` reads back.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from typing import Any

from conversations.types import (
    Block,
    Button,
    Buttons,
    Choice,
    Facts,
    Image,
    Link,
    OutgoingMessage,
    Text,
    actions,
)

Card = dict[str, Any]
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
# Kinds with their own layout; every other kind uses `generic.json`. The lead's lifecycle kinds
# ("prompt", "prep", …) are listed so their cards get a heading as soon as they exist.
TEMPLATES = {
    "welcome": "welcome",
    "consent": "consent",
    "intro": "intro",
    "prompt": "prompt",
    "prep": "prep",
    "did_you_meet": "did_you_meet",
    "nudge": "nudge",
    "pulse": "pulse",
    "checkin": "checkin",
    "closing": "closing",
}
ENROL_KIND = "join.role"  # the engine's answer to `join`: on Teams, a whole enrolment form
MAX_TOPICS = 10  # as the engine's profile rule
_STYLES = {"primary": "positive", "danger": "destructive"}
_BOLD = re.compile(r"(?<![*\w])\*(\S|\S[^*\n]*?\S)\*(?![*\w])")
_CODE = re.compile(r"`([^`\n]+)`")
_SLACK_LINK = re.compile(r"<(https?://[^|>\s]+)\|([^>]+)>")


@functools.cache
def _template_text(name: str) -> str:
    return resources.files("adapters.teams.cards").joinpath(f"{name}.json").read_text("utf-8")


def load_template(name: str) -> Card:
    """A fresh copy of the card template `name` (parsed once, copied per use)."""
    card: Card = json.loads(_template_text(name))
    return card


def template_for(kind: str) -> str:
    """The template a message kind is drawn with."""
    return TEMPLATES.get(kind, "generic")


def markdown(text: str) -> str:
    """The neutral markup (*bold*, `command`, <url|label>) in Adaptive Card markdown."""
    # Each pattern only where its marker occurs: most texts have none, and a card has a dozen.
    if "<" in text:
        text = _SLACK_LINK.sub(lambda m: f"[{m.group(2)}]({m.group(1)})", text)
    if "*" in text:
        text = _BOLD.sub(r"**\1**", text)
    if "`" in text:
        # TextBlock has no inline code; commands read best in bold ("type **status**").
        text = _CODE.sub(r"**\1**", text)
    return text


def button_data(button: Button) -> dict[str, str]:
    """What a pressed button sends back (read by `translate.action_from_data`)."""
    return {"action": button.action_id, "value": button.value}


def button_action(button: Button) -> dict[str, Any]:
    """One button as Action.Execute, falling back to Action.Submit on older clients."""
    data = button_data(button)
    action: dict[str, Any] = {
        "type": "Action.Execute",
        "title": button.label,
        "verb": button.action_id,
        "data": data,
        "fallback": {"type": "Action.Submit", "title": button.label, "data": dict(data)},
    }
    if button.style in _STYLES:
        action["style"] = _STYLES[button.style]
        action["fallback"]["style"] = _STYLES[button.style]
    if button.description:
        # Adaptive Cards 1.5: shown on hover and read by narration software.
        action["tooltip"] = button.description
        action["fallback"]["tooltip"] = button.description
    return action


def _choice_elements(choice: Choice) -> list[dict[str, Any]]:
    choices = [{"title": o.label, "value": o.value} for o in choice.options]
    submit = Button("Send", choice.action_id, "", "primary")
    send = button_action(submit)
    # The input's value arrives in the data under the input id; no fixed "value" to send.
    for data in (send["data"], send["fallback"]["data"]):
        del data["value"]
    return [
        {
            "type": "Input.ChoiceSet",
            "id": choice.action_id,
            "label": choice.label,
            "choices": choices,
            "isMultiSelect": choice.multiple,
            "style": "expanded" if len(choices) <= 5 else "compact",
        },
        {"type": "ActionSet", "actions": [send]},
    ]


def block_elements(block: Block) -> list[dict[str, Any]]:
    """The body elements for one neutral block (links are card actions, see `render_card`)."""
    if isinstance(block, Text):
        return [{"type": "TextBlock", "text": markdown(block.text), "wrap": True}]
    if isinstance(block, Facts):
        facts = [{"title": label, "value": markdown(value)} for label, value in block.rows]
        return [{"type": "FactSet", "facts": facts}]
    if isinstance(block, Buttons):
        return [{"type": "ActionSet", "actions": [button_action(b) for b in block.buttons]}]
    if isinstance(block, Choice):
        return _choice_elements(block)
    if isinstance(block, Image):
        return [{"type": "Image", "url": block.url, "altText": block.alt, "size": "Stretch"}]
    return []


def _find(elements: Iterable[Any], element_id: str) -> dict[str, Any] | None:
    for element in elements:
        if not isinstance(element, dict):
            continue
        if element.get("id") == element_id:
            return element
        for key in ("items", "columns", "body"):
            found = _find(element.get(key, ()), element_id)
            if found is not None:
                return found
    return None


def bind(card: Card, element_id: str, key: str, value: Any) -> Card:
    """Set `key` of the element with `element_id` (KeyError when the template lacks it)."""
    element = _find(card.get("body", ()), element_id)
    if element is None:
        raise KeyError(f"card template has no element with id {element_id!r}")
    element[key] = value
    return card


def render_card(message: OutgoingMessage, *, topics: Sequence[str] = ()) -> Card:
    """The Adaptive Card for a message. `topics` fills the enrolment form's pickers."""
    if message.kind == ENROL_KIND:
        return enrolment_card(message, topics)
    card = load_template(template_for(message.kind))
    items: list[dict[str, Any]] = []
    for block in message.blocks:
        items.extend(block_elements(block))
    if not items and message.fallback_text:
        items.append({"type": "TextBlock", "text": markdown(message.fallback_text), "wrap": True})
    bind(card, "content", "items", items)
    card["actions"] = [
        {"type": "Action.OpenUrl", "title": b.label, "url": b.url}
        for b in message.blocks
        if isinstance(b, Link)
    ]
    return card


def enrolment_card(message: OutgoingMessage, topics: Sequence[str]) -> Card:
    """The `join` answer as one form: side, topics to share and learn, time zone."""
    card = load_template("enrol_form")
    intro = [b for b in message.blocks if isinstance(b, Text)]
    bind(card, "content", "items", [e for b in intro for e in block_elements(b)])
    roles = [
        {"title": b.label, "value": b.value}
        for b in message.buttons()
        if b.action_id == actions.ENROL_ROLE
    ]
    options = [{"title": t, "value": t} for t in topics]
    bind(card, "role", "choices", roles)
    bind(card, "teaches", "choices", options)
    bind(card, "learns", "choices", copy.deepcopy(options))
    submit = card["actions"][0]
    submit["verb"] = actions.ENROL_FORM
    submit["data"] = {"action": actions.ENROL_FORM}
    submit["fallback"] = {
        "type": "Action.Submit",
        "title": submit["title"],
        "data": {"action": actions.ENROL_FORM},
    }
    return card


def form_value(data: Mapping[str, Any]) -> str:
    """The enrolment form's inputs as the JSON value `enrol.form` expects.

    Multi-select inputs arrive as one comma-joined string (Adaptive Cards' format); the shipped
    topic labels contain no commas, which `tests/adapters/teams` checks.
    """
    value: dict[str, Any] = {}
    role = str(data.get("role", "")).strip()
    if role:
        value["role"] = role
    for key in ("teaches", "learns"):
        raw = data.get(key)
        if isinstance(raw, list):
            picked = [str(t).strip() for t in raw]
        else:
            picked = [t.strip() for t in str(raw or "").split(",")]
        picked = [t for t in picked if t][:MAX_TOPICS]
        if picked:
            value[key] = picked
    timezone = str(data.get("timezone", "")).strip()
    if timezone:
        value["timezone"] = timezone
    return json.dumps(value, ensure_ascii=False)
