"""`end pairing`: one pairing ends privately and without blame, the reason reaches only the
programme team, a senior whose junior ended it waits for an admin's review, and the two are
never paired again. Also `leave` from an active pair, which ends it the same way. On SQLite and
PostgreSQL, through the engine with the console sender (the platforms: tests/adapters/…).
"""

from __future__ import annotations

import io
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from adapters.console.platform import PLATFORM, TENANT
from adapters.console.sender import ConsoleSender
from bot.app import build_app
from bot.clock import SimulatedClock
from bot.settings import Secrets, Settings, parse_config
from bot.simulation import button
from conversations.types import Button, Identity, OutgoingMessage, PairStatus, Status, actions
from storage.db import make_sessionmaker
from storage.models import DueWorkRow
from tests.scenarios.test_lifecycle_edges import Harness
from tests.scenarios.test_matching_round import PEOPLE
from tests.scenarios.test_programme import PUBLISH

LATER = datetime(2027, 1, 20, 15, tzinfo=UTC)  # Ana–Femi and Bo–Tara have been introduced
NEXT_DAY = datetime(2027, 1, 21, 12, tzinfo=UTC)
REASON = "We never found our rhythm and I felt talked over."


def _settings(url: str, **extra: Any) -> Settings:
    raw: dict[str, Any] = {
        "programme": {
            "name": "RM 2027",
            "start_date": "2027-01-11",
            "timezone": "Europe/London",
            "consent_reminder_days": 3,
        },
        "admins": ["ceo@x.com"],
    }
    for section, values in extra.items():
        if isinstance(values, dict):
            raw.setdefault(section, {}).update(values)
        else:
            raw[section] = values
    return Settings(parse_config(raw, source="test"), Secrets(database_url=url))


@asynccontextmanager
async def harness(url: str, **extra: Any) -> AsyncIterator[Harness]:
    clock = SimulatedClock(PUBLISH)
    async with build_app(_settings(url, **extra), clock=clock, rng=random.Random(5)) as app:
        await app.store.import_roster(PEOPLE, deactivate_missing=False, dry_run=False, at=PUBLISH)
        for person in await app.store.all_people():
            await app.store.link_identity(Identity(person.id, PLATFORM, TENANT, person.email))
        sender = ConsoleSender(io.StringIO(), names=str, clock=clock.now)
        sender.silent = True
        app.add_sender(sender)
        h = Harness(app, clock, sender)
        await h.start()
        h.clock.set(LATER)
        yield h


def _text(messages: list[OutgoingMessage]) -> str:
    return "\n".join(m.fallback_text for m in messages)


async def _end(h: Harness, email: str, reason: str | None) -> list[OutgoingMessage]:
    """`email` types `end pairing`, confirms, and gives `reason` (or taps Skip)."""
    (asked,) = await h.sim.say(email, "end pairing")
    assert "nobody's fault" in asked.fallback_text and "stay in the programme" in (
        asked.fallback_text
    )
    (done,) = await h.sim.tap(email, button(asked, actions.END_PAIRING, ":confirm"))
    assert "has ended" in done.fallback_text and "only the programme team" in done.fallback_text
    if reason is None:
        return [done, *await h.sim.tap(email, button(done, actions.END_PAIRING, ":skip"))]
    return [done, *await h.sim.say(email, reason)]


async def test_a_junior_ends_the_pairing_privately_and_the_senior_waits_for_review(
    db_url: str,
) -> None:
    async with harness(db_url) as h:
        pair = await h.pair_of("ana@x.com")
        replies = await _end(h, "ana@x.com", REASON)
        assert "passed that on to the programme team, and only to them" in _text(replies)
        await h.sim.run_until(NEXT_DAY)
        # Femi: a kind note that blames nobody, with no reason and no promise of going first.
        (note,) = h.got("cfo@x.com", "partner_left")
        assert "your pairing has come to an end" in note.fallback_text
        assert "nobody's fault" in note.fallback_text
        assert REASON not in note.fallback_text and "first in line" not in note.fallback_text
        assert h.got("cfo@x.com", "admin_notice") == []
        # Cleo (the admin): that it ended, the hold, and the reason, in two notices.
        told = _text(h.got("ceo@x.com", "admin_notice"))
        assert f"Pair {pair.id} (Ana mentoring Femi) has ended" in told
        assert "`release cfo@x.com`" in told and REASON in told
        # Ana is still in the programme; the pair is over; Femi is held, not first in line.
        ana = await h.app.store.person_by_email("ana@x.com")
        femi = await h.app.store.person_by_email("cfo@x.com")
        assert ana is not None and ana.status is Status.ENROLLED
        assert femi is not None and not femi.first_in_line
        assert (await h.pair_of("ana@x.com")).status is PairStatus.ENDED
        (ending,) = await h.app.store.pair_endings(awaiting_review=True)
        assert (ending.pair_id, ending.side, ending.cause) == (pair.id, "mentor", "ended")
        # The admin sees the hold in `health` and in the dry run; Femi is not matched.
        (health,) = await h.sim.say("ceo@x.com", "health")
        assert "Pairs awaiting review (1)" in health.fallback_text
        assert "Femi (cfo@x.com)" in health.fallback_text
        (dry,) = await h.sim.say("ceo@x.com", "match")
        assert "Held for review (1): Femi (cfo@x.com)" in dry.fallback_text
        assert "Femi" not in dry.fallback_text.split("Held for review")[0]
        # Only an admin releases; nobody releases themselves; the release is audited.
        (refused,) = await h.sim.say("ana@x.com", "release cfo@x.com")
        assert "Only programme admins" in refused.fallback_text
        (released,) = await h.sim.say("ceo@x.com", "release cfo@x.com")
        assert "Femi is back in matching" in released.fallback_text
        (again,) = await h.sim.say("ceo@x.com", "release cfo@x.com")
        assert "isn't held for review" in again.fallback_text
        (unknown,) = await h.sim.say("ceo@x.com", "release nobody@x.com")
        assert "can't find nobody@x.com" in unknown.fallback_text
        assert any(
            e.action == "release" and e.detail == "cfo@x.com" for e in await h.app.store.recent(20)
        )
        (after,) = await h.sim.say("ceo@x.com", "match")
        assert "Held for review" not in after.fallback_text
        assert "Ana mentors Femi" not in after.fallback_text  # never paired again
        (health,) = await h.sim.say("ceo@x.com", "health")
        assert "awaiting review" not in health.fallback_text
        # The reason is audited without its words.
        assert not any(REASON in e.detail for e in await h.app.store.recent(50))


