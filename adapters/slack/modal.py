"""The enrolment modal `join` opens: side, topics to teach and learn, time zone.

Its submission becomes one neutral `Action(action_id="enrol.form", value=JSON)` (see
`conversations.types.actions.ENROL_FORM`), so the engine validates and stores it like any other
form.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from adapters.slack.limits import OPTION_VALUE
from adapters.slack.render import option, plain
from conversations.config import check_timezone
from conversations.types import Person, Role, actions

CALLBACK_ID = actions.ENROL_FORM  # view callback_id: the listener and translator key on it
ROLE, TEACHES, LEARNS, TIMEZONE = "role", "teaches", "learns", "timezone"  # block = action ids
ROLE_OPTIONS = (
    (Role.MENTOR, "I'd like to mentor a senior leader"),
    (Role.MENTEE, "I'd like a junior mentor"),
    (Role.EITHER, "Either is fine: match me where I fit best"),
)
# Modal limits (docs.slack.dev/reference/views): title and button text 24 characters,
# private_metadata 3000; a multi-select may cap how many options are picked.
TITLE = 24
MAX_PICKED = (
    10  # the engine keeps at most 10 topics per list (conversations.enrolment.self_service)
)
PRIVATE_METADATA = 3000


def _topic_groups(catalogue: Mapping[str, Sequence[str]]) -> list[dict[str, Any]]:
    """The catalogue as option groups, one per track ("Technology", "Inclusion")."""
    return [
        {
            "label": plain(track.replace("_", " ").capitalize(), 75),
            "options": [option(label, label) for label in labels[:100]],
        }
        for track, labels in catalogue.items()
    ]


def _initial(picked: Sequence[str], catalogue: Mapping[str, Sequence[str]]) -> list[dict[str, Any]]:
    # Slack rejects an initial option that is not among the options: keep catalogue topics.
    known = {label for labels in catalogue.values() for label in labels}
    return [option(t, t) for t in picked if t in known and len(t) <= OPTION_VALUE][:MAX_PICKED]


def _topics_input(
    block_id: str, label: str, picked: Sequence[str], catalogue: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "multi_static_select",
        "action_id": block_id,
        "placeholder": plain("Pick a few topics", 150),
        "option_groups": _topic_groups(catalogue),
        "max_selected_items": MAX_PICKED,
    }
    initial = _initial(picked, catalogue)
    if initial:
        element["initial_options"] = initial
    return {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": plain(label, 2000),
        "element": element,
    }


def enrol_modal(
    person: Person | None,
    *,
    topics: Mapping[str, Sequence[str]],
    partners_see: str,
    timezone: str = "",
    private_metadata: str = "",
) -> dict[str, Any]:
    """The `views.open` view for joining, prefilled from the person and their Slack profile.

    `topics` is the catalogue by track (the pickers' option groups); `partners_see` says what a
    partner will see, next to the topics it is about (both handed over in `AdapterDeps`).
    """
    role_options = [option(text, role.value) for role, text in ROLE_OPTIONS]
    role_element: dict[str, Any] = {
        "type": "radio_buttons",
        "action_id": ROLE,
        "options": role_options,
    }
    if person is not None and person.role is not None:
        role_element["initial_option"] = next(
            o for o in role_options if o["value"] == person.role.value
        )
    tz_element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": TIMEZONE,
        "placeholder": plain("e.g. Europe/London", 150),
        "max_length": 64,
    }
    initial_tz = (person.timezone if person and person.timezone else "") or timezone
    if initial_tz:
        tz_element["initial_value"] = initial_tz
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": plain("Reverse mentoring", TITLE),
        "submit": plain("Join", TITLE),
        "close": plain("Not now", TITLE),
        "private_metadata": private_metadata[:PRIVATE_METADATA],
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "Tell me a little about what you'd like from the programme. "
                    "You can change any of it later with `profile`.",
                },
            },
            {
                "type": "input",
                "block_id": ROLE,
                "label": plain("Which side would you like to be on?", 2000),
                "element": role_element,
            },
            _topics_input(TEACHES, "Topics I can teach", person.teaches if person else (), topics),
            _topics_input(
                LEARNS, "Topics I'd like to learn", person.learns if person else (), topics
            ),
            # What a partner will see, next to the topics it is about.
            {"type": "context", "elements": [{"type": "mrkdwn", "text": partners_see}]},
            {
                "type": "input",
                "block_id": TIMEZONE,
                "label": plain("My time zone", 2000),
                "hint": plain("So nudges arrive in your working hours.", 2000),
                "element": tz_element,
            },
        ],
    }


def read_submission(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The form from a view_submission's `view.state.values`, and any field errors.

    Errors are keyed by block id, as `response_action: errors` wants them.
    """
    form: dict[str, Any] = {}
    errors: dict[str, str] = {}
    role = _state(values, ROLE).get("selected_option") or {}
    if role.get("value"):
        form[ROLE] = role["value"]
    for key in (TEACHES, LEARNS):
        picked = _state(values, key).get("selected_options") or []
        form[key] = [o["value"] for o in picked if o.get("value")]
    timezone = (_state(values, TIMEZONE).get("value") or "").strip()
    if timezone:
        try:
            form[TIMEZONE] = check_timezone(timezone)
        except ValueError:
            errors[TIMEZONE] = "Use a time zone name like Europe/London or America/New_York."
    return form, errors


def form_value(form: Mapping[str, Any]) -> str:
    """The `enrol.form` action value: the form as a JSON object."""
    return json.dumps(dict(form), sort_keys=True)


def _state(values: Mapping[str, Any], block_id: str) -> Mapping[str, Any]:
    block = values.get(block_id) or {}
    return block.get(block_id) or {}
