"""The audit log: who did what, append-only."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from conversations.types import (
    AuditEntry,
)


class AuditLog(Protocol):
    """Every admin action, for accountability."""

    async def record(self, actor: str, action: str, detail: str, *, at: datetime) -> None:
        """Append one entry."""
        ...

    async def recent(self, limit: int = 50) -> list[AuditEntry]:
        """The latest entries, newest first."""
        ...
