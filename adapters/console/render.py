"""Render neutral messages as plain text, with buttons numbered so they can be typed."""

from __future__ import annotations

import re
import textwrap

from adapters.console.limits import WIDTH
from conversations.types import Buttons, Choice, Image, Link, OutgoingMessage, Text

_BOLD = re.compile(r"\*([^*\n]+)\*")  # the neutral *bold* reads as plain words in a terminal


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
