"""Shared pieces of the fault tests: a Slack Web API fake that can be slow or down, people
reachable on Slack, a real `mentorbot serve` on Slack, and counting what arrived.

Every message the bot posts carries its idempotency key in Slack message metadata; the tests
count arrivals by that key, so "exactly once" means each key was posted once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import text

from conversations.outbox.codec import message_to_dict
from conversations.ports import DELIVER
from conversations.types import Identity, OutgoingMessage, RosterEntry, Text, ToPerson
from storage.db import create_engine, upgrade
from storage.store import SqlStore
from tests.adapters.slack.fake_slack import TEAM, Call, FakeSlack
from tests.serving import CLEARED, Served
from tests.serving import serve as serve_process

DEADLINE = 90.0  # seconds; a loaded CI machine is slow, a hang is still caught
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
APP_YAML = "programme:\n  name: Faults\n  start_date: 2027-01-11\n"

# Decides the answer to one Web API call during a storm: None (answer normally), or
# (HTTP status, Retry-After seconds or None).
Storm = Callable[[str], tuple[int, int | None] | None]


class FaultySlack(FakeSlack):
    """The fake Slack Web API, plus latency and outages.

    `latency` delays every answer *after* the call took effect, so a process killed while
    waiting leaves a message Slack accepted but the bot never recorded: the hard case of
    exactly once. `storm` answers chosen calls with 500s or 429s.
    """

    latency: float = 0.0
    storm: Storm | None = None
    # With `now` set (a simulated clock), each call is also recorded with the time it came.
    now: Callable[[], datetime] | None = None
    timeline: list[tuple[datetime, Call]]

    def __init__(self) -> None:
        super().__init__()
        self.timeline = []

    def _stamp(self) -> None:
        if self.now is not None:  # callers send one request at a time when they read this
            self.timeline.append((self.now(), self.calls[-1]))

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        outage = self.storm(method) if self.storm is not None else None
        if outage is not None:
            status, retry_after = outage
            args: dict[str, Any] = dict(request.query)
            if request.content_type == "application/json":
                args.update(await request.json())
            self.calls.append(Call(method, args, status))
            self._stamp()
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            error = "ratelimited" if status == 429 else "internal_error"
            return web.json_response({"ok": False, "error": error}, status=status, headers=headers)
        response = await super()._api(request)
        self._stamp()
        if self.latency:
            await asyncio.sleep(self.latency)  # the fake is slow to answer, as under load
        return response


def user_id(i: int) -> str:
    return f"U{i:05d}"


def dm_channel(i: int) -> str:
    return f"D{i:05d}"


def key_of(call: Call) -> str:
    """The idempotency key in a chat.postMessage call's metadata ("" when none)."""
    metadata = call.args.get("metadata") or {}
    return str((metadata.get("event_payload") or {}).get("key") or "")


def keys_posted(fake: FakeSlack) -> Counter[str]:
    """How many times each idempotency key was posted (successful chat.postMessage calls)."""
    return Counter(key for call in fake.calls_to("chat.postMessage") if (key := key_of(call)))


async def seed_slack(
    db_url: str, fake: FakeSlack, *, people: int, messages_each: int, due: datetime
) -> list[str]:
    """People reachable on Slack (in the fake's workspace) and notes queued for `due`.

    Returns the idempotency keys queued.
    """
    await upgrade(db_url)
    store = SqlStore.open(db_url)
    keys = []
    try:
        entries = [
            RosterEntry(i + 2, f"p{i}@x.com", f"Person {i}", 3, slack_id=user_id(i))
            for i in range(people)
        ]
        await store.import_roster(entries, deactivate_missing=False, dry_run=False, at=due)
        for i in range(people):
            fake.add_user(user_id(i), f"p{i}@x.com", name=f"Person {i}")
            person = await store.person_by_email(f"p{i}@x.com")
            assert person is not None
            await store.link_identity(Identity(person.id, "slack", TEAM, user_id(i), dm_channel(i)))
            for n in range(messages_each):
                key = f"note:{i}:{n}"
                message = OutgoingMessage(
                    ToPerson(person.id), "note", f"note {key}", (Text(f"note {key}"),),
                    idempotency_key=key,
                )  # fmt: skip
                await store.schedule(DELIVER, message_to_dict(message), due, key)
                keys.append(key)
        return keys
    finally:
        await store.close()


def slack_env(fake: FakeSlack, db_url: str, **extra: str) -> dict[str, str]:
    """The environment of a `mentorbot` process on Slack (through the fake) and `db_url`."""
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(
        DATABASE_URL=db_url,
        SLACK_BOT_TOKEN="xoxb-faults",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    env.update(extra)
    return env


@contextlib.asynccontextmanager
async def serve(
    workdir: Path, env: Mapping[str, str], *, tick: float = 0.1, lease: float = 3
) -> AsyncIterator[Served]:
    """A real `mentorbot serve` (`tests.serving`) ticking fast with short leases."""
    workdir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (a tiny local folder)
    if not (workdir / "app.yaml").exists():
        (workdir / "app.yaml").write_text(APP_YAML)
    environment = {
        **env,
        "MENTORBOT_TICK_SECONDS": str(tick),
        "MENTORBOT_LEASE_SECONDS": str(lease),
    }
    async with serve_process(workdir, environment["DATABASE_URL"], environment) as served:
        yield served


async def until(
    condition: Callable[[], Awaitable[bool]], what: str, *, within: float = DEADLINE
) -> None:
    """Poll `condition` until it holds, or fail after `within` seconds."""
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    while not await condition():
        assert loop.time() < end, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)  # polling a real process, not waiting for time to pass


async def scalar(db_url: str, sql: str) -> Any:
    """One value from the database, on a short-lived engine of our own."""
    engine = create_engine(db_url)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(text(sql))
    finally:
        await engine.dispose()


async def rows(db_url: str, sql: str) -> list[Any]:
    engine = create_engine(db_url)
    try:
        async with engine.connect() as connection:
            return list(await connection.execute(text(sql)))
    finally:
        await engine.dispose()


async def queue_settled(db_url: str) -> bool:
    """Nothing left to send: no row pending or leased."""
    left = await scalar(
        db_url, "SELECT count(*) FROM due_work WHERE status IN ('pending', 'leased')"
    )
    return left == 0
