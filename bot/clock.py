"""Clocks for the composition root; tests inject their own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> datetime:
        """The current time."""
        return datetime.now(UTC)


class SimulatedClock:
    """A clock that stands still until moved: `tick --now` and the demo's simulated time."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a simulated clock needs a timezone-aware start")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        """The simulated current time."""
        return self._now

    def set(self, when: datetime) -> None:
        """Jump to `when` (never backwards: schedules assume time moves forward)."""
        self._now = max(self._now, when.astimezone(UTC))

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by `delta`; returns the new time."""
        self._now += delta
        return self._now
