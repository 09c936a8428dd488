"""Signed dashboard and export links, when the web side is configured."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class AdminLinks(Protocol):
    """Links an admin receives in chat (the web side makes and checks them)."""

    async def dashboard(self, now: datetime, admin: str) -> str | None:
        """A single-use, short-lived link to the dashboard for the admin `admin` (their email,
        kept with the link for the audit log), or None when the dashboard is not configured."""
        ...

    async def export(self, now: datetime, admin: str) -> str | None:
        """A single-use, short-lived link to download the CSV export, or None."""
        ...

    def chart(self, now: datetime) -> str | None:
        """A reusable link to the meeting-rate and pulse chart (an image), or None."""
        ...
