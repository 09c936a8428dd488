"""`any_store`: the storage contract tests run on the in-memory `FakeStore` and on `SqlStore`
(SQLite, and PostgreSQL when TEST_DATABASE_URL is set), so both keep the semantics the engine
relies on. Test ids: `[memory]`, `[sqlite]`, `[postgresql]`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from conversations.ports import Store
from storage.store import SqlStore
from tests.dbfixtures import database_url
from tests.fakes import FakeStore


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
async def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """An empty store: in memory, or a fresh migrated database."""
    if request.param == "memory":
        yield FakeStore()
        return
    sql_store = SqlStore.open(database_url(request.param, request, tmp_path))
    try:
        yield sql_store
    finally:
        await sql_store.close()