async def test_a_senior_ends_it_and_the_junior_goes_first_without_any_hold(db_url: str) -> None:
    async with harness(db_url) as h:
        replies = await _end(h, "cto@x.com", None)
        assert "nothing more is needed" in _text(replies)
        await h.sim.run_until(NEXT_DAY)
        (note,) = h.got("bo@x.com", "partner_left")
        assert "your pairing has come to an end" in note.fallback_text
        # The same note as a held senior's: first in line, but not promised in it.
        assert "first in line" not in note.fallback_text
        bo = await h.app.store.person_by_email("bo@x.com")
        assert bo is not None and bo.first_in_line
        assert await h.app.store.pair_endings(awaiting_review=True) == []
        (notice,) = h.got("ceo@x.com", "admin_notice")
        assert "Tara ended it with `end pairing`" in notice.fallback_text
        assert "held" not in notice.fallback_text
        (health,) = await h.sim.say("ceo@x.com", "health")
        assert "awaiting review" not in health.fallback_text


async def test_cancel_forged_buttons_no_pair_and_a_second_tap_change_nothing(db_url: str) -> None:
    async with harness(db_url) as h:
        pair = await h.pair_of("ana@x.com")
        (asked,) = await h.sim.say("ana@x.com", "end pairing")
        (kept,) = await h.sim.tap("ana@x.com", button(asked, actions.END_PAIRING, ":cancel"))
        assert "Nothing changed" in kept.fallback_text
        assert (await h.pair_of("ana@x.com")).status is PairStatus.ACTIVE
        # Cy (not in the pair) forges the confirm and the start button: nothing happens.
        for value in (f"{pair.id}:confirm", str(pair.id), f"{pair.id}:skip", "x:confirm"):
            (stale,) = await h.sim.tap("cy@x.com", Button("x", actions.END_PAIRING, value))
            assert "already ended — nothing more to do" in stale.fallback_text
        assert (await h.pair_of("ana@x.com")).status is PairStatus.ACTIVE
        (nothing,) = await h.sim.say("cy@x.com", "end pairing")
        assert "not in a pairing right now" in nothing.fallback_text
        # Confirmed twice (a double tap, an old message): it ends once, the partner told once.
        confirm = button(asked, actions.END_PAIRING, ":confirm")
        await h.sim.tap("ana@x.com", confirm)
        (second,) = await h.sim.tap("ana@x.com", confirm)
        assert "already ended" in second.fallback_text
        await h.sim.run_until(NEXT_DAY)
        assert len(h.got("cfo@x.com", "partner_left")) == 1
        assert len(await h.app.store.pair_endings()) == 1
        (nothing,) = await h.sim.say("ana@x.com", "end pairing")
        assert "not in a pairing right now" in nothing.fallback_text


async def test_the_status_home_and_checkin_buttons_start_the_same_private_step(
    db_url: str,
) -> None:
    async with harness(db_url) as h:
        pair = await h.pair_of("cto@x.com")
        (status,) = await h.sim.say("cto@x.com", "status")
        start = button(status, actions.END_PAIRING)
        assert start.value == str(pair.id)
        (asked,) = await h.sim.tap("cto@x.com", start)
        assert "End your pairing with Bo?" in asked.fallback_text
        home = await h.app.engine.home(_user("cto@x.com"))
        assert button(home, actions.END_PAIRING).value == str(pair.id)
        # The midpoint check-in offers it too (Session 3 of 6: early April).
        await h.sim.run_until(datetime(2027, 4, 20, tzinfo=UTC))
        (checkin,) = h.got("cto@x.com", "checkin")
        assert button(checkin, actions.END_PAIRING).value == str(pair.id)


