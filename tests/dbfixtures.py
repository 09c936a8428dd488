"""Database fixtures for any test folder (storage, scenarios, bot…).

Fixtures, each parametrised over the databases (test ids `[sqlite]` and `[postgresql]`):

- `db_url`: the URL of a migrated database with empty tables, private to the test.
- `blank_db_url`: the URL of a database with no tables at all (for migration tests).
- `store`: a `SqlStore` on `db_url`, closed after the test.
- `db_backend`: "sqlite" or "postgresql", for tests that need to know.

SQLite always runs (a fresh file per test, copied from a template migrated once). PostgreSQL
runs when TEST_DATABASE_URL points at a server (its database name is ignored): one uniquely
named database is created per test session, migrated once and dropped at the end; each test
starts from truncated tables. With CI=true and no TEST_DATABASE_URL the PostgreSQL tests fail
rather than skip, so CI cannot silently lose them.

Registered for every folder by tests/conftest.py: `from tests.dbfixtures import *  # noqa: F403`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from storage.db import upgrade
from storage.models import Base
from storage.store import SqlStore

__all__ = [
    "blank_db_url",
    "database_url",
    "db_backend",
    "db_url",
    "pg_test_database",
    "sqlite_template",
    "store",
]

ENV_URL = "TEST_DATABASE_URL"
BACKENDS = ("sqlite", "postgresql")
T = TypeVar("T")


def run_sync(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion on a private loop in a worker thread.

    Sync fixtures may run while pytest-asyncio owns the thread's event loop; a thread keeps
    the two apart.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def _server_dsn() -> str:
    """The maintenance-database DSN of the test server, or skip/fail when none is configured."""
    url = os.environ.get(ENV_URL, "").strip()
    if not url:
        message = f"{ENV_URL} is not set (e.g. postgresql://postgres@127.0.0.1:5432/postgres)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true requires the PostgreSQL tests to run, but {message}")
        pytest.skip(f"PostgreSQL tests skipped: {message}")
    parsed = make_url(url).set(drivername="postgresql", database="postgres")
    return parsed.render_as_string(hide_password=False)


def _database_url(server_dsn: str, name: str) -> str:
    return make_url(server_dsn).set(database=name).render_as_string(hide_password=False)


async def _create_database(server_dsn: str, name: str) -> None:
    connection = await asyncpg.connect(server_dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def _drop_database(server_dsn: str, name: str) -> None:
    connection = await asyncpg.connect(server_dsn)
    try:
        # FORCE (PostgreSQL 13+) ends connections a failed test may have leaked.
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def _truncate_all(database_dsn: str) -> None:
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    connection = await asyncpg.connect(database_dsn)
    try:
        await connection.execute(f"TRUNCATE TABLE {tables} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()


def _unique_name(prefix: str) -> str:
    return f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session; tests get copies."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    run_sync(lambda: upgrade(f"sqlite+aiosqlite:///{path}"))
    # Disposing the engine checkpoints WAL into the main file; a copy of it is complete.
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    return path


@pytest.fixture(scope="session")
def pg_test_database() -> Iterator[tuple[str, str]]:
    """(server DSN, database URL) of a migrated database private to this test session."""
    server = _server_dsn()
    name = _unique_name("mentorbot_test")
    run_sync(lambda: _create_database(server, name))
    url = _database_url(server, name)
    try:
        run_sync(lambda: upgrade(url))
        yield server, url
    finally:
        run_sync(lambda: _drop_database(server, name))


@pytest.fixture(params=BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    """Which database this test runs on."""
    return str(request.param)


@pytest.fixture
def db_url(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database with empty tables, private to this test."""
    return database_url(db_backend, request, tmp_path)


def database_url(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """`db_url` for a backend chosen by the caller (a fixture with parameters of its own,
    such as the storage contract tests' `any_store`)."""
    if db_backend == "sqlite":
        path = tmp_path / "mentorbot.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    _, url = request.getfixturevalue("pg_test_database")
    run_sync(lambda: _truncate_all(url))
    return str(url)


@pytest.fixture
def blank_db_url(db_backend: str, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all, private to this test."""
    if db_backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'blank.db'}"
        return
    server = _server_dsn()
    name = _unique_name("mentorbot_blank")
    run_sync(lambda: _create_database(server, name))
    try:
        yield _database_url(server, name)
    finally:
        run_sync(lambda: _drop_database(server, name))


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[SqlStore]:
    """A SqlStore on a fresh migrated database."""
    sql_store = SqlStore.open(db_url)
    try:
        yield sql_store
    finally:
        await sql_store.close()
