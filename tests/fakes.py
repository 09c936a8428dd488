"""In-memory implementations of the engine's ports, for fast tests of `conversations/`
without SQL, and helpers that run the real bot.

`FakeStore` composes one fake per storage port (`tests/inmemory/`), as `storage.store.SqlStore`
composes one repository per table family; `tests/storage/test_contract_*.py` hold both to the
same behaviour. `FakeClock`, `FakeLinks` and `FakeSender` stand in for the other ports; and
`tests/test_fakes_complete.py` fails when any port gains a member no fake has.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conversations.ports import Clock
from conversations.types import Address, Delivery, OutgoingMessage
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


class FakeLinks:
    """A `conversations.ports.AdminLinks` that remembers whom each dashboard link was made for."""

    def __init__(self) -> None:
        self.issued_to: list[str] = []

    async def dashboard(self, now: datetime, admin: str) -> str | None:
        """A numbered link, recorded under `admin`."""
        self.issued_to.append(admin)
        return f"https://mentorbot.example/admin?link=one-{len(self.issued_to)}"

    async def export(self, now: datetime, admin: str) -> str | None:
        """None: as a deployment without the export configured."""
        return None

    def chart(self, now: datetime) -> str | None:
        """A fixed chart link."""
        return "https://mentorbot.example/admin/chart.png?exp=1&sig=abc"


class FakeSender:
    """A `conversations.ports.Sender` that keeps what it sent, in memory.

    It finds what it sent (as Slack does) and opens no group conversations (as Teams and the
    console), so the delivery worker splits a pair's messages up front.
    """

    platform: str
    finds_sent = True
    opens_groups = False

    def __init__(self, clock: Clock, platform: str = "slack") -> None:
        self.platform = platform
        self.clock = clock
        self.sent: list[tuple[Address, OutgoingMessage]] = []
        self.prepared: list[list[Address]] = []

    async def send(self, message: OutgoingMessage, address: Address) -> Delivery:
        """Keep the message; its id is its place in `sent`."""
        self.sent.append((address, message))
        return Delivery(self.platform, f"fake-{len(self.sent)}", address, self.clock.now())

    async def find_sent(self, message: OutgoingMessage, address: Address) -> Delivery | None:
        """The earlier send of this message (same key) to this conversation, if any."""
        for n, (to, sent) in enumerate(self.sent, start=1):
            same_key = sent.idempotency_key == message.idempotency_key
            if same_key and to.conversation_id == address.conversation_id:
                return Delivery(self.platform, f"fake-{n}", address, self.clock.now())
        return None

    async def prepare(self, addresses: Sequence[Address]) -> None:
        """Record each batch's addresses."""
        self.prepared.append(list(addresses))

    async def open_group(self, tenant_id: str, user_ids: Sequence[str]) -> str | None:
        """None: no group conversations here."""
        return None


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
