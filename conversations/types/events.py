"""The neutral types that cross every boundary (docs/architecture.md, "What crosses").

Adapters translate platform payloads into these and render `OutgoingMessage`s back; the engine
never sees a Slack or Teams object. Everything here is a frozen stdlib dataclass so values can
be compared in tests, hashed, and serialised into the delivery queue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, NamedTuple

from conversations.types.premises import Premise

Platform = Literal["slack", "teams", "console"]


class PlatformNames(NamedTuple):
    """Every platform's name, in the order delivery prefers them (delivery/routing.py). Storage
    and delivery take the names from `PLATFORMS`, each adapter its own; kept in step with
    `Platform` by tests/adapters/test_platform_names.py."""

    slack: Platform = "slack"
    teams: Platform = "teams"
    console: Platform = "console"


PLATFORMS = PlatformNames()


@dataclass(frozen=True)
class UserRef:
    """Who: one person's account on one platform."""

    platform: str
    tenant_id: str
    user_id: str


@dataclass(frozen=True)
class Address:
    """Where: a conversation (DM, group DM, Teams personal chat) and optionally a thread."""

    platform: str
    tenant_id: str
    conversation_id: str
    thread_id: str | None = None


# --- incoming -------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncomingMessage:
    """A person wrote to the bot (a DM or a Teams personal chat message)."""

    user: UserRef
    address: Address
    text: str
    received_at: datetime


@dataclass(frozen=True)
class Action:
    """A person pressed a button or submitted a form; `value` carries the button's data."""

    user: UserRef
    address: Address
    action_id: str
    value: str
    received_at: datetime
    message_id: str | None = None  # the message the button sat on, so it can be updated


@dataclass(frozen=True)
class Command:
    """A slash command (or its Teams equivalent): `name` is the first word, `args` the rest."""

    user: UserRef
    address: Address
    name: str
    args: str
    received_at: datetime


@dataclass(frozen=True)
class MemberJoined:
    """The bot was installed for a person, or a person joined a conversation with it."""

    user: UserRef
    address: Address


Event = IncomingMessage | Action | Command | MemberJoined


# --- outgoing: a small neutral block vocabulary ---------------------------------------------


@dataclass(frozen=True)
class Text:
    """A paragraph. `markdown` uses the common subset: *bold*, _italic_, links as <url|label>."""

    text: str


@dataclass(frozen=True)
class Facts:
    """Label/value rows ("Session": "2 of 6")."""

    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Button:
    """A one-tap answer. `style` is a hint: "primary", "danger" or "" (plain).

    `description`: what the button means in words, for screen readers (Slack's
    `accessibility_label`, a Teams tooltip); keep it under 75 characters. Platforms without
    such a field ignore it, so the label must make sense on its own too."""

    label: str
    action_id: str
    value: str = ""
    style: str = ""
    description: str = ""


@dataclass(frozen=True)
class Buttons:
    """A row of buttons."""

    buttons: tuple[Button, ...]


@dataclass(frozen=True)
class Option:
    """One option of a `Choice`."""

    label: str
    value: str


@dataclass(frozen=True)
class Choice:
    """Pick one (or several) of a list, e.g. topics to learn."""

    action_id: str
    label: str
    options: tuple[Option, ...]
    multiple: bool = False


@dataclass(frozen=True)
class Link:
    """A link rendered as a button where the platform allows (deep links, dashboard)."""

    label: str
    url: str


@dataclass(frozen=True)
class Image:
    """A picture by URL (a chart); `alt` says what it shows for those who cannot see it."""

    url: str
    alt: str


Block = Text | Facts | Buttons | Choice | Link | Image


@dataclass(frozen=True)
class ToPerson:
    """Send to one person's private conversation with the bot, on their own platform."""

    person_id: int


@dataclass(frozen=True)
class ToPair:
    """Send to a pair's shared conversation (Slack group DM; each partner's chat on Teams)."""

    pair_id: int


Recipient = Address | ToPerson | ToPair


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to send. `fallback_text` is complete on its own (notifications, console).

    `idempotency_key` identifies the message across retries and processes: a queued message
    with a key already sent is never sent again.
    """

    to: Recipient
    kind: str
    fallback_text: str
    blocks: tuple[Block, ...] = ()
    idempotency_key: str = ""
    private: bool = False  # an ephemeral answer where the platform has them (slash commands)
    replaces: str | None = None  # platform message id to update instead of posting anew
    metadata: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    # What must still be true when a queued copy is sent (None: nothing to check), see
    # conversations/outbox/premise.py; replies sent at once never need one.
    premise: Premise | None = None

    def buttons(self) -> tuple[Button, ...]:
        """Every button in the message, in order (the console numbers them this way)."""
        return tuple(
            b for block in self.blocks if isinstance(block, Buttons) for b in block.buttons
        )


@dataclass(frozen=True)
class Delivery:
    """What a send returned: the platform's id for the message (Slack `ts`, Teams activity id)."""

    platform: str
    message_id: str
    address: Address
    sent_at: datetime
