"""A line typed in the terminal → a neutral event: a button's number or label presses it (as a
tap would on Slack or Teams), anything else is a message to the bot."""

from __future__ import annotations

import re
from datetime import datetime

from conversations.types import Action, Address, Button, Event, IncomingMessage, UserRef

_NOT_A_WORD = re.compile(r"[^\w\s]")


def typed(
    text: str, user: UserRef, address: Address, buttons: tuple[Button, ...], now: datetime
) -> Event:
    """The event a line of typing stands for, given the buttons the person can press."""
    button = pick_button(text, buttons)
    if button is not None:
        return Action(user, address, button.action_id, button.value, now)
    return IncomingMessage(user, address, text, now)


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
