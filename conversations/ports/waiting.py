"""A typed line the bot waits for from one person."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from conversations.types import (
    PendingInput,
)


class WaitingLines(Protocol):
    """The typed line the bot waits for from a person (at most one at a time)."""

    async def set_pending_input(
        self, person_id: int, kind: str, context: Mapping[str, int | str], expires_at: datetime
    ) -> None:
        """Wait for this person's next typed message."""
        ...

    async def take_pending_input(self, person_id: int, now: datetime) -> PendingInput | None:
        """What the bot waits for from this person (removing it); None when nothing/expired."""
        ...

    async def clear_pending_input(self, person_id: int) -> None:
        """Stop waiting for a typed answer from this person."""
        ...
