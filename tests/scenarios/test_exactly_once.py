"""Exactly once with real processes on PostgreSQL: two `mentorbot serve` share one queue, and a
process killed (SIGKILL) in the middle of a batch loses nothing when another takes over.

The platform is Teams, through a fake Bot Connector on an ephemeral port. Teams offers no way
to look up what a bot already posted, so after a crash the messages in flight may repeat: at
most one per person (each person's messages go one after another, each marked done before the
next), for at most `CONCURRENCY` people served at once (docs/architecture.md, "The `due_work`
outbox"; docs/teams.md). Everything
else arrives exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from adapters.teams.activities import bare_reference, reference_to_json
from conversations.outbox.codec import message_to_dict
from conversations.ports import DELIVER
from conversations.types import Identity, OutgoingMessage, RosterEntry, Text, ToPerson
from delivery.worker import CONCURRENCY
from storage.db import create_engine, upgrade
from storage.store import SqlStore
from tests.adapters.teams.fake_connector import FakeConnector, fake_connector
from tests.serving import serve as serve_process

pytestmark = pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)

TENANT = "tenant-1"
PEOPLE = 20
APP_YAML = "programme:\n  name: Exactly once\n  start_date: 2027-01-11\n"
DEADLINE = 90.0  # seconds; a loaded CI machine is slow, a hang is still caught


async def seed(db_url: str, connector: FakeConnector, messages_each: int) -> int:
    """People reachable on Teams through the fake connector, and messages queued for now."""
    await upgrade(db_url)
    store = SqlStore.open(db_url)
    try:
        now = datetime.now(UTC)
        entries = [
            RosterEntry(i + 2, f"p{i}@x.com", f"Person {i}", 3, teams_id=f"aad-{i}")
            for i in range(PEOPLE)
        ]
        await store.import_roster(entries, deactivate_missing=False, dry_run=False, at=now)
        for i in range(PEOPLE):
            person = await store.person_by_email(f"p{i}@x.com")
            assert person is not None
            chat = f"a:chat-{i}"
            reference = reference_to_json(bare_reference(chat, TENANT, connector.url))
            await store.link_identity(
                Identity(person.id, "teams", TENANT, f"aad-{i}", chat, connector.url, reference)
            )
            for n in range(messages_each):
                key = f"note:{i}:{n}"
                message = OutgoingMessage(
                    ToPerson(person.id), "note", f"note {key}", (Text(f"note {key}"),),
                    idempotency_key=key,
                )  # fmt: skip
                await store.schedule(DELIVER, message_to_dict(message), now, key)
        return PEOPLE * messages_each
    finally:
        await store.close()


def delivered(connector: FakeConnector) -> Counter[str]:
    """How many times each message reached Teams, by its key."""
    return Counter(
        line.split(" ", 1)[1]
        for call in connector.sent()
        for line in call.text.splitlines()
        if line.startswith("note ")
    )


@contextlib.asynccontextmanager
async def serve(workdir: Path, db_url: str) -> AsyncIterator[asyncio.subprocess.Process]:
    """A real `mentorbot serve` on Teams (dev mode), ticking fast with short leases."""
    (workdir / "app.yaml").write_text(APP_YAML)
    env = {
        "TEAMS_DEV_MODE": "1",
        "MENTORBOT_TICK_SECONDS": "0.1",
        "MENTORBOT_LEASE_SECONDS": "3",
    }
    async with serve_process(workdir, db_url, env) as served:
        yield served.process


async def until(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    """Poll `condition` (an async callable) until it holds, or fail after the deadline."""
    loop = asyncio.get_running_loop()
    end = loop.time() + DEADLINE
    while not await condition():
        assert loop.time() < end, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)  # polling a real process, not waiting for time to pass


async def queue_empty(db_url: str) -> bool:
    engine = create_engine(db_url)
    try:
        async with engine.connect() as connection:
            left = await connection.scalar(
                text("SELECT count(*) FROM due_work WHERE status IN ('pending', 'leased')")
            )
            return left == 0
    finally:
        await engine.dispose()


async def workers(db_url: str) -> set[str]:
    engine = create_engine(db_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT DISTINCT leased_by FROM due_work WHERE status = 'done'")
            )
            return {row[0] for row in rows}
    finally:
        await engine.dispose()


async def test_two_processes_on_one_database_send_every_message_once(
    db_url: str, tmp_path: Path
) -> None:
    async with fake_connector() as connector:
        connector.latency = 0.005
        total = await seed(db_url, connector, messages_each=8)
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        async with serve(tmp_path / "a", db_url), serve(tmp_path / "b", db_url):

            async def all_sent() -> bool:
                return sum(delivered(connector).values()) >= total and await queue_empty(db_url)

            await until(all_sent, "every message to be delivered")
        counts = delivered(connector)
        assert len(counts) == total and set(counts.values()) == {1}
        assert len(await workers(db_url)) == 2  # both processes took part


async def test_a_process_killed_mid_batch_loses_nothing(db_url: str, tmp_path: Path) -> None:
    async with fake_connector() as connector:
        connector.latency = 0.02  # slow enough that the kill lands inside a batch
        total = await seed(db_url, connector, messages_each=5)
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        async with serve(tmp_path / "a", db_url) as first:

            async def some_sent() -> bool:
                return sum(delivered(connector).values()) >= total // 4

            await until(some_sent, "the first process to be busy")
            first.send_signal(signal.SIGKILL)
            await first.wait()
        before = sum(delivered(connector).values())
        assert before < total, "the batch finished before the kill: nothing was tested"
        async with serve(tmp_path / "b", db_url):

            async def all_sent() -> bool:
                return len(delivered(connector)) >= total and await queue_empty(db_url)

            await until(all_sent, "the second process to deliver the rest")
        counts = delivered(connector)
        assert len(counts) == total  # nothing lost
        repeated = [key for key, n in counts.items() if n > 1]
        assert all(counts[k] == 2 for k in repeated), repeated
        people = [key.split(":")[1] for key in repeated]  # keys are note:{person}:{n}
        assert len(people) == len(set(people)), repeated  # one in flight per person
        assert len(repeated) <= CONCURRENCY, repeated
