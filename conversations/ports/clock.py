"""The clock the engine reads: injected, so tests and the demo run in their own time."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    """Where the time comes from; injected so tests travel in time without sleeping."""

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...