def _user(email: str) -> Any:
    from conversations.types import UserRef

    return UserRef(PLATFORM, TENANT, email)


async def test_never_paired_again_even_when_repeats_are_allowed(db_url: str) -> None:
    async with harness(db_url, matching={"allow_repeat_pairs": True}) as h:
        await _end(h, "ana@x.com", None)
        await h.sim.say("ceo@x.com", "release cfo@x.com")
        (by_hand,) = await h.sim.say("ceo@x.com", "pair ana@x.com with cfo@x.com")
        assert "declined or ended early before" in by_hand.fallback_text
        (dry,) = await h.sim.say("ceo@x.com", "match")
        assert "Ana mentors Femi" not in dry.fallback_text


async def test_a_partner_who_is_an_admin_never_reads_the_reason(db_url: str) -> None:
    async with harness(db_url, admins=["cfo@x.com", "ceo@x.com"]) as h:
        await _end(h, "ana@x.com", REASON)
        await h.sim.run_until(NEXT_DAY)
        assert h.got("cfo@x.com", "admin_notice") == []
        assert REASON not in _text([r.message for r in h.sim.received if r.email == "cfo@x.com"])
        assert REASON in _text(h.got("ceo@x.com", "admin_notice"))
        # Femi, an admin and the held senior, cannot release himself, and the answer does
        # not tell him he is held.
        (own,) = await h.sim.say("cfo@x.com", "release cfo@x.com")
        assert "isn't held for review" in own.fallback_text
        assert len(await h.app.store.pair_endings(awaiting_review=True)) == 1


async def test_concern_contacts_read_the_reason_instead_of_the_admins(db_url: str) -> None:
    async with harness(db_url, privacy={"concern_contacts": ["cy@x.com"]}) as h:
        await _end(h, "cto@x.com", REASON)
        await h.sim.run_until(NEXT_DAY)
        assert REASON in _text(h.got("cy@x.com", "admin_notice"))
        assert h.got("ceo@x.com", "admin_notice") == []


async def test_a_junior_who_leaves_holds_the_senior_and_the_team_is_told_not_why(
    db_url: str,
) -> None:
    async with harness(db_url) as h:
        await h.sim.say("ana@x.com", "leave")
        await h.sim.run_until(NEXT_DAY)
        (note,) = h.got("cfo@x.com", "partner_left")
        assert "your pairing has come to an end" in note.fallback_text
        assert "nobody's fault" in note.fallback_text
        assert "first in line" not in note.fallback_text
        (notice,) = h.got("ceo@x.com", "admin_notice")
        assert "has ended: Ana left the programme" in notice.fallback_text
        assert "`release cfo@x.com`" in notice.fallback_text
        (ending,) = await h.app.store.pair_endings(awaiting_review=True)
        assert ending.cause == "left"


async def test_forgetting_the_junior_keeps_the_hold_and_no_reason_text(db_url: str) -> None:
    async with harness(db_url) as h:
        await _end(h, "ana@x.com", REASON)
        await h.sim.run_until(NEXT_DAY)
        (asked,) = await h.sim.say("ana@x.com", "forget me")
        await h.sim.tap("ana@x.com", button(asked, actions.PRIVACY_FORGET, "confirm"))
        assert len(await h.app.store.pair_endings(awaiting_review=True)) == 1
        (health,) = await h.sim.say("ceo@x.com", "health")
        assert "Femi (cfo@x.com)" in health.fallback_text
        async with make_sessionmaker(h.app.db)() as session:
            payloads = (await session.scalars(select(DueWorkRow.payload))).all()
        assert not any("talked over" in str(p) for p in payloads)


async def test_a_proposed_pair_can_be_ended_too_and_ends_quietly(db_url: str) -> None:
    async with harness(db_url) as h:
        await _end(h, "ana@x.com", None)
        await h.sim.say("ceo@x.com", "release cfo@x.com")
        (paired,) = await h.sim.say("ceo@x.com", "pair cy@x.com with cfo@x.com --force")
        assert "Paired Cy" in paired.fallback_text
        (pair,) = [p for p in await h.app.store.open_pairs() if p.status is PairStatus.PROPOSED]
        (asked,) = await h.sim.say("cy@x.com", "end pairing")
        await h.sim.tap("cy@x.com", button(asked, actions.END_PAIRING, ":confirm"))
        ended = await h.app.store.get_pair(pair.id)
        assert ended is not None and ended.status is PairStatus.DECLINED
        await h.sim.run_until(NEXT_DAY + timedelta(days=1))
        # Ending a proposal is asking for someone else: Femi was asked too (answered or not),
        # so he gets the same kind note as after any decline, naming nobody; nobody is held.
        assert len(h.got("cfo@x.com", "partner_left")) == 1  # only Ana's, earlier
        (closed,) = h.got("cfo@x.com", "consent_closed")
        assert "Cy" not in closed.fallback_text
        assert await h.app.store.pair_endings(awaiting_review=True) == []
