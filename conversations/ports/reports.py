"""Figures for admins: headline numbers, queue health, people who cannot be reached."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from conversations.ports.queue import DueWork
from conversations.types import (
    PublishRules,
    ReportFigures,
    Unreachable,
)


class Reports(Protocol):
    """Aggregate figures for admins."""

    async def figures(self, rules: PublishRules | None = None) -> ReportFigures:
        """The headline programme figures; pulse figures only from windows published under
        `rules` (none without), see `conversations.insights.windows`."""
        ...

    async def queue_counts(self) -> dict[str, int]:
        """Delivery queue rows by status (pending, leased, done, failed)."""
        ...

    async def failed_work(self, limit: int = 50) -> list[DueWork]:
        """Rows that failed for good, latest first; `extra` holds last_error and done_at."""
        ...

    async def cancelled_work(self, limit: int = 50) -> list[DueWork]:
        """Rows cancelled because their premise was gone (or a person was forgotten), latest
        first; `extra` holds last_error (the reason) and done_at."""
        ...

    async def unreachable(self) -> Sequence[Unreachable]:
        """Everyone the bot cannot message, with why: the platform refused them, or they
        take part without an account on any platform this deployment delivers on."""
        ...
