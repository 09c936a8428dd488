"""In-memory implementations of the engine's ports, for fast tests of `conversations/`
without SQL, and helpers that run the real bot.

`FakeStore` composes one fake per storage port (`tests/inmemory/`), as `storage.store.SqlStore`
composes one repository per table family; `tests/storage/test_contract_*.py` hold both to the
same behaviour, and `tests/test_fakes_complete.py` fails when a port gains a method no fake has.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Collection, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.inmemory.directory import FakeDirectory
from tests.inmemory.erasure import FakeErasure
from tests.inmemory.pairs import FakePairs
from tests.inmemory.programme import FakeAnswers, FakePromptLog, FakeSessions, FakeWaitingLines
from tests.inmemory.queue import FakeWorkQueue
from tests.inmemory.records import FakeAuditLog, FakeConcerns, FakePremises
from tests.inmemory.reports import FakeReports
from tests.inmemory.roster import FakeRoster


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        """The time it was set to."""
        return self._now

    def set(self, when: datetime) -> None:
        """Jump to `when`."""
        self._now = when

    def advance(self, **delta: float) -> datetime:
        """Move on by `timedelta(**delta)`; the new time."""
        self._now += timedelta(**delta)
        return self._now


class FakeStore(
    FakeDirectory,
    FakeRoster,
    FakeErasure,
    FakeAuditLog,
    FakeWorkQueue,
    FakePairs,
    FakeSessions,
    FakePromptLog,
    FakeAnswers,
    FakeWaitingLines,
    FakeReports,
    FakePremises,
    FakeConcerns,
):
    """A dict-backed `conversations.ports.Store`: every port, the same semantics as SQL.

    `delivering`: the platforms the deployment sends on (`Reports.unreachable`), as for
    `SqlStore`. Tests may read the tables directly (`people`, `work`, `pairs`, `sessions`…)
    and use `add` to put someone in the directory.
    """

    def __init__(self, *, delivering: Collection[str] | None = None) -> None:
        super().__init__(delivering=delivering)


def utc(*args: int) -> datetime:
    """A UTC datetime, for brevity in tests."""
    return datetime(*args, tzinfo=UTC)


@contextlib.asynccontextmanager
async def start_server(
    workdir: Path, db_url: str, env: Mapping[str, str] | None = None
) -> AsyncIterator[str]:
    """Run the real `mentorbot serve` (`tests.serving`); yields its base URL."""
    from tests.serving import serve

    async with serve(workdir, db_url, env) as served:
        yield served.url


async def run_cli(
    workdir: Path, db_url: str, *args: str, env: Mapping[str, str] | None = None
) -> str:
    """Run `mentorbot ARGS` as a subprocess; returns stdout, fails the test on exit != 0."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--config",
        str(workdir / "app.yaml"),
        *args,
        cwd=workdir,
        env={**os.environ, "DATABASE_URL": db_url, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()
