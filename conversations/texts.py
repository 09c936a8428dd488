"""The general message builders every area writes with: `compose` (blocks in, a message with
its fallback text out), `reply`, and the words for counts and dates. Pure: data in, text or
`OutgoingMessage` out. Each area's own wording lives in its `*_texts.py` module."""

from __future__ import annotations

from datetime import date

from conversations.config import AppConfig
from conversations.types import (
    Block,
    Button,
    Buttons,
    Facts,
    OutgoingMessage,
    Premise,
    Recipient,
    Text,
)


def compose(
    to: Recipient,
    kind: str,
    *blocks: Block,
    key: str = "",
    private: bool = False,
    premise: Premise | None = None,
) -> OutgoingMessage:
    """Build a message whose fallback text is its text and facts, in order; `premise`: what
    must still be true when a queued copy is sent (conversations/outbox/premise.py)."""
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Text):
            lines.append(block.text)
        elif isinstance(block, Facts):
            lines.extend(f"{label}: {value}" for label, value in block.rows)
    return OutgoingMessage(
        to=to,
        kind=kind,
        fallback_text="\n".join(lines),
        blocks=tuple(blocks),
        idempotency_key=key,
        private=private,
        premise=premise,
    )


def reply(to: Recipient, kind: str, text: str, *buttons: Button) -> OutgoingMessage:
    """A short private answer, optionally with buttons."""
    blocks: list[Block] = [Text(text)]
    if buttons:
        blocks.append(Buttons(tuple(buttons)))
    return compose(to, kind, *blocks, private=True)


def plural(n: int, word: str, words: str | None = None) -> str:
    """`1 person`, `3 people`: the count with the right form of the noun."""
    return f"{n} {word if n == 1 else (words or word + 's')}"


def fmt_date(day: date) -> str:
    """A date as people read it: 'Mon 1 Feb 2027'."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def programme_outline(config: AppConfig) -> str:
    """One line on what the programme asks of people."""
    p = config.programme
    weeks = p.cadence_days // 7
    every = (
        f"every {weeks} weeks"
        if p.cadence_days % 7 == 0 and weeks > 1
        else ("every week" if p.cadence_days == 7 else f"every {p.cadence_days} days")
    )
    return f"{p.sessions} conversations, one {every}, from {fmt_date(p.start_date)}."
