"""The admin web's shared state: links used once, sessions revoked for good, the health write."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from storage.models import AdminLinkRow, AdminSessionRow, HealthCheckRow
from storage.store import SqlStore

T0 = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
LATER = T0 + timedelta(minutes=15)


async def test_a_link_is_used_once_for_its_purpose_before_it_expires(store: SqlStore) -> None:
    await store.issue_link("h1", "dashboard", "ana@x.com", at=T0, expires_at=LATER)
    await store.issue_link("h2", "export", "bo@x.com", at=T0, expires_at=LATER)
    assert await store.use_link("h1", "export", T0) is None  # not for the export
    assert await store.use_link("nope", "dashboard", T0) is None
    assert await store.use_link("h2", "export", LATER) is None  # expired at its expiry
    assert await store.use_link("h1", "dashboard", T0) == "ana@x.com"
    assert await store.use_link("h1", "dashboard", T0) is None  # used


async def test_racing_for_one_link_lets_exactly_one_win(store: SqlStore) -> None:
    await store.issue_link("race", "dashboard", "ana@x.com", at=T0, expires_at=LATER)
    results = await asyncio.gather(*(store.use_link("race", "dashboard", T0) for _ in range(8)))
    assert results.count("ana@x.com") == 1 and results.count(None) == 7


async def test_a_revoked_or_expired_session_is_nobody(store: SqlStore) -> None:
    ends = T0 + timedelta(hours=12)
    await store.start_session("s1", "admin token (login form)", at=T0, expires_at=ends)
    await store.start_session("s2", "ana@x.com", at=T0, expires_at=ends)
    assert await store.session_of("s1", T0) == "admin token (login form)"
    assert await store.session_of("s2", ends) is None
    assert await store.revoke_session("s1", T0) == "admin token (login form)"
    assert await store.session_of("s1", T0) is None
    assert await store.revoke_session("s1", T0) is None  # once
    assert await store.session_of("s2", T0) == "ana@x.com"  # others untouched


async def test_expired_links_and_sessions_are_purged(store: SqlStore) -> None:
    await store.issue_link("old", "dashboard", "a@x.com", at=T0, expires_at=LATER)
    await store.issue_link("new", "dashboard", "a@x.com", at=T0, expires_at=T0 + timedelta(days=2))
    await store.start_session("s", "a@x.com", at=T0, expires_at=LATER)
    await store.purge_admin_web(T0 + timedelta(days=1))
    async with store._sessions() as session:
        links = list(await session.scalars(select(AdminLinkRow.token_hash)))
        sessions = await session.scalar(select(func.count()).select_from(AdminSessionRow))
    assert links == ["new"] and sessions == 0


async def test_the_heartbeat_keeps_one_row(store: SqlStore) -> None:
    await store.write_heartbeat(T0)
    await store.write_heartbeat(LATER)
    async with store._sessions() as session:
        rows = list(await session.scalars(select(HealthCheckRow.checked_at)))
    assert rows == [LATER]
