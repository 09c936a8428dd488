"""Processed platform events and the audit log: two append-only tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from conversations.types import AuditEntry
from storage.base import Repository, insert_ignoring_duplicates
from storage.mapping import to_audit
from storage.models import AuditRow, ProcessedEventRow

_RECORD_EVENT: dict[str, Any] = {}  # dialect name → the statement, built once (see below)


def _record_event(connection: AsyncConnection) -> Any:
    """The INSERT … ON CONFLICT DO NOTHING RETURNING id of `record_event`, built once per
    dialect: every inbound request runs it, and building it cost SQLAlchemy more CPU than
    running it."""
    dialect = connection.dialect.name
    if dialect not in _RECORD_EVENT:
        table = ProcessedEventRow.__table__
        _RECORD_EVENT[dialect] = (
            insert_ignoring_duplicates(connection, table, ["platform", "event_id"])
            .values(
                platform=bindparam("platform"),
                event_id=bindparam("event_id"),
                received_at=bindparam("received_at"),
            )
            .returning(table.c.id)
        )
    return _RECORD_EVENT[dialect]


class Events(Repository):
    """Event de-duplication (`record_event`) and `conversations.ports.AuditLog`."""

    async def record_event(self, platform: str, event_id: str, at: datetime) -> bool:
        """Remember a platform event; False when it was processed already.

        Slack retries an event it thinks went unanswered and Bolt does not de-duplicate
        (`X-Slack-Retry-Num`, docs/slack.md). The unique constraint makes this safe across
        processes.
        """
        # One statement, atomic on its own: no transaction around it (two round trips saved
        # on every inbound request).
        async with self._autocommit() as connection:
            values = {"platform": platform, "event_id": event_id, "received_at": at}
            return (await connection.scalar(_record_event(connection), values)) is not None

    async def record(self, actor: str, action: str, detail: str, *, at: datetime) -> None:
        """Append one audit entry."""
        async with self._sessions.begin() as session:
            session.add(AuditRow(actor=actor, action=action, detail=detail, at=at))

    async def recent(self, limit: int = 50) -> list[AuditEntry]:
        """The latest audit entries, newest first."""
        statement = select(AuditRow).order_by(AuditRow.at.desc(), AuditRow.id.desc()).limit(limit)
        async with self._sessions() as session:
            return [to_audit(row) for row in await session.scalars(statement)]
