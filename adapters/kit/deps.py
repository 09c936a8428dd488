"""`AdapterDeps`: everything an adapter is handed by the composition root (`bot/platforms.py`).

One bundle for every platform, so Slack, Teams and the console ask the rest of the bot for the
same things in the same words: the engine's entry points as plain callables, the directory
look-ups that link a platform account to a person, the clock, the kick that delivers queued work
at once, and what the enrolment forms show (the topic catalogue and the partner-visibility text),
so no adapter reaches into the engine's modules for them.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from conversations.ports import Clock, HandleEvent
from conversations.types import Identity, OutgoingMessage, Person, UserRef

Home = Callable[[UserRef], Awaitable[OutgoingMessage]]  # Engine.home: a person's home view
Queue = Callable[[Sequence[OutgoingMessage], datetime], Awaitable[int]]  # Engine.queue


class People(Protocol):
    """The slice of the store an adapter uses to link accounts and drop retries."""

    async def record_event(self, platform: str, event_id: str, at: datetime) -> bool:
        """Remember an inbound event; False when it was processed already."""
        ...

    async def person_by_identity(self, user: UserRef) -> Person | None:
        """The person linked to this platform account, or None."""
        ...

    async def person_by_email(self, email: str) -> Person | None:
        """The person with this email (case-insensitive), or None."""
        ...

    async def link_identity(self, identity: Identity) -> None:
        """Create or update how a person is reached on a platform."""
        ...

    async def identities_of(self, person_id: int) -> list[Identity]:
        """Every platform identity of one person."""
        ...


def _nothing() -> None:
    """The kick when nobody listens (tests, one-off commands)."""


@dataclass
class AdapterDeps:
    """What the composition root hands every adapter; built once per bot (bot/platforms.py)."""

    handle: HandleEvent  # Engine.handle: an event in, the replies for its conversation out
    people: People
    clock: Clock
    home: Home
    # A reply the platform refused during a request goes to the delivery queue instead.
    queue: Queue
    # Deliver queued work now (the bot's `Wakeup.kick`, bound before any adapter exists).
    kick: Callable[[], None] = _nothing
    # The topic catalogue by track, for the enrolment forms' pickers.
    catalogue: Mapping[str, Sequence[str]] = field(default_factory=dict)
    tracks: Sequence[str] = ()  # the programme's tracks (`programme.tracks` in app.yaml)
    partners_see: str = ""  # what a partner will see of someone's profile, said on the forms

    @functools.cached_property
    def programme_topics(self) -> tuple[str, ...]:
        """The catalogue's topics in the programme's tracks, in catalogue order."""
        return tuple(
            topic
            for track, labels in self.catalogue.items()
            if track in self.tracks
            for topic in labels
        )
