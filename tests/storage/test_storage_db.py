"""URLs, engines and migrations."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from storage.db import alembic_config, create_engine, normalize_url, upgrade
from storage.models import Base


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("sqlite:////abs/path/x.db", "sqlite+aiosqlite:////abs/path/x.db"),
        ("sqlite://", "sqlite+aiosqlite://"),
        ("postgresql://u:p@h:5432/db", "postgresql+asyncpg://u:p@h:5432/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgres://u@h/db?sslmode=require", "postgresql+asyncpg://u@h/db?ssl=require"),
    ],
)
def test_normalize_url_accepts(given: str, expected: str) -> None:
    assert normalize_url(given) == expected


@pytest.mark.parametrize(
    "given", ["", "not a url", "mysql://u@h/db", "postgresql+psycopg2://u:secret@h/db"]
)
def test_normalize_url_rejects_with_a_clear_message(given: str) -> None:
    with pytest.raises(ValueError, match="accepted forms") as caught:
        normalize_url(given)
    assert "secret" not in str(caught.value)


def test_alembic_config_needs_no_ini_file(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # nothing to find relative to the working directory
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_current_head() == "0011"


async def _diff(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
                )
            )
    finally:
        await engine.dispose()


async def test_migrations_build_exactly_the_models_schema(blank_db_url: str) -> None:
    await upgrade(blank_db_url)
    assert await _diff(blank_db_url) == []


async def test_upgrade_is_a_no_op_on_a_current_database(blank_db_url: str) -> None:
    await upgrade(blank_db_url)
    await upgrade(blank_db_url)
    engine = create_engine(blank_db_url)
    try:
        async with engine.connect() as connection:
            version = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    finally:
        await engine.dispose()
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()


async def test_sqlite_enforces_foreign_keys_and_uses_wal(tmp_path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        async with engine.connect() as connection:
            assert await connection.scalar(text("PRAGMA foreign_keys")) == 1
            assert await connection.scalar(text("PRAGMA journal_mode")) == "wal"
    finally:
        await engine.dispose()


async def test_a_dead_pooled_connection_is_replaced_once_it_was_idle(
    db_url: str, db_backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a database restart or a load balancer dropping idle connections leaves in the
    pool: the next checkout pings the idle connection, finds it dead and opens a new one."""
    if db_backend != "postgresql":
        pytest.skip("SQLite has no server to drop the connection")
    engine = create_engine(db_url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as connection:
            first = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        killer = create_engine(db_url)
        async with killer.connect() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        await killer.dispose()
        monkeypatch.setattr("storage.db.PING_AFTER_IDLE", 0.0)  # it has been idle long enough
        async with engine.connect() as connection:
            second = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert second != first
    finally:
        await engine.dispose()
