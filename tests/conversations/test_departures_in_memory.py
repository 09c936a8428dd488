"""Pausing, leaving and ending a pairing through the engine on the in-memory store (no SQL):
the same outcomes as tests/scenarios/test_lifecycle_edges.py and test_pair_endings.py."""

from __future__ import annotations

from datetime import date, timedelta

from conversations.types import PairStatus, Status, actions
from tests.conversations.memory_programme import Programme
from tests.fakes import utc


async def test_a_pause_shifts_the_pairs_sessions_and_tells_the_partner() -> None:
    p = Programme()
    await p.start()
    pair = await p.pair_of("ana@x.com")
    before = [s.due_date for s in await p.store.sessions_of(pair.id)]
    p.clock.set(utc(2027, 2, 1, 12))
    await p.say("ana@x.com", "pause until 2027-02-15")
    ana = await p.store.person_by_email("ana@x.com")
    assert ana is not None and (ana.status, ana.paused_since) == (Status.PAUSED, date(2027, 2, 1))
    await p.run_until(utc(2027, 2, 2, 12))
    (told,) = p.got("cfo@x.com", "partner_paused")
    assert "Ana is taking a short break until Mon 15 Feb 2027" in told.fallback_text
    # Session 1 (due 8 Feb) falls in the pause: nothing is asked while Ana is away.
    await p.run_until(utc(2027, 2, 14))
    assert p.got("cfo@x.com", "did_you_meet") == []
    await p.run_until(utc(2027, 2, 15, 11))  # the pause ends at 10:00
    after = [s.due_date for s in await p.store.sessions_of(pair.id)]
    assert after == [d + timedelta(days=14) for d in before]  # 1 Feb → 15 Feb
    await p.run_until(utc(2027, 2, 23))
    (asked,) = p.got("cfo@x.com", "did_you_meet")
    assert "Session 1 of 6" in asked.fallback_text


async def test_leaving_ends_the_pair_kindly_and_puts_the_partner_first() -> None:
    p = Programme()
    await p.start()
    p.clock.set(utc(2027, 1, 20, 15))
    await p.say("cto@x.com", "leave")
    await p.run_until(utc(2027, 1, 22))
    (told,) = p.got("bo@x.com", "partner_left")
    assert "your pairing has come to an end" in told.fallback_text
    assert "nobody's fault" in told.fallback_text
    assert "first in line" not in told.fallback_text
    (notice,) = p.got("ceo@x.com", "admin_notice")
    assert "Tara left the programme" in notice.fallback_text
    assert "held" not in notice.fallback_text
    pair = await p.pair_of("bo@x.com")
    assert pair.status is PairStatus.ENDED
    bo = await p.store.person_by_email("bo@x.com")
    assert bo is not None and bo.first_in_line
    # Nothing more for the ended pair: no prompts, no questions.
    await p.run_until(utc(2027, 3, 1))
    assert p.got("bo@x.com", "prompt") == [] and p.got("bo@x.com", "did_you_meet") == []


async def test_a_junior_who_leaves_holds_the_senior_until_released() -> None:
    p = Programme()
    await p.start()
    await p.say("ana@x.com", "leave")
    await p.run_until(p.clock.now() + timedelta(days=1))
    (note,) = p.got("cfo@x.com", "partner_left")
    assert "first in line" not in note.fallback_text
    (notice,) = p.got("ceo@x.com", "admin_notice")
    assert "has ended: Ana left the programme" in notice.fallback_text
    assert "`release cfo@x.com`" in notice.fallback_text
    (ending,) = await p.store.pair_endings(awaiting_review=True)
    assert (ending.cause, ending.side) == ("left", "mentor")
    assert "Femi is back in matching" in await p.say("ceo@x.com", "release cfo@x.com")
    assert await p.store.pair_endings(awaiting_review=True) == []


async def test_ending_a_pairing_from_its_button_asks_first_then_ends_once() -> None:
    p = Programme()
    await p.start()
    pair = await p.pair_of("bo@x.com")
    await p.tap("bo@x.com", actions.END_PAIRING, f"{pair.id}")
    assert (await p.pair_of("bo@x.com")).status is PairStatus.ACTIVE  # only asked to confirm
    await p.tap("bo@x.com", actions.END_PAIRING, f"{pair.id}:confirm")
    assert (await p.pair_of("bo@x.com")).status is PairStatus.ENDED
    await p.tap("cto@x.com", actions.END_PAIRING, f"{pair.id}:confirm")
    assert [e.pair_id for e in await p.store.pair_endings()] == [pair.id]
    await p.run_until(p.clock.now() + timedelta(days=1))
    assert len(p.got("cto@x.com", "partner_left")) == 1
    assert (pair.mentor_id, pair.mentee_id) in await p.store.declined_pairs()
