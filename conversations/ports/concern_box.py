"""Confidential concerns: stored apart, counted, never listed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from conversations.types import (
    ConcernCounts,
    WaitingConcern,
)


class Concerns(Protocol):
    """Confidential concerns (`concern`): kept apart from everything admins browse, read only
    by the people they were sent to; `forget` erases the sender's text and identity."""

    async def add_concern(
        self,
        sender_id: int,
        pair_id: int | None,
        text: str,
        sent_to: Sequence[int],
        *,
        at: datetime,
    ) -> int:
        """Store one concern and whom it is sent to (person ids, maybe none); its id."""
        ...

    async def concerns_raised_by(self, sender_id: int, since: datetime) -> int:
        """How many concerns this person raised at or after `since` (a flood guard)."""
        ...

    async def concern_counts(self) -> ConcernCounts:
        """How many concerns were raised, and how many reached nobody (senders forgotten
        since are not counted as waiting: their text is gone)."""
        ...

    async def undelivered_concerns(self) -> list[WaitingConcern]:
        """The concerns that reached nobody and can still be passed on (their sender is not
        forgotten), oldest first: the only read of a concern's words, for `redeliver`."""
        ...

    async def mark_concern_sent(self, concern_id: int, sent_to: Sequence[int]) -> bool:
        """Record that a waiting concern was passed on to `sent_to`; False when it was no
        longer waiting (another process passed it on first)."""
        ...
