"""Two instances on one PostgreSQL database live a whole six-session programme through Slack:
every message is posted exactly once (by the idempotency key in its metadata), at the same
simulated moment, to the same conversation as when one instance runs it alone.

Each instance has its own engine, delivery worker, SQLAlchemy engine (so its own connections)
and Slack client; at every due moment both tick at once, so they race for the same rows through
`FOR UPDATE SKIP LOCKED`. People answer by pressing the buttons of the messages they received,
translated as Slack would send the click, alternately through one instance and the other.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest

from adapters.slack.client import make_client
from adapters.slack.limits import Pacer
from adapters.slack.sender import SlackSender
from adapters.slack.translate import block_actions
from bot.app import Mentorbot, build_app
from bot.clock import SimulatedClock
from bot.settings import Secrets, Settings, parse_config
from conversations.types import Action, Address, Identity, IncomingMessage, UserRef, actions
from tests.adapters.slack.fake_slack import TEAM, Call
from tests.dbfixtures import _truncate_all
from tests.faults.support import FaultySlack, key_of, rows
from tests.scenarios.test_matching_round import PEOPLE

pytestmark = pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)

PUBLISH = datetime(2027, 1, 4, 9, tzinfo=UTC)
END = datetime(2027, 9, 1, tzinfo=UTC)
# (key, conversation, simulated time) of every post.
Posted = list[tuple[str, str, datetime]]


def settings(url: str) -> Settings:
    config = parse_config(
        {
            "programme": {
                "name": "RM 2027",
                "start_date": "2027-01-11",
                "timezone": "Europe/London",
            },
            "admins": ["ceo@x.com"],
        },
        source="test",
    )
    return Settings(config, Secrets(database_url=url))


def slack_user(person_id: int) -> str:
    return f"U{person_id:05d}"


def buttons(call: Call) -> list[dict[str, Any]]:
    return [
        element
        for block in call.args.get("blocks") or []
        if block.get("type") == "actions"
        for element in block.get("elements", [])
        if element.get("type") == "button" and "url" not in element
    ]


def click(user: str, channel: str, ts: str, button: dict[str, Any]) -> dict[str, Any]:
    """The block_actions payload Slack sends when `user` presses `button`."""
    return {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": user, "team_id": TEAM},
        "container": {"type": "message", "message_ts": ts, "channel_id": channel},
        "channel": {"id": channel},
        "trigger_id": f"{time.time_ns()}.t",
        "actions": [{**button, "type": "button"}],
    }


class Script:
    """How people answer: accept consent, report meetings (one pair leaves session 2
    unanswered, so it gets a nudge), rate 4, and answer the check-in, follow-up and survey."""

    def __init__(self, fake: FaultySlack, apps: list[Mentorbot]) -> None:
        self.fake = fake
        self.apps = apps
        self.turn = 0
        self.members: dict[str, list[str]] = {}  # group DM → its users

    def _user_in(self, channel: str) -> str:
        if channel.startswith("D"):
            return "U" + channel[1:]
        if not self.members:
            for call in self.fake.calls_to("conversations.open"):
                users = sorted(str(call.args["users"]).split(","))
                self.members["G" + "".join(u[-3:] for u in users)] = users
        return self.members[channel][0]

    def _choose(self, call: Call) -> dict[str, Any] | None:
        for want, suffix in (
            (actions.CONSENT_ACCEPT, ""),
            (actions.MEETING_MET, ""),
            (actions.PULSE_RATE, ":4"),
            (actions.CHECKIN_ANSWER, ""),
            (actions.FOLLOWUP_TRIED, ":yes"),
            (actions.CLOSING_ANSWER, ":yes"),
        ):
            options = [b for b in buttons(call) if b["action_id"].startswith(want)]
            chosen = [b for b in options if str(b.get("value", "")).endswith(suffix)]
            if chosen:
                if want == actions.MEETING_MET:
                    pair, session = str(chosen[0]["value"]).split(":")[:2]
                    if int(pair) % 2 == 0 and session == "2":
                        return None  # this pair forgets to answer session 2
                return chosen[0]
        return None

    async def answer(self, calls: list[Call], now: datetime) -> int:
        """Press a button on each new message that asks for one; how many were pressed."""
        pressed = 0
        for call in calls:
            button = self._choose(call)
            if button is None:
                continue
            channel = str(call.args["channel"])
            posted = self.fake.history[self.fake._channel(channel)]
            ts = next(m["ts"] for m in posted if m.get("metadata") == call.args.get("metadata"))
            inbound = block_actions(click(self._user_in(channel), channel, ts, button), now)
            assert inbound is not None and isinstance(inbound.event, Action)
            app = self.apps[self.turn % len(self.apps)]  # answers reach either instance
            self.turn += 1
            await app.engine.handle(inbound.event)
            pressed += 1
        return pressed


async def live_programme(url: str, instances: int) -> tuple[Posted, int]:
    """Publish, then tick every instance at once at each due moment until the end."""
    fake = FaultySlack()
    await fake.start()
    clock = SimulatedClock(PUBLISH)
    try:
        async with build_app(settings(url), clock=clock, rng=random.Random(5), worker="a") as a:
            await a.store.import_roster(PEOPLE, deactivate_missing=False, dry_run=False, at=PUBLISH)
            for person in await a.store.all_people():
                fake.add_user(slack_user(person.id), person.email, name=person.name)
                await a.store.link_identity(
                    Identity(person.id, "slack", TEAM, slack_user(person.id), f"D{person.id:05d}")
                )
            async with build_app(
                settings(url), clock=clock, rng=random.Random(6), worker="b", migrate=False
            ) as b:
                apps = [a, b][:instances]
                for app in apps:
                    sender = SlackSender(make_client("xoxb-t", fake.api_url), clock.now)
                    sender.channels.pacer = Pacer(
                        0.0
                    )  # Tier 3 pacing is real time; not tested here
                    app.add_sender(sender)
                    # Small batches, so the instances interleave rather than the first to
                    # claim taking everything due at that moment.
                    app.deliverer.batch = 1
                    app.engine.run_due = partial(type(app.engine).run_due, app.engine, limit=1)  # type: ignore[method-assign]
                ceo = await a.store.person_by_email("ceo@x.com")
                assert ceo is not None
                user = UserRef("slack", TEAM, slack_user(ceo.id))
                dm = Address("slack", TEAM, f"D{ceo.id:05d}")
                await a.engine.handle(IncomingMessage(user, dm, "match publish", clock.now()))

                script, posted, seen, ticks = Script(fake, apps), [], 0, 0
                while True:
                    while True:  # tick at this moment until the answers it prompted are out
                        await asyncio.gather(*(app.tick() for app in apps))
                        ticks += 1
                        fresh = [c for c in fake.calls[seen:] if c.method == "chat.postMessage"]
                        seen = len(fake.calls)
                        posted += [
                            (key_of(c), str(c.args["channel"]), clock.now())
                            for c in fresh
                            if c.status == 200
                        ]
                        if not await script.answer(fresh, clock.now()) and not fresh:
                            break
                    due = await a.store.next_due()
                    if due is None or due > END:
                        break
                    clock.set(due)
                counts = await a.store.queue_counts()
                assert counts["failed"] == 0 and counts["pending"] == 0, counts
        return posted, ticks
    finally:
        await fake.stop()


async def test_two_instances_live_a_programme_sending_each_message_once(db_url: str) -> None:
    alone, _ = await live_programme(db_url, instances=1)
    await _truncate_all(db_url)
    together, ticks = await live_programme(db_url, instances=2)

    for run in (alone, together):
        keys = Counter(key for key, _, _ in run)
        assert "" not in keys  # every queued message carries its key
        assert set(keys.values()) == {1}, [k for k, n in keys.items() if n > 1]
    # The whole programme happened: intros, six sessions, pulses, the close.
    kinds = Counter(key.split(":", 1)[0] for key, _, _ in together)
    print(f"{len(together)} messages over {ticks} double ticks: {dict(kinds)}")
    assert sorted(together) == sorted(alone)
    # Both instances did part of the work, programme steps and deliveries alike.
    workers = await rows(db_url, "SELECT DISTINCT leased_by FROM due_work WHERE status = 'done'")
    assert {w for (w,) in workers} == {"a-engine", "b-engine", "a-delivery", "b-delivery"}
