"""Opening the database for a command, and saying in one line what to fix when it cannot be.

Every command reaches the database through `open_database` (via `build_app`, or directly for
`db upgrade`): a refused connection, an unknown host or database, a refused login, an
unsupported URL or a SQLite file in a missing folder becomes one `UserError` line that says
what is wrong and what to do — never a driver traceback, and never the password.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError

from bot.errors import UserError
from storage.db import UnsupportedDatabaseURL, normalize_url, sqlite_file, upgrade

FIRST_RETRY = 0.5  # seconds before the first retry of a database that is still starting
MAX_RETRY_GAP = 5.0  # the backoff doubles up to this
STARTING_UP = "57P03"  # PostgreSQL's cannot_connect_now: "the database system is starting up"


def _where(url: URL) -> str:
    host = url.host or "localhost"
    return f"{host}:{url.port}" if url.port else host


def _driver_error(error: BaseException) -> BaseException:
    """The driver's own exception inside SQLAlchemy's wrappers (asyncpg's keeps its class)."""
    inner: BaseException | None = getattr(error, "orig", None) or error
    while (
        inner is not None
        and inner.__cause__ is not None
        and inner.__module__.startswith("sqlalchemy")
    ):
        inner = inner.__cause__
    return inner or error


def _unsupported(error: UnsupportedDatabaseURL) -> str:
    return "DATABASE_URL: " + str(error).removeprefix("DATABASE_URL ")


def is_transient(error: BaseException) -> bool:
    """True for a database that may simply not be up yet: a refused or timed-out connection,
    or a PostgreSQL server still starting."""
    if isinstance(error, DBAPIError):
        return str(getattr(_driver_error(error), "sqlstate", "")) == STARTING_UP
    return isinstance(error, ConnectionRefusedError | TimeoutError)


def database_problem(error: BaseException, url: str) -> str | None:
    """One line for a database that cannot be opened, or None when `error` is something else.

    `url` is the normalised URL; only its host, port, user and database name are ever shown.
    """
    parsed = make_url(url)
    where = _where(parsed)
    if isinstance(error, UnsupportedDatabaseURL):
        return _unsupported(error)
    path = sqlite_file(parsed)
    if path is not None and isinstance(error, DBAPIError):
        return (
            f"cannot open the SQLite database {path} ({_driver_error(error)}): check that the "
            "file is a Mentorbot database and that it and its folder are writable, or set "
            "DATABASE_URL."
        )
    if isinstance(error, ConnectionRefusedError):
        return (
            f"cannot connect to the database at {where}: connection refused. Is PostgreSQL "
            "running there? Start it, or fix the host and port in DATABASE_URL."
        )
    if isinstance(error, TimeoutError):
        return (
            f"the database at {where} did not answer in time: check that it is running and "
            "reachable from here, or fix DATABASE_URL."
        )
    if isinstance(error, OSError):
        reason = error.strerror or str(error) or type(error).__name__
        return (
            f"cannot connect to the database at {where} ({reason}): check the host and port "
            "in DATABASE_URL."
        )
    if isinstance(error, DBAPIError):
        inner = _driver_error(error)
        state = str(getattr(inner, "sqlstate", "") or "")
        name = parsed.database or ""
        if state == STARTING_UP:
            return f"the database at {where} is still starting up: try again in a moment."
        if state == "3D000":  # invalid_catalog_name
            return (
                f"the database {name!r} does not exist on {where}: create it (e.g. "
                f"`createdb {name}`) or fix the database name in DATABASE_URL."
            )
        if state.startswith("28"):  # invalid authorization: unknown role, wrong password
            return (
                f"the database at {where} refused user {parsed.username or ''!r} ({inner}): "
                "check the user and password in DATABASE_URL."
            )
        if isinstance(error.orig, OSError) or error.connection_invalidated:
            return f"cannot connect to the database at {where} ({inner}): check DATABASE_URL."
    return None


async def open_database(
    database_url: str,
    *,
    migrate: bool = True,
    wait: float = 0.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    monotonic: Callable[[], float] = time.monotonic,
    waiting: Callable[[str], None] = lambda _: None,
) -> str:
    """Check `database_url`, migrate it to the latest schema, and return it normalised.

    A database that refuses connections is tried again, with backoff, for up to `wait` seconds
    (`serve` waits for a database that is still starting; other commands answer at once);
    `waiting` hears, once, why. Every problem is raised as one UserError line.
    """
    try:
        url = normalize_url(database_url)
    except UnsupportedDatabaseURL as error:
        raise UserError(_unsupported(error)) from None
    path = sqlite_file(url)
    if path is not None and not path.parent.is_dir():
        # Checked first: SQLite's own "unable to open database file" does not say why.
        raise UserError(
            f"cannot open the SQLite database {path}: the folder {path.parent} does not exist. "
            "Create it, or set DATABASE_URL to a file in an existing folder."
        )
    if not migrate:
        return url
    deadline = monotonic() + wait
    gap = FIRST_RETRY
    warned = False
    while True:
        try:
            await upgrade(url)
            return url
        except Exception as error:
            problem = database_problem(error, url)
            if problem is None:
                raise
            left = deadline - monotonic()
            if not is_transient(error) or left <= 0:
                if wait > 0 and is_transient(error):
                    problem += f" Gave up after waiting {wait:g} s."
                raise UserError(problem) from None
            if not warned:  # once: the retries themselves are not news
                waiting(f"{problem} Trying again for up to {wait:g} s.")
                warned = True
            await sleep(min(gap, left))
            gap = min(gap * 2, MAX_RETRY_GAP)
