"""The admin web's state shared by every `serve` process: single-use links, sessions, and the
row `/healthz` writes.

Tokens never reach this module: callers pass a keyed hash of each (bot/dashboard/auth.py), so
the rows open nothing without the admin token. Each check-and-change is one UPDATE whose WHERE
clause holds the whole condition: of two processes racing for the same link, exactly one sees
its row come back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, update

from storage.base import Repository, insert_ignoring_duplicates
from storage.models import AdminLinkRow, AdminSessionRow, HealthCheckRow

_LINKS = AdminLinkRow.__table__
_SESSIONS = AdminSessionRow.__table__
_HEALTH = HealthCheckRow.__table__


class AdminWeb(Repository):
    """Links sent in chat, browser sessions and the health check's write."""

    async def issue_link(
        self, token_hash: str, purpose: str, issued_to: str, *, at: datetime, expires_at: datetime
    ) -> None:
        """Store a new link (its token's hash) for `purpose`, sent to the admin `issued_to`."""
        statement = insert(_LINKS).values(
            token_hash=token_hash,
            purpose=purpose,
            issued_to=issued_to,
            created_at=at,
            expires_at=expires_at,
        )
        async with self._autocommit() as connection:
            await connection.execute(statement)

    async def use_link(self, token_hash: str, purpose: str, now: datetime) -> str | None:
        """Mark an unused, unexpired link for `purpose` used; the admin it was sent to, or None
        when there is no such link or it was used or expired (it then stays as it was)."""
        statement = (
            update(_LINKS)
            .where(
                _LINKS.c.token_hash == token_hash,
                _LINKS.c.purpose == purpose,
                _LINKS.c.used_at.is_(None),
                _LINKS.c.expires_at > now,
            )
            .values(used_at=now)
            .returning(_LINKS.c.issued_to)
        )
        async with self._autocommit() as connection:
            issued_to: str | None = await connection.scalar(statement)
        return issued_to

    async def start_session(
        self, token_hash: str, who: str, *, at: datetime, expires_at: datetime
    ) -> None:
        """Store a signed-in browser's session (its cookie token's hash) and who it is."""
        statement = insert(_SESSIONS).values(
            token_hash=token_hash, who=who, created_at=at, expires_at=expires_at
        )
        async with self._autocommit() as connection:
            await connection.execute(statement)

    async def session_of(self, token_hash: str, now: datetime) -> str | None:
        """Who a live session belongs to; None when unknown, expired or revoked."""
        statement = (
            _SESSIONS.select()
            .with_only_columns(_SESSIONS.c.who)
            .where(
                _SESSIONS.c.token_hash == token_hash,
                _SESSIONS.c.revoked_at.is_(None),
                _SESSIONS.c.expires_at > now,
            )
        )
        async with self._autocommit() as connection:
            who: str | None = await connection.scalar(statement)
        return who

    async def revoke_session(self, token_hash: str, now: datetime) -> str | None:
        """End a live session for good; who it belonged to, or None when it was not live."""
        statement = (
            update(_SESSIONS)
            .where(
                _SESSIONS.c.token_hash == token_hash,
                _SESSIONS.c.revoked_at.is_(None),
                _SESSIONS.c.expires_at > now,
            )
            .values(revoked_at=now)
            .returning(_SESSIONS.c.who)
        )
        async with self._autocommit() as connection:
            who: str | None = await connection.scalar(statement)
        return who

    async def purge_admin_web(self, before: datetime) -> None:
        """Forget links and sessions that expired before `before` (they can open nothing)."""
        async with self._sessions.begin() as session:
            await session.execute(delete(_LINKS).where(_LINKS.c.expires_at < before))
            await session.execute(delete(_SESSIONS).where(_SESSIONS.c.expires_at < before))

    async def write_heartbeat(self, now: datetime) -> None:
        """Rewrite the one health-check row; raises when the database refuses writes.

        One small row updated in place: cheap enough to run on every poll, and replicas only
        take turns on one row lock for a moment. The INSERT covers a database whose row is not
        there yet (or was emptied).
        """
        async with self._sessions.begin() as session:
            changed = await session.execute(
                update(_HEALTH).where(_HEALTH.c.id == 1).values(checked_at=now)
            )
            if not getattr(changed, "rowcount", 0):
                await session.execute(
                    insert_ignoring_duplicates(session, _HEALTH, ["id"]).values(
                        id=1, checked_at=now
                    )
                )


__all__ = ["AdminWeb"]
