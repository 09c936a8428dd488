"""A programme lived in memory: the engine on `FakeStore`, a console-like inbox, no SQL.

`Programme` publishes the scenario roster's round (tests/scenarios/test_matching_round.py:
Ana–Femi, Bo–Tara), lets people type and tap, and runs time forward: at each step the
engine's due work runs, then the queued messages that are due go out, as the delivery
worker would send them, except those whose premise is gone (cancelled, never sent).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from conversations.config import AppConfig, ProgrammeConfig
from conversations.engine import Engine
from conversations.outbox.codec import message_from_dict
from conversations.outbox.premise import why_gone
from conversations.types import (
    Action,
    Identity,
    IncomingMessage,
    OutgoingMessage,
    Pair,
    PremiseQuery,
    ToPair,
    ToPerson,
    UserRef,
    actions,
)
from tests.fakes import FakeClock, FakeStore, utc
from tests.scenarios.test_matching_round import CHAT, LONDON, PEOPLE

PUBLISH = utc(2027, 1, 4, 9)  # a week before the start date
INTRO = utc(2027, 1, 11, 10)  # the start date, at the delivery hour
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Received:
    """One message as a person received it."""

    email: str
    message: OutgoingMessage
    at: datetime


class Programme:
    """The engine on a FakeStore with the scenario roster, and everyone's inbox."""

    def __init__(self, *, mentor: bool = True, mentee: bool = True) -> None:
        self.store = FakeStore()
        self.clock = FakeClock(PUBLISH)
        config = AppConfig(
            programme=ProgrammeConfig(
                name="RM 2027",
                start_date=date(2027, 1, 11),
                timezone=LONDON,
                consent_reminder_days=3,
                require_mentor_consent=mentor,
                require_mentee_consent=mentee,
            ),
            admins=("ceo@x.com",),
        )
        self.engine = Engine(self.store, config, self.clock, random.Random(3))
        self.received: list[Received] = []

    async def setup(self) -> None:
        """Import the roster and link everyone's console account."""
        await self.store.import_roster(
            PEOPLE, deactivate_missing=False, dry_run=False, at=self.clock.now()
        )
        for person in await self.store.all_people():
            await self.store.link_identity(Identity(person.id, "console", "local", person.email))

    async def start(self) -> None:
        """Publish the round, both partners of each pair accept, and live to the intro."""
        await self.setup()
        await self.say("ceo@x.com", "match publish")
        for pair in await self.store.open_pairs():
            for person_id in (pair.mentee_id, pair.mentor_id):
                person = await self.store.get_person(person_id)
                assert person is not None
                await self.tap(person.email, actions.CONSENT_ACCEPT, pair.id)
        await self.run_until(INTRO + timedelta(minutes=1))

    async def say(self, email: str, text: str) -> str:
        """Type `text` as `email`; the replies' text."""
        user = UserRef("console", "local", email)
        replies = await self.engine.handle(IncomingMessage(user, CHAT, text, self.clock.now()))
        return "\n".join(r.fallback_text for r in replies)

    async def tap(self, email: str, action_id: str, value: str | int = "") -> str:
        """Tap a button as `email`; the replies' text."""
        user = UserRef("console", "local", email)
        replies = await self.engine.handle(
            Action(user, CHAT, action_id, str(value), self.clock.now())
        )
        return "\n".join(r.fallback_text for r in replies)

    async def run_until(self, until: datetime) -> None:
        """Live up to `until`, jumping from one due row to the next (everything that happens
        later is a queued row): due work runs, then due messages go out."""
        while True:
            await self.engine.run_due(self.clock.now())
            await self.deliver()
            now = self.clock.now()
            if now >= until:
                return
            waiting = [w.due_at for w in self.store.rows(status="pending") if w.due_at > now]
            self.clock.set(min([*waiting, until]))

    async def deliver(self) -> None:
        """Send what is due now to each recipient, cancelling messages whose premise is gone."""
        now = self.clock.now()
        rows = await self.store.claim(
            now, limit=1000, lease_until=now + HOUR, worker="inbox", kinds=["deliver"]
        )
        messages = {row.id: message_from_dict(dict(row.payload)) for row in rows}
        premises = [m.premise for m in messages.values() if m.premise is not None]
        facts = await self.store.premise_facts(PremiseQuery.of(premises))
        for row_id, message in messages.items():
            gone = message.premise and why_gone(message.premise, facts, now)
            if gone:
                await self.store.cancel([row_id], reason=gone, at=now)
                continue
            for email in await self._recipients(message):
                self.received.append(Received(email, message, now))
            await self.store.complete(row_id, at=now, result="inbox")

    async def _recipients(self, message: OutgoingMessage) -> list[str]:
        to = message.to
        if isinstance(to, ToPerson):
            ids = [to.person_id]
        elif isinstance(to, ToPair):
            pair = await self.store.get_pair(to.pair_id)
            ids = [pair.mentor_id, pair.mentee_id] if pair else []
        else:
            return [to.conversation_id]
        people = [await self.store.get_person(i) for i in ids]
        return [p.email for p in people if p is not None]

    def user(self, email: str) -> UserRef:
        """The console account of `email`."""
        return UserRef("console", "local", email)

    def got(self, email: str, kind: str) -> list[OutgoingMessage]:
        """The messages of `kind` that `email` received, in order."""
        return [r.message for r in self.received if r.email == email and r.message.kind == kind]

    async def id_of(self, email: str) -> int:
        """The person id of `email`."""
        person = await self.store.person_by_email(email)
        assert person is not None
        return person.id

    async def pair_of(self, email: str) -> Pair:
        """The person's latest pair."""
        return (await self.store.pairs_of(await self.id_of(email)))[0]
