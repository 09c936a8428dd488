"""Neutral messages → Block Kit (errbot's `Card` idea: one neutral message, native rendering).

Slack rejects a whole message (`invalid_blocks`) when one field is over its limit, so every
field is cut to the documented maximum here rather than trusted to be short. The fallback text
goes in `text`: Slack shows it in notifications and to clients that cannot draw blocks.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any

from adapters.slack.limits import (
    ACCESSIBILITY_LABEL,
    ACTION_ID,
    ACTIONS_PER_BLOCK,
    BUTTON_TEXT,
    BUTTON_VALUE,
    FIELD_TEXT,
    FIELDS_PER_SECTION,
    MESSAGE_BLOCKS,
    MESSAGE_TEXT,
    OPTION_TEXT,
    OPTION_VALUE,
    OPTIONS,
    PLACEHOLDER,
    SECTION_TEXT,
    URL_LENGTH,
    VIEW_BLOCKS,
)
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
)

log = logging.getLogger(__name__)

# Slack wants action_ids unique within a block, but several neutral buttons share one id
# (the five `pulse.rate` buttons): a suffix tells them apart and `neutral_action_id` drops it.
ACTION_SUFFIX = "#"
LINK_ACTION = "link.open"  # url buttons still send block_actions; the translator ignores them

# What may stay unescaped in mrkdwn: links (<https://…|label>), mentions (<@U1>, <#C1>,
# <!here>) — the neutral vocabulary writes links the same way Slack does.
_SLACK_TOKEN = re.compile(r"<(?:https?://|mailto:|@|#|!)[^<>\n]*>")


def escape(text: str) -> str:
    """Escape &, < and > for mrkdwn (Slack requires it), keeping links and mentions."""
    out: list[str] = []
    last = 0
    for match in _SLACK_TOKEN.finditer(text):
        out.append(_escape_plain(text[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(_escape_plain(text[last:]))
    return "".join(out)


def _escape_plain(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, ending in an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def split_text(text: str, limit: int = SECTION_TEXT) -> list[str]:
    """Split long text into chunks of at most `limit`, at line breaks where possible.

    An escaped entity (`&amp;`) is never cut in half: Slack would show the broken pieces.
    """
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
            amp = rest.rfind("&", max(0, cut - 5), cut)
            if amp != -1 and ";" not in rest[amp:cut]:
                cut = amp
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if rest.strip():
        chunks.append(rest)
    return [c for c in chunks if c.strip()]


def plain(text: str, limit: int) -> dict[str, Any]:
    """A plain_text object (buttons, placeholders, titles); emoji shortcodes allowed."""
    return {"type": "plain_text", "text": truncate(text, limit) or " ", "emoji": True}


def slack_action_id(action_id: str, index: int) -> str:
    """The Block Kit action_id for the `index`-th element of a message."""
    suffix = f"{ACTION_SUFFIX}{index}"
    return action_id[: ACTION_ID - len(suffix)] + suffix


def neutral_action_id(action_id: str) -> str:
    """The neutral action id behind a Block Kit action_id (drops the uniqueness suffix)."""
    head, sep, tail = action_id.rpartition(ACTION_SUFFIX)
    return head if sep and tail.isdigit() else action_id


def _value(value: str, limit: int, what: str) -> str:
    if len(value) > limit:
        # Never expected (values are ids); cut rather than have Slack refuse the whole message.
        log.warning("%s value of %d chars cut to Slack's %d", what, len(value), limit)
        return value[:limit]
    return value


def button(b: Button, index: int) -> dict[str, Any]:
    """One neutral button as a Block Kit button element."""
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(b.label, BUTTON_TEXT),
        "action_id": slack_action_id(b.action_id, index),
    }
    if b.value:
        element["value"] = _value(b.value, BUTTON_VALUE, "button")
    if b.style in ("primary", "danger"):  # the only styles Slack knows
        element["style"] = b.style
    if b.description:  # read by screen readers instead of the button's text
        element["accessibility_label"] = truncate(b.description, ACCESSIBILITY_LABEL)
    return element


def option(label: str, value: str) -> dict[str, Any]:
    """A Block Kit option object."""
    return {"text": plain(label, OPTION_TEXT), "value": _value(value, OPTION_VALUE, "option")}


def select(choice: Choice, index: int) -> dict[str, Any]:
    """A Choice as a (multi) static select element."""
    options = [option(o.label, o.value) for o in choice.options[:OPTIONS]]
    return {
        "type": "multi_static_select" if choice.multiple else "static_select",
        "action_id": slack_action_id(choice.action_id, index),
        "placeholder": plain(choice.label, PLACEHOLDER),
        "options": options,
    }


def _sections(text: str) -> list[dict[str, Any]]:
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": chunk}}
        for chunk in split_text(escape(text))
    ]


def _facts(facts: Facts) -> list[dict[str, Any]]:
    fields = [
        {"type": "mrkdwn", "text": truncate(f"*{escape(label)}*\n{escape(value)}", FIELD_TEXT)}
        for label, value in facts.rows
    ]
    return [  # an empty Facts renders as nothing: Slack refuses a section without text
        {"type": "section", "fields": fields[i : i + FIELDS_PER_SECTION]}
        for i in range(0, len(fields), FIELDS_PER_SECTION)
    ]


def _actions(elements: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"type": "actions", "elements": list(elements[i : i + ACTIONS_PER_BLOCK])}
        for i in range(0, len(elements), ACTIONS_PER_BLOCK)
    ]


def blocks(neutral: Iterable[Block], *, limit: int = MESSAGE_BLOCKS) -> list[dict[str, Any]]:
    """Block Kit blocks for neutral blocks, at most `limit` of them."""
    out: list[dict[str, Any]] = []
    index = 0
    pending_links: list[dict[str, Any]] = []

    def flush_links() -> None:
        out.extend(_actions(pending_links))
        pending_links.clear()

    for block in neutral:
        if isinstance(block, Link):
            pending_links.append(
                {
                    "type": "button",
                    "text": plain(block.label, BUTTON_TEXT),
                    "url": block.url[:URL_LENGTH],
                    "action_id": slack_action_id(LINK_ACTION, index),
                }
            )
            index += 1
            continue
        flush_links()
        if isinstance(block, Text):
            out.extend(_sections(block.text))
        elif isinstance(block, Facts):
            out.extend(_facts(block))
        elif isinstance(block, Buttons):
            elements = [button(b, index + n) for n, b in enumerate(block.buttons)]
            index += len(elements)
            out.extend(_actions(elements))
        elif isinstance(block, Choice):
            out.extend(_actions([select(block, index)]))
            index += 1
        elif isinstance(block, Image):
            # Slack fetches image_url itself (max 3000 characters; alt_text max 2000).
            out.append(
                {"type": "image", "image_url": block.url[:3000], "alt_text": block.alt[:2000]}
            )
    flush_links()
    if len(out) > limit:
        # Keep the first blocks (the text people read first) and say something was cut; the
        # complete fallback text still reaches notifications.
        out = [*out[: limit - 1], _context("(Shortened: Slack shows at most this much.)")]
    return out


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def fallback(message: OutgoingMessage) -> str:
    """The message's `text`: the neutral fallback, escaped, never empty."""
    text = escape(message.fallback_text.strip()) or "…"
    return truncate(text, MESSAGE_TEXT)


def render_message(message: OutgoingMessage) -> dict[str, Any]:
    """`text` and `blocks` arguments for chat.postMessage / chat.update / response_url."""
    rendered: dict[str, Any] = {"text": fallback(message)}
    rendered_blocks = blocks(message.blocks)
    if rendered_blocks:
        rendered["blocks"] = rendered_blocks
    return rendered


def render_home(message: OutgoingMessage) -> dict[str, Any]:
    """A Home tab view (views.publish) from the engine's `home` message."""
    rendered_blocks = blocks(message.blocks, limit=VIEW_BLOCKS) or _sections(
        message.fallback_text or "Nothing to show yet."
    )
    return {"type": "home", "blocks": rendered_blocks}
