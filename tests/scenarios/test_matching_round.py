"""A matching round as admins and seniors live it, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import date

from conversations.config import AppConfig, ProgrammeConfig
from conversations.engine import Engine
from conversations.outbox.codec import message_from_dict
from conversations.pairing.rounds import read_match_input
from conversations.types import (
    Action,
    Address,
    Identity,
    IncomingMessage,
    OutgoingMessage,
    PairStatus,
    Role,
    RosterEntry,
    Status,
    UserRef,
    actions,
)
from storage.store import SqlStore
from tests.fakes import FakeClock, utc

LONDON = "Europe/London"
PEOPLE = [
    # line, email, level, department, manager, role, teaches, learns
    RosterEntry(2, "ceo@x.com", "Cleo", 8, department="Ops", timezone=LONDON),
    RosterEntry(
        3,
        "cfo@x.com",
        "Femi",
        7,
        department="Finance",
        manager_email="ceo@x.com",
        timezone=LONDON,
        role=Role.MENTEE,
        learns=("GenAI tools",),
    ),
    RosterEntry(
        4,
        "cto@x.com",
        "Tara",
        7,
        department="Eng",
        manager_email="ceo@x.com",
        timezone=LONDON,
        role=Role.MENTEE,
        learns=("Accessibility",),
    ),
    RosterEntry(
        5,
        "ana@x.com",
        "Ana",
        2,
        department="Eng",
        manager_email="cto@x.com",
        timezone=LONDON,
        role=Role.MENTOR,
        teaches=("GenAI tools",),
    ),
    RosterEntry(
        6,
        "bo@x.com",
        "Bo",
        2,
        department="Finance",
        manager_email="cfo@x.com",
        timezone=LONDON,
        role=Role.MENTOR,
        teaches=("Accessibility",),
    ),
    RosterEntry(
        7,
        "cy@x.com",
        "Cy",
        1,
        department="Ops",
        manager_email="ceo@x.com",
        timezone="Asia/Tokyo",
        role=Role.MENTOR,
    ),
]
CHAT = Address("console", "local", "dm")


class Round:
    def __init__(self, store: SqlStore) -> None:
        self.store = store
        self.clock = FakeClock(utc(2027, 1, 4, 9))
        config = AppConfig(
            programme=ProgrammeConfig(name="RM", start_date=date(2027, 1, 11), timezone=LONDON),
            admins=("ceo@x.com",),
        )
        self.engine = Engine(store, config, self.clock, random.Random(3))

    async def setup(self) -> None:
        await self.store.import_roster(
            PEOPLE, deactivate_missing=False, dry_run=False, at=self.clock.now()
        )
        for person in await self.store.all_people():
            await self.store.link_identity(Identity(person.id, "console", "local", person.email))

    async def say(self, email: str, text: str) -> str:
        user = UserRef("console", "local", email)
        replies = await self.engine.handle(IncomingMessage(user, CHAT, text, self.clock.now()))
        return "\n".join(r.fallback_text for r in replies)

    async def tap(self, email: str, action_id: str, value: str) -> str:
        user = UserRef("console", "local", email)
        replies = await self.engine.handle(Action(user, CHAT, action_id, value, self.clock.now()))
        return "\n".join(r.fallback_text for r in replies)

    async def id_of(self, email: str) -> int:
        person = await self.store.person_by_email(email)
        assert person is not None
        return person.id


async def queued(store: SqlStore) -> list[tuple[OutgoingMessage, object]]:
    rows = await store.claim(
        utc(2030, 1, 1), limit=1000, lease_until=utc(2030, 1, 2), worker="test", kinds=["deliver"]
    )
    return [(message_from_dict(dict(r.payload)), r.due_at) for r in rows]


async def test_dry_run_publish_consent_and_intro(store: SqlStore) -> None:
    r = Round(store)
    await r.setup()
    assert "Only programme admins" in await r.say("ana@x.com", "match")

    dry = await r.say("ceo@x.com", "match")
    assert "Dry run" in dry and "2 pairs, 1 unmatched" in dry
    assert "Ana mentors Femi" in dry and "both interested in GenAI tools" in dry
    # Plain words a screen reader reads well: no arrows, no "gap", no bare numbers.
    assert "from different departments (Eng and Finance)" in dry and "five levels apart" in dry
    assert "↔" not in dry and "gap" not in dry
    assert "Bo mentors Tara" in dry
    assert "Cy: " in dry and "time zone" in dry
    assert await store.open_pairs() == []  # a dry run stores nothing

    published = await r.say("ceo@x.com", "match publish")
    assert "Published: 2 pairs" in published
    pairs = await store.open_pairs()
    assert {p.status for p in pairs} == {PairStatus.PROPOSED}
    messages = await queued(store)
    kinds = sorted(m.kind for m, _ in messages)
    assert kinds == ["consent"] * 4 + ["unmatched"]  # both partners of each pair are asked
    # Cy, left out, goes first next round; the matcher is told so.
    cy = await store.person_by_email("cy@x.com")
    assert cy is not None and cy.first_in_line
    assert (await read_match_input(store, store, r.engine.config)).priority == frozenset({cy.id})
    femi = await r.id_of("cfo@x.com")
    femi_pair = next(p for p in pairs if p.mentee_id == femi)

    # Nobody acts on another person's pair: Tara pressing Femi's Accept changes nothing.
    assert "no longer open" in await r.tap("cto@x.com", actions.CONSENT_ACCEPT, str(femi_pair.id))
    assert (await store.get_pair(femi_pair.id)).status is PairStatus.PROPOSED  # type: ignore[union-attr]

    assert "as soon as Ana confirms" in await r.tap(
        "cfo@x.com", actions.CONSENT_ACCEPT, str(femi_pair.id)
    )
    assert (await store.get_pair(femi_pair.id)).status is PairStatus.PROPOSED  # type: ignore[union-attr]
    assert "introduce you to Femi" in await r.tap(
        "ana@x.com", actions.CONSENT_ACCEPT, str(femi_pair.id)
    )
    assert (await store.get_pair(femi_pair.id)).status is PairStatus.ACTIVE  # type: ignore[union-attr]
    ((intro, due),) = [(m, d) for m, d in await queued(store) if m.kind == "intro"]
    assert due == utc(2027, 1, 11, 10)  # published early: intros wait for the start date
    assert "Ana will mentor Femi" in intro.fallback_text.replace("*", "")
    assert "First conversation: by Mon 8 Feb 2027" in intro.fallback_text


async def test_a_declined_pair_is_never_proposed_again(store: SqlStore) -> None:
    r = Round(store)
    await r.setup()
    await r.say("ceo@x.com", "match publish")
    tara = await r.id_of("cto@x.com")
    tara_pair = next(p for p in await store.open_pairs() if p.mentee_id == tara)
    assert "someone else" in await r.tap("cto@x.com", actions.CONSENT_DECLINE, str(tara_pair.id))
    assert (await store.get_pair(tara_pair.id)).status is PairStatus.DECLINED  # type: ignore[union-attr]
    again = await r.say("ceo@x.com", "match")
    assert "Bo mentors Tara" not in again


async def test_pairing_by_hand_checks_the_rules_and_is_audited(store: SqlStore) -> None:
    r = Round(store)
    await r.setup()
    refused = await r.say("ceo@x.com", "pair bo@x.com with cfo@x.com")
    assert "can't pair Bo with Femi" in refused and "reporting line" in refused
    assert await store.open_pairs() == []
    forced = await r.say("ceo@x.com", "pair bo@x.com with cfo@x.com --force")
    assert "Paired Bo (mentor) with Femi (mentee) (forced past:" in forced
    assert "already in an active pair" in await r.say("ceo@x.com", "pair ana@x.com with cfo@x.com")
    # Even --force cannot put someone in two pairs at once.
    busy = await r.say("ceo@x.com", "pair ana@x.com with cfo@x.com --force")
    assert "already in a pair" in busy
    assert "can't find zed@x.com" in await r.say("ceo@x.com", "pair zed@x.com with cfo@x.com")
    audit = await store.recent()
    assert audit[0].action == "pair" and "forced past" in audit[0].detail


async def test_paused_people_are_not_eligible(store: SqlStore) -> None:
    r = Round(store)
    await r.setup()
    await store.set_status(
        await r.id_of("ana@x.com"), Status.PAUSED, paused_until=date(2027, 3, 1), at=r.clock.now()
    )
    dry = await r.say("ceo@x.com", "match")
    assert "Ana mentors" not in dry and "1 not eligible" in dry
