"""Both partners consent to a proposed pair, on SQLite and PostgreSQL.

The senior (mentee) and the junior (mentor) each get a private preview that reveals no
identity; the pair is introduced once everyone the programme asks has said yes (exactly once,
however the taps race); a decline is private, kind, and final for that pairing.
"""

from __future__ import annotations

import asyncio
import random
from datetime import date, timedelta

import pytest

from conversations.config import AppConfig, ProgrammeConfig
from conversations.engine import Engine
from conversations.enrolment.home import pair_blocks
from conversations.outbox.codec import message_from_dict
from conversations.outbox.premise import why_gone
from conversations.pairing.rounds import read_match_input
from conversations.types import (
    Action,
    Buttons,
    Identity,
    IncomingMessage,
    OutgoingMessage,
    Pair,
    PairStatus,
    Premise,
    PremiseQuery,
    UserRef,
    actions,
)
from storage.store import SqlStore
from tests.fakes import FakeClock, utc
from tests.scenarios.test_matching_round import CHAT, LONDON, PEOPLE, queued

INCLUSION_LABELS = ("Accessibility",)  # what Bo teaches and Tara wants to learn


class Round:
    """A round of the test programme with the consent settings given."""

    def __init__(self, store: SqlStore, *, mentor: bool = True, mentee: bool = True) -> None:
        self.store = store
        self.clock = FakeClock(utc(2027, 1, 11, 9))
        config = AppConfig(
            programme=ProgrammeConfig(
                name="RM",
                start_date=date(2027, 1, 11),
                timezone=LONDON,
                require_mentor_consent=mentor,
                require_mentee_consent=mentee,
            ),
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

    async def tap(self, email: str, action_id: str, value: str | int) -> str:
        user = UserRef("console", "local", email)
        action = Action(user, CHAT, action_id, str(value), self.clock.now())
        replies = await self.engine.handle(action)
        return "\n".join(r.fallback_text for r in replies)

    async def id_of(self, email: str) -> int:
        person = await self.store.person_by_email(email)
        assert person is not None
        return person.id

    async def pair_of(self, email: str) -> Pair:
        person_id = await self.id_of(email)
        return next(
            p for p in await self.store.open_pairs() if person_id in (p.mentor_id, p.mentee_id)
        )

    async def deliver(self) -> list[OutgoingMessage]:
        """Send whatever is due now, as the console inbox does: each row is marked done."""
        rows = await self.store.claim(
            self.clock.now(),
            limit=1000,
            lease_until=self.clock.now() + timedelta(minutes=5),
            worker="test",
            kinds=["deliver"],
        )
        await self.store.complete_many({row.id: "sent" for row in rows}, at=self.clock.now())
        return [message_from_dict(dict(row.payload)) for row in rows]

    async def status(self, pair_id: int) -> PairStatus:
        pair = await self.store.get_pair(pair_id)
        assert pair is not None
        return pair.status

    async def gone(self, message: OutgoingMessage) -> str | None:
        """Why the delivery worker would cancel `message` now (None: it would be sent)."""
        assert message.premise is not None
        facts = await self.store.premise_facts(PremiseQuery.of([message.premise]))
        return why_gone(message.premise, facts, self.clock.now())


def _to(message: OutgoingMessage) -> int:
    return int(getattr(message.to, "person_id", -1))


async def _published(r: Round) -> list[OutgoingMessage]:
    await r.setup()
    assert "Published: 2 pairs" in await r.say("ceo@x.com", "match publish")
    return [m for m, _ in await queued(r.store)]


@pytest.mark.parametrize("first", ["ana@x.com", "cfo@x.com"])
async def test_both_accept_in_either_order_and_are_introduced_once(
    store: SqlStore, first: str
) -> None:
    r = Round(store)
    sent = await _published(r)
    ana, femi = await r.id_of("ana@x.com"), await r.id_of("cfo@x.com")
    previews = {_to(m): m for m in sent if m.kind == "consent"}
    assert {ana, femi} <= previews.keys()  # both partners are asked, privately
    pair = await r.pair_of("ana@x.com")
    second = "cfo@x.com" if first == "ana@x.com" else "ana@x.com"

    waiting = await r.tap(first, actions.CONSENT_ACCEPT, pair.id)
    other_name = "Femi" if first == "ana@x.com" else "Ana"
    assert f"as soon as {other_name} confirms" in waiting
    assert await r.status(pair.id) is PairStatus.PROPOSED
    assert [m for m, _ in await queued(store) if m.kind == "intro"] == []
    # A second tap of the same Accept changes nothing and says what we wait for.
    assert "as soon as" in await r.tap(first, actions.CONSENT_ACCEPT, pair.id)

    assert "introduce you to" in await r.tap(second, actions.CONSENT_ACCEPT, pair.id)
    assert await r.status(pair.id) is PairStatus.ACTIVE
    intros = [m for m, _ in await queued(store) if m.kind == "intro"]
    assert len(intros) == 1
    assert "already introduced" in await r.tap(first, actions.CONSENT_ACCEPT, pair.id)
    stored = await store.get_pair(pair.id)
    assert stored is not None and stored.accepted(ana) and stored.accepted(femi)


async def test_two_accepts_at_the_same_moment_introduce_once(store: SqlStore) -> None:
    r = Round(store)
    await _published(r)
    pair = await r.pair_of("ana@x.com")
    replies = await asyncio.gather(
        r.tap("ana@x.com", actions.CONSENT_ACCEPT, pair.id),
        r.tap("cfo@x.com", actions.CONSENT_ACCEPT, pair.id),
    )
    assert sum("introduce you to" in reply for reply in replies) == 1
    assert await r.status(pair.id) is PairStatus.ACTIVE
    assert len([m for m, _ in await queued(store) if m.kind == "intro"]) == 1
    assert len(await store.sessions_of(pair.id)) == 6


async def test_the_junior_declines_first_privately(store: SqlStore) -> None:
    r = Round(store)
    sent = await _published(r)
    ana, femi = await r.id_of("ana@x.com"), await r.id_of("cfo@x.com")
    pair = await r.pair_of("ana@x.com")
    femi_preview = next(m for m in sent if m.kind == "consent" and _to(m) == femi)
    assert await r.gone(femi_preview) is None

    reply = await r.tap("ana@x.com", actions.CONSENT_DECLINE, pair.id)
    assert "stays between you and me" in reply and "Femi" not in reply
    assert await r.status(pair.id) is PairStatus.DECLINED
    # Femi had not answered: his preview (and its reminder) is cancelled, and, asked too, he
    # gets the same kind note as a partner who had said yes (never who or why).
    assert "no longer proposed" in (await r.gone(femi_preview) or "")
    (note,) = [m for m, _ in await queued(store)]
    assert note.kind == "consent_closed" and _to(note) == femi
    assert "won't go ahead" in note.fallback_text and "Ana" not in note.fallback_text
    await r.deliver()
    assert await r.engine.run_due(r.clock.advance(days=10)) == []
    # Both go first next round, never with each other again; the audit keeps no reason.
    for person_id in (ana, femi):
        person = await store.get_person(person_id)
        assert person is not None and person.first_in_line
    assert (ana, femi) in await store.declined_pairs()
    assert (await read_match_input(store, store, r.engine.config)).declined == frozenset(
        {(ana, femi)}
    )
    (entry,) = [e for e in await store.recent() if e.action == "consent decline"]
    assert entry.detail == f"pair {pair.id}"
    # An Accept after the decline changes nothing.
    assert "no longer open" in await r.tap("cfo@x.com", actions.CONSENT_ACCEPT, pair.id)
    assert await r.status(pair.id) is PairStatus.DECLINED


async def test_the_senior_declines_after_the_junior_accepted(store: SqlStore) -> None:
    r = Round(store)
    await _published(r)
    ana = await r.id_of("ana@x.com")
    pair = await r.pair_of("ana@x.com")
    assert "as soon as Femi confirms" in await r.tap("ana@x.com", actions.CONSENT_ACCEPT, pair.id)
    assert "stays between" in await r.tap("cfo@x.com", actions.CONSENT_DECLINE, pair.id)
    (note,) = [m for m, _ in await queued(store)]
    # Ana said yes: a kind note that names nobody and gives no reason, first in line.
    assert note.kind == "consent_closed" and _to(note) == ana
    text = note.fallback_text
    assert "won't go ahead" in text and "first in line" in text
    assert "Femi" not in text and "declin" not in text
    assert await r.gone(note) is None
    # Paired again before it goes out: the note is cancelled rather than sent.
    assert note.premise == Premise(awake=(ana,), unpaired=ana)


async def test_forged_and_stale_buttons_change_nothing(store: SqlStore) -> None:
    r = Round(store)
    await _published(r)
    pair = await r.pair_of("ana@x.com")
    for email, value in (
        ("bo@x.com", pair.id),  # someone else's pair
        ("cto@x.com", pair.id),
        ("ana@x.com", "abc"),
        ("ana@x.com", 99999),
    ):
        assert "no longer open" in await r.tap(email, actions.CONSENT_DECLINE, value)
    assert await r.status(pair.id) is PairStatus.PROPOSED


async def test_a_side_the_programme_does_not_ask_cannot_decide(store: SqlStore) -> None:
    r = Round(store, mentor=False)
    sent = await _published(r)
    femi = await r.id_of("cfo@x.com")
    assert {_to(m) for m in sent if m.kind == "consent"} == {
        femi,
        await r.id_of("cto@x.com"),
    }  # only the seniors, as before
    pair = await r.pair_of("ana@x.com")
    assert "no longer open" in await r.tap("ana@x.com", actions.CONSENT_DECLINE, pair.id)
    assert await r.status(pair.id) is PairStatus.PROPOSED
    assert "introduce you to Ana" in await r.tap("cfo@x.com", actions.CONSENT_ACCEPT, pair.id)
    assert await r.status(pair.id) is PairStatus.ACTIVE


async def test_only_the_junior_asked(store: SqlStore) -> None:
    r = Round(store, mentee=False)
    sent = await _published(r)
    juniors = {await r.id_of("ana@x.com"), await r.id_of("bo@x.com")}
    assert {_to(m) for m in sent if m.kind == "consent"} == juniors
    pair = await r.pair_of("ana@x.com")
    assert "no longer open" in await r.tap("cfo@x.com", actions.CONSENT_ACCEPT, pair.id)
    assert "introduce you to Femi" in await r.tap("ana@x.com", actions.CONSENT_ACCEPT, pair.id)
    assert await r.status(pair.id) is PairStatus.ACTIVE


async def test_nobody_asked_pairs_start_at_once(store: SqlStore) -> None:
    r = Round(store, mentor=False, mentee=False)
    sent = await _published(r)
    assert not [m for m in sent if m.kind == "consent"]
    assert sorted(m.kind for m in sent if m.kind == "intro") == ["intro", "intro"]
    assert {p.status for p in await store.open_pairs()} == {PairStatus.ACTIVE}


async def test_previews_reveal_no_inclusion_topic(store: SqlStore) -> None:
    r = Round(store)
    sent = await _published(r)
    bo, tara = await r.id_of("bo@x.com"), await r.id_of("cto@x.com")
    previews = {_to(m): m.fallback_text for m in sent if m.kind == "consent"}
    for person_id in (bo, tara):
        text = previews[person_id]
        assert "perspectives on inclusion" in text
        for label in INCLUSION_LABELS:
            assert label not in text
        assert "Time zone: Europe/London" in text
    assert "Bo Bo" not in previews[tara]  # the senior reads the junior's title, department
    assert "Can share: perspectives on inclusion" in previews[tara]
    assert "Hopes to learn: perspectives on inclusion" in previews[bo]
    # Technology topics are named: Femi reads that Ana can share GenAI tools.
    femi = await r.id_of("cfo@x.com")
    assert "Can share: GenAI tools" in previews[femi]
    assert "both interested in GenAI tools" in previews[femi]
    # The stored reasons (the admins' summary, the intro) keep the precise topic, in words.
    assert "both interested in Accessibility" in (await r.pair_of("bo@x.com")).reasons


async def test_reminders_go_only_to_whoever_has_not_answered(store: SqlStore) -> None:
    r = Round(store)
    await r.setup()
    await r.say("ceo@x.com", "match publish")
    assert len([m for m in await r.deliver() if m.kind == "consent"]) == 4
    ana = await r.id_of("ana@x.com")
    pair = await r.pair_of("ana@x.com")
    await r.tap("cfo@x.com", actions.CONSENT_ACCEPT, pair.id)
    await r.engine.run_due(r.clock.advance(days=4))
    reminders = [m for m in await r.deliver() if m.kind == "consent" and _names(m) == pair.id]
    assert [_to(m) for m in reminders] == [ana]  # Femi said yes: no reminder for him
    assert "reminder" in reminders[0].fallback_text
    await r.engine.run_due(r.clock.advance(days=4))
    notices = [m for m in await r.deliver() if m.kind == "admin_notice"]
    about = [m.fallback_text for m in notices if "Ana" in m.fallback_text]
    assert len(about) == 1
    assert "waiting for the mentor's answer" in about[0] and "Femi" in about[0]


def _names(message: OutgoingMessage) -> int:
    """The pair id a message's buttons name (-1: no buttons)."""
    for block in message.blocks:
        if isinstance(block, Buttons):
            return int(block.buttons[0].value)
    return -1


async def test_home_and_status_show_each_side_their_own_buttons(store: SqlStore) -> None:
    r = Round(store)
    await _published(r)
    pair = await r.pair_of("ana@x.com")
    for email in ("ana@x.com", "cfo@x.com"):
        person = await store.person_by_email(email)
        assert person is not None
        assert any(isinstance(b, Buttons) for b in await pair_blocks(r.engine.ctx, person))
    await r.tap("ana@x.com", actions.CONSENT_ACCEPT, pair.id)
    ana = await store.person_by_email("ana@x.com")
    assert ana is not None
    blocks = await pair_blocks(r.engine.ctx, ana)
    assert not any(isinstance(b, Buttons) for b in blocks)
    assert "Waiting for Femi" in await r.say("ana@x.com", "status")
    femi = await r.say("cfo@x.com", "status")
    assert "proposed reverse mentor: *Ana" in femi


async def test_pairing_by_hand_asks_both(store: SqlStore) -> None:
    r = Round(store)
    await r.setup()
    reply = await r.say("ceo@x.com", "pair cy@x.com with cfo@x.com --force")
    assert "asked both of them to confirm" in reply
    sent = [m for m, _ in await queued(store)]
    assert {_to(m) for m in sent if m.kind == "consent"} == {
        await r.id_of("cy@x.com"),
        await r.id_of("cfo@x.com"),
    }
    pair = await r.pair_of("cy@x.com")
    await r.tap("cfo@x.com", actions.CONSENT_ACCEPT, pair.id)
    assert await r.status(pair.id) is PairStatus.PROPOSED
    await r.tap("cy@x.com", actions.CONSENT_ACCEPT, pair.id)
    assert await r.status(pair.id) is PairStatus.ACTIVE
