"""Render neutral messages as plain text, with buttons numbered so they can be typed."""

from __future__ import annotations

import re
import textwrap

from conversations.types import Button, Buttons, Choice, Image, Link, OutgoingMessage, Text

WIDTH = 88
_BOLD = re.compile(r"\*([^*\n]+)\*")  # the neutral *bold* reads as plain words in a terminal
_NOT_A_WORD = re.compile(r"[^\w\s]")


def render(message: OutgoingMessage, *, first_number: int = 1, indent: str = "  ") -> str:
    """The fallback text, then links, choices and `[n] label` for each button.

    A message of several questions (text and buttons only, more than one row of buttons, such
    as the closing survey) shows each row under its own question, numbered on from the last.
    """
    rows = [b for b in message.blocks if isinstance(b, Buttons)]
    if len(rows) > 1 and all(isinstance(b, Text | Buttons) for b in message.blocks):
        return _questions(message, first_number, indent)
    lines: list[str] = []
    for paragraph in _BOLD.sub(r"\1", message.fallback_text).split("\n"):
        wrapped = textwrap.wrap(paragraph, WIDTH - len(indent)) or [""]
        lines.extend(indent + line for line in wrapped)
    for block in message.blocks:
        if isinstance(block, Link):
            lines.append(f"{indent}↗ {block.label}: {block.url}")
        elif isinstance(block, Image):
            lines.append(f"{indent}🖼 {block.alt}: {block.url}")
        elif isinstance(block, Choice):
            options = ", ".join(o.label for o in block.options)
            lines.append(f"{indent}{block.label}: {options}")
    buttons = message.buttons()
    if buttons:
        labels = [f"[{n}] {b.label}" for n, b in enumerate(buttons, start=first_number)]
        lines.append(indent + "   ".join(labels))
    return "\n".join(lines)


def _questions(message: OutgoingMessage, first_number: int, indent: str) -> str:
    lines: list[str] = []
    number = first_number
    for block in message.blocks:
        if isinstance(block, Text):
            for paragraph in _BOLD.sub(r"\1", block.text).split("\n"):
                wrapped = textwrap.wrap(paragraph, WIDTH - len(indent)) or [""]
                lines.extend(indent + line for line in wrapped)
        elif isinstance(block, Buttons):
            labels = [f"[{n}] {b.label}" for n, b in enumerate(block.buttons, start=number)]
            lines.append(indent + "   ".join(labels))
            number += len(block.buttons)
    return "\n".join(lines)


def pick_button(text: str, buttons: tuple[Button, ...]) -> Button | None:
    """The button whose number (`1`, `[1]`) or label the person typed, or None when the text
    is neither: it is then a message to the bot.

    A label matches in any case, without its emoji (`we met` presses "We met ✅"); one shown
    on several messages (a request and its reminder) presses the latest.
    """
    text = text.strip().strip("[]").strip()
    if text.isdigit():
        number = int(text)
        return buttons[number - 1] if 1 <= number <= len(buttons) else None
    named = [b for b in buttons if _words(b.label) == _words(text)]
    return named[-1] if named and _words(text) else None


def _words(label: str) -> str:
    """A label as typed: its words in lower case, without emoji or punctuation."""
    return " ".join(_NOT_A_WORD.sub(" ", label).casefold().split())
