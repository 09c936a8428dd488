"""A pair's sessions on the programme's cadence."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from conversations.types import (
    Session,
    SessionStatus,
)


class Sessions(Protocol):
    """A pair's sessions: created on the cadence, reported, moved."""

    async def create_sessions(self, pair_id: int, due_dates: Sequence[date]) -> list[Session]:
        """Create sessions 1..N with these due dates unless they exist; returns all of them."""
        ...

    async def sessions_of(self, pair_id: int) -> list[Session]:
        """A pair's sessions in order."""
        ...

    async def get_session(self, pair_id: int, number: int) -> Session | None:
        """One session of a pair, or None."""
        ...

    async def report_session(
        self, pair_id: int, number: int, *, status: SessionStatus, by: int | None, at: datetime
    ) -> tuple[Session, bool]:
        """Record whether a session happened (first report wins; "met" beats "missed")."""
        ...

    async def move_session(self, pair_id: int, number: int, due_date: date) -> Session:
        """Move a session that has not happened yet to a new date."""
        ...

    async def shift_sessions(self, pair_id: int, since: date, days: int) -> list[Session]:
        """Move every session still to come, due on or after `since`, by `days` days."""
        ...
