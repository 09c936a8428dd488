"""Database URLs, engines, sessions and migrations.

SQLite (aiosqlite) is the embedded default, PostgreSQL (asyncpg) the production store
(docs/architecture.md, "Configuration and the database").
Alembic is configured in code so an installed wheel migrates without an `alembic.ini` in the
working directory.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine
from sqlalchemy.pool import StaticPool

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
PING_AFTER_IDLE = 1.0  # seconds a pooled connection may sit unused before it is checked

_ACCEPTED = (
    "accepted forms: sqlite+aiosqlite:///PATH, sqlite:///PATH, "
    "postgresql+asyncpg://USER@HOST/DB, postgresql://… or postgres://…"
)


class UnsupportedDatabaseURL(ValueError):
    """DATABASE_URL is not a form Mentorbot can use; the message names the accepted ones."""


def normalize_url(url: str | URL) -> str:
    """Return `url` with the async driver we use (aiosqlite or asyncpg).

    Raises UnsupportedDatabaseURL (a ValueError), naming the accepted forms, for anything else.
    """
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError:
        # Don't echo the text back: it may hold a password.
        raise UnsupportedDatabaseURL(f"DATABASE_URL could not be parsed; {_ACCEPTED}") from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "sqlite" and driver in ("", "aiosqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif backend in ("postgresql", "postgres") and driver in ("", "asyncpg"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
        # libpq's `sslmode` (common in hosted postgres:// URLs) is `ssl` for asyncpg.
        if "sslmode" in parsed.query and "ssl" not in parsed.query:
            query = dict(parsed.query)
            query["ssl"] = query.pop("sslmode")
            parsed = parsed.set(query=query)
    else:
        shown = parsed.render_as_string(hide_password=True)
        raise UnsupportedDatabaseURL(f"unsupported database URL {shown!r}; {_ACCEPTED}")
    return parsed.render_as_string(hide_password=False)


def _is_memory(url: URL) -> bool:
    return (url.database or "") in ("", ":memory:") or url.query.get("mode") == "memory"


def sqlite_file(url: str | URL) -> Path | None:
    """The file a SQLite URL points at (a `file:` URI's path included), None for anything
    else: PostgreSQL, `:memory:` or a `mode=memory` URI."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() != "sqlite" or _is_memory(parsed):
        return None
    database = parsed.database or ""
    if database.startswith("file:"):
        database = database.removeprefix("file:").split("?", 1)[0]
    return Path(database)


def resolve_sqlite_path(url: str, base: Path) -> str:
    """`url` with a relative SQLite path made absolute against `base`; anything else as is.

    The default `sqlite+aiosqlite:///mentorbot.db` would otherwise land in whatever directory
    a command happens to run from, so `serve` and a later `report` could use different files.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url  # normalize_url reports it, without echoing a password
    path = sqlite_file(parsed)
    if path is None or path.is_absolute():
        return url
    if (parsed.database or "").startswith("file:"):
        # Rendering would percent-encode the URI's colon: rebuild the text around the path.
        _, sep, query = url.partition("?")
        return f"{parsed.drivername}:///file:{base / path}{sep}{query}"
    return parsed.set(database=str(base / path)).render_as_string(hide_password=False)


def display_url(url: str | URL) -> str:
    """Where the database is, for people: a SQLite file's path, or the URL without password."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError:
        return "DATABASE_URL (cannot be parsed)"
    path = sqlite_file(parsed)
    if path is not None:
        return str(path)
    if parsed.get_backend_name() == "sqlite":
        return "SQLite in memory"
    return parsed.set(drivername=parsed.get_backend_name()).render_as_string(hide_password=True)


@contextmanager
def sqlite_memory_copy(url: str | URL) -> Iterator[str]:
    """A private in-memory SQLite database holding a copy of `url`'s file (empty when the file
    does not exist), as an aiosqlite URL valid inside the `with` block.

    For dry runs: the file is read through a read-only connection, so nothing is created,
    migrated or left behind next to it, whatever the dry run does. Without a -wal file beside
    it the file is complete and is opened `immutable` (a read-only connection to a WAL-mode
    file would otherwise leave -wal and -shm files behind); with one, another process has it
    open and the WAL holds its latest writes, so the reader goes through SQLite's locking.
    """
    name = f"file:mentorbot-dry-run-{uuid.uuid4().hex}?mode=memory&cache=shared"
    # This connection keeps the shared in-memory database alive until the block ends.
    keeper = sqlite3.connect(name, uri=True)
    try:
        source = sqlite_file(url)
        if source is not None and source.exists():
            wal = source.with_name(source.name + "-wal").exists()
            flags = "mode=ro" if wal else "mode=ro&immutable=1"
            reader = sqlite3.connect(f"{source.absolute().as_uri()}?{flags}", uri=True)
            try:
                reader.backup(keeper)
            finally:
                reader.close()
        yield f"sqlite+aiosqlite:///{name}&uri=true"
    finally:
        keeper.close()


def _is_sqlite_file(url: URL) -> bool:
    database = url.database or ""
    return (
        url.get_backend_name() == "sqlite"
        and database not in ("", ":memory:")
        and ("mode=memory" not in str(url))
    )


def create_engine(url: str | URL, **kwargs: Any) -> AsyncEngine:
    """An async engine for `url` (normalised first); extra kwargs go to SQLAlchemy."""
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() != "sqlite":
        engine = _create_async_engine(parsed, **kwargs)
        if not kwargs.get("pool_pre_ping"):
            _ping_idle_connections(engine)
        return engine

    if _is_memory(parsed) and "poolclass" not in kwargs:
        # One connection for every session: a second one to a shared-cache in-memory
        # database (the dry run's copy) would contend for table locks. SQLAlchemy picks this
        # pool for such URLs today but has deprecated choosing it from the URL.
        kwargs["poolclass"] = StaticPool
    engine = _create_async_engine(parsed, **kwargs)
    wal = _is_sqlite_file(parsed)

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        # SQLite ignores foreign keys unless asked, per connection.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if wal:
            # WAL lets the web process read while the ticker writes.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def _ping_idle_connections(engine: AsyncEngine) -> None:
    """Check a pooled connection before use when it sat idle for `PING_AFTER_IDLE` or more.

    Replicas sit behind load balancers that drop idle connections, and a restarted database
    leaves the pool's connections dead: SQLAlchemy's `pool_pre_ping` catches both, but pings
    every checkout, and asyncpg's ping is three round trips (BEGIN, `;`, ROLLBACK) — more than
    the statement itself for the delivery worker's one-row writes. A connection handed back
    less than a second ago was working then; any other is pinged, and a dead one is replaced
    (SQLAlchemy retries the checkout when the event raises DisconnectionError).
    """
    dialect = engine.sync_engine.dialect

    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("checked_in")  # absent: a new connection, good as it is
        if returned is None or time.monotonic() - returned < PING_AFTER_IDLE:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise DisconnectionError(f"pooled connection is dead: {error}") from error


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay readable after commit (we map them to dataclasses)."""
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str | URL | None = None) -> Config:
    """An Alembic Config built in code, pointing at the `storage/migrations` package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # '%' must be doubled for ConfigParser interpolation (passwords may contain it).
        config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


def _upgrade_on(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade(url: str | URL, revision: str = "head") -> None:
    """Migrate the database at `url` to `revision` (fresh or existing database alike)."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_on, revision)
    finally:
        await engine.dispose()
