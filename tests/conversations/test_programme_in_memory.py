"""The programme through the engine on the in-memory store (no SQL): a published round,
consent, the intro, sessions planned on the cadence, the did-you-meet question, the pulse and
a missed session's private question. The same outcomes as the SQL scenarios
(tests/scenarios/test_programme.py, test_consent.py, test_missed_sessions.py)."""

from __future__ import annotations

from datetime import date, timedelta

from conversations.types import PairStatus, SessionStatus, actions
from tests.conversations.memory_programme import INTRO, Programme
from tests.fakes import utc

# Session k is due k × 28 days after the intro (Mon 11 Jan): all Mondays.
DUE = [date(2027, 1, 11) + timedelta(days=28 * k) for k in range(1, 7)]


async def test_a_published_round_is_introduced_once_both_partners_accept() -> None:
    p = Programme()
    await p.setup()
    assert "Published: 2 pairs" in await p.say("ceo@x.com", "match publish")
    pair = await p.pair_of("ana@x.com")
    assert pair.status is PairStatus.PROPOSED
    assert "as soon as Femi confirms" in await p.tap("ana@x.com", actions.CONSENT_ACCEPT, pair.id)
    assert "introduce you to" in await p.tap("cfo@x.com", actions.CONSENT_ACCEPT, pair.id)
    assert "already introduced" in await p.tap("ana@x.com", actions.CONSENT_ACCEPT, pair.id)
    await p.run_until(INTRO + timedelta(minutes=1))
    for email in ("ana@x.com", "cfo@x.com"):
        (intro,) = p.got(email, "intro")
        assert "*Ana* will mentor *Femi*" in intro.fallback_text
        # Accepted before the previews went out: they were cancelled, never sent.
        assert p.got(email, "consent") == []
    assert [s.due_date for s in await p.store.sessions_of(pair.id)] == DUE
    (unmatched,) = p.got("cy@x.com", "unmatched")
    assert "couldn't find you a partner" in unmatched.fallback_text


async def test_sessions_are_prepared_asked_about_and_rated() -> None:
    p = Programme()
    await p.start()
    pair = await p.pair_of("ana@x.com")
    await p.run_until(utc(2027, 2, 8, 12))
    (prep,) = p.got("ana@x.com", "prep")  # the junior leads, privately
    assert "You lead" in prep.fallback_text and p.got("cfo@x.com", "prep") == []
    (prompt,) = p.got("cfo@x.com", "prompt")
    assert "It starts with your ground rules" in prompt.fallback_text
    (asked,) = p.got("cfo@x.com", "did_you_meet")
    assert [b.value for b in asked.buttons() if b.action_id == actions.MEETING_MET] == ["1:1"]

    said = await p.tap("ana@x.com", actions.MEETING_MET, f"{pair.id}:1")
    assert "Ana says you met for Session 1 of 6" in said
    session = await p.store.get_session(pair.id, 1)
    assert session is not None and session.status is SessionStatus.MET
    assert session.reported_by == await p.id_of("ana@x.com")
    # A later "we couldn't meet" changes nothing: the first report wins.
    await p.tap("cfo@x.com", actions.MEETING_MISSED, f"{pair.id}:1")
    assert (await p.store.get_session(pair.id, 1)).status is SessionStatus.MET  # type: ignore[union-attr]

    await p.run_until(utc(2027, 2, 10, 12))
    assert len(p.got("ana@x.com", "pulse")) == 1  # the reporter at once
    assert len(p.got("cfo@x.com", "pulse")) == 1  # the partner at their delivery hour
    assert "4/5 noted" in await p.tap("cfo@x.com", actions.PULSE_RATE, f"{pair.id}:1:4")
    await p.say("cfo@x.com", "I'll try a voice note on Mondays")
    pulse = await p.store.get_pulse(await p.id_of("cfo@x.com"), pair.id, 1)
    assert pulse is not None and (pulse.rating, pulse.side) == (4, "mentee")
    assert pulse.comment == "I'll try a voice note on Mondays"
    home = await p.engine.home(p.user("ana@x.com"))
    assert "Next session: Session 2 of 6, by Mon 8 Mar 2027" in home.fallback_text
    assert "Held so far: 1 of 6" in home.fallback_text


async def test_a_missed_session_asks_each_partner_privately_never_who() -> None:
    p = Programme()
    await p.start()
    pair = await p.pair_of("bo@x.com")
    await p.run_until(utc(2027, 2, 8, 12))
    said = await p.tap("cto@x.com", actions.MEETING_MISSED, f"{pair.id}:1")
    assert "I'll ask you each privately what got in the way" in said
    assert "Bo" not in said and "Tara" not in said
    await p.run_until(utc(2027, 2, 10, 12))
    for email in ("cto@x.com", "bo@x.com"):
        (question,) = p.got(email, "missed_reason")
        assert "No need to name anyone" in question.fallback_text
    assert "noted" in await p.tap("bo@x.com", actions.MISSED_REASON, f"{pair.id}:1:diary")
    assert await p.store.survey_answers(pair.id) == {
        (await p.id_of("bo@x.com"), "missed:1"): "diary"
    }
    session = await p.store.get_session(pair.id, 1)
    assert session is not None and session.status is SessionStatus.MISSED
