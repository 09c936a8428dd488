"""Every admin command, tried by a non-admin on every platform: refused with a message naming
the admins, recorded as "refused" in the audit log, and nothing changed."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

from adapters.console.platform import PLATFORM, TENANT
from adapters.console.sender import address_for
from bot.clock import SystemClock
from bot.settings import load_config
from conversations import registry
from conversations.engine import Engine
from conversations.types import Identity, IncomingMessage, UserRef
from storage.store import SqlStore
from tests.adapters.slack.conftest import COMMAND, sign
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.teams.fake_connector import FakeConnector
from tests.hostile import payloads as p
from tests.hostile.conftest import ADMIN
from tests.hostile.server import both_platforms, serve

ADMIN_COMMANDS = (
    "match",
    "match publish",
    "pair lee@example.com with ana@example.com",
    "pair lee@example.com with ana@example.com --force",
    "pause kim@example.com",
    "pause kim@example.com until 2027-03-01",
    "resume kim@example.com",
    'prompt add inclusion "What did you learn this month?"',
    "report",
    "health",
    "dashboard",
    "export",
    "forget kim@example.com",
    "release kim@example.com",
)
REFUSAL = "Only programme admins can do that"


def test_the_list_covers_every_admin_command() -> None:
    parsed = {type(registry.parse(text)) for text in ADMIN_COMMANDS}
    always = {e.command for e in registry.COMMANDS if e.admin is True and e.command is not None}
    assert always <= parsed
    assert all(registry.is_admin_command(registry.parse(text)) for text in ADMIN_COMMANDS)


async def snapshot(store: SqlStore) -> tuple[Any, ...]:
    """Everything an admin command could change: statuses, pairs, prompts, the queue."""
    people = await store.all_people()
    pairs = [pair for person in people for pair in await store.pairs_of(person.id)]
    return (
        sorted((p.email, p.status, p.paused_until) for p in people),
        sorted(repr(pair) for pair in pairs),
        await store.admin_prompts(),
        await store.queue_counts(),
    )


async def refusals(store: SqlStore) -> list[tuple[str, str]]:
    return [(e.actor, e.detail) for e in await store.recent(500) if e.action == "refused"]


async def assert_refused_and_unchanged(store: SqlStore, before: tuple[Any, ...]) -> None:
    audited = await refusals(store)
    assert len(audited) >= len(ADMIN_COMMANDS), audited
    assert {actor for actor, _ in audited} == {"sam@example.com"}
    expected = {type(registry.parse(t)).__name__.lower() for t in ADMIN_COMMANDS}
    assert {detail for _, detail in audited} == expected
    assert await snapshot(store) == before


async def test_console_engine_refuses_every_admin_command(
    hostile_workdir: Path, store: SqlStore
) -> None:
    config = load_config(hostile_workdir / "app.yaml")
    engine = Engine(store, config, SystemClock(), random.Random(7))
    person = await store.person_by_email("sam@example.com")
    assert person is not None  # linked as `mentorbot chat --as` links the console user
    await store.link_identity(Identity(person.id, PLATFORM, TENANT, person.email, person.email))
    before = await snapshot(store)
    sam = UserRef(PLATFORM, TENANT, "sam@example.com")
    for text in ADMIN_COMMANDS:
        event = IncomingMessage(sam, address_for("sam@example.com"), text, engine.clock.now())
        [reply] = await engine.handle(event)
        assert REFUSAL in reply.fallback_text and ADMIN in reply.fallback_text, (text, reply)
    await assert_refused_and_unchanged(store, before)


async def test_slack_and_teams_refuse_every_admin_command(
    hostile_workdir: Path,
    db_url: str,
    store: SqlStore,
    fake_slack: FakeSlack,
    connector: FakeConnector,
) -> None:
    """Slack slash command and DM, and a Teams chat message, for each admin command."""
    before = await snapshot(store)
    env = both_platforms(fake_slack)
    timeout = aiohttp.ClientTimeout(total=30)
    async with (
        serve(hostile_workdir, db_url, env) as served,
        aiohttp.ClientSession(timeout=timeout) as http,
    ):

        async def slack(body: str, content_type: str) -> None:
            headers = {"Content-Type": content_type, **sign(body)}
            async with http.post(f"{served.url}/slack/events", data=body, headers=headers) as r:
                assert r.status == 200, await r.text()

        for i, text in enumerate(ADMIN_COMMANDS):
            form = {
                "team_id": p.TEAM,
                "channel_id": "C0GENERAL",
                "user_id": "U0SAM",
                "command": COMMAND,
                "text": text,
                "response_url": fake_slack.response_url(f"cmd{i}"),
                "trigger_id": f"{i}.admin",
            }
            await slack(urlencode(form), "application/x-www-form-urlencoded")
            event = {
                "type": "message",
                "channel": "D0SAM",
                "user": "U0SAM",
                "text": text,
                "ts": f"{time.time():.6f}",
                "channel_type": "im",
            }
            envelope = {
                "type": "event_callback",
                "team_id": p.TEAM,
                "event_id": f"Ev0ADMIN{i}",
                "event": event,
            }
            await slack(json.dumps(envelope), "application/json")
            activity = {
                **p.TEAMS_MESSAGE,
                "type": "message",
                "id": f"admin-{i}",
                "text": f"<at>Mentorbot</at> {text}",
                "serviceUrl": connector.url,
            }
            async with http.post(f"{served.url}/api/messages", json=activity) as response:
                assert response.status == 200, await response.text()

        n = len(ADMIN_COMMANDS)
        answers = await fake_slack.wait_for(
            lambda: (
                [r for r in fake_slack.responses if r[0].startswith("cmd")]
                if len([r for r in fake_slack.responses if r[0].startswith("cmd")]) >= n
                else []
            ),
            what="an answer to every slash command",
        )
        dms = await fake_slack.wait_for_call("chat.postMessage", n, channel="D0SAM")

        def teams_answers(fake: FakeConnector) -> bool:
            return len(fake.sent("a:1chat-sam")) >= n

        await connector.wait_for(teams_answers)

    texts = [a["text"] for _, a in answers] + [c.args["text"] for c in dms]
    texts += [c.text for c in connector.sent("a:1chat-sam")]
    assert len(texts) == 3 * n
    for text in texts:
        assert REFUSAL in text and ADMIN in text, text
    assert all(a.get("response_type") == "ephemeral" for _, a in answers)
    # Three refusals of each command (Slack command, Slack DM, Teams), all on record.
    audited = await refusals(store)
    assert len(audited) == 3 * n, audited
    await assert_refused_and_unchanged(store, before)
    assert not [c for c in fake_slack.calls_to("chat.postMessage") if c.args["channel"] != "D0SAM"]
