"""Review fixes on the programme's timing and its ways out, through the engine on SQLite and
PostgreSQL: short programmes still get their closing survey and the ground rules' "Raise a
concern" / "End this pairing" buttons; a short cadence is refused at load and the junior's prep
never comes before the intro or the previous session; a missed-session question queued before
`end pairing` is not sent (nor answered); a topic tap can pick only an option offered.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.settings import ConfigError, parse_config
from bot.simulation import button
from conversations.types import Button, actions
from storage.db import make_sessionmaker
from storage.models import DueWorkRow
from tests.scenarios.test_lifecycle_edges import Harness
from tests.scenarios.test_pair_endings import harness

END = datetime(2027, 6, 1, tzinfo=UTC)


def _kinds(h: Harness, email: str) -> list[tuple[datetime, str]]:
    return [(r.at, r.message.kind) for r in h.sim.received if r.email == email]


@pytest.mark.parametrize(("sessions", "remind"), [(1, 1), (2, 1), (1, 7)])
async def test_short_programmes_get_the_closing_before_graduating(
    db_url: str, sessions: int, remind: int
) -> None:
    programme = {"sessions": sessions, "remind_after_days": remind, "cadence_days": 14}
    async with harness(db_url, programme=programme) as h:
        await h.sim.run_until(END)
        for email in ("ana@x.com", "cfo@x.com"):
            got = _kinds(h, email)
            (closing_at,) = [at for at, kind in got if kind == "closing"]
            graduated = [at for at, kind in got if kind == "graduation"]
            assert graduated and (graduated[0] - closing_at).days >= 2, got


@pytest.mark.parametrize("sessions", [1, 2, 6])
async def test_the_ground_rules_carry_both_ways_out(db_url: str, sessions: int) -> None:
    async with harness(db_url, programme={"sessions": sessions}) as h:
        pair = await h.pair_of("ana@x.com")
        await h.sim.run_until(datetime(2027, 2, 20, tzinfo=UTC))
        first = h.got("ana@x.com", "prompt")[0]
        assert "ground rules" in first.fallback_text
        concern = button(first, actions.CONCERN_RAISE, str(pair.id))
        end = button(first, actions.END_PAIRING, str(pair.id))
        # Tapping either answers only the partner who tapped, privately.
        (asked,) = await h.sim.tap("cfo@x.com", end)
        assert asked.private and "End your pairing with Ana?" in asked.fallback_text
        (invited,) = await h.sim.tap("ana@x.com", concern)
        assert invited.private and "Only the programme team reads it" in invited.fallback_text
        await h.sim.tap("ana@x.com", button(invited, actions.CONCERN_RAISE, "cancel"))
        # A forged value naming someone else's pair changes nothing.
        bo_pair = await h.pair_of("bo@x.com")
        (stale,) = await h.sim.tap(
            "ana@x.com", Button("End this pairing", actions.END_PAIRING, str(bo_pair.id))
        )
        assert "nothing more to do" in stale.fallback_text
        assert (await h.pair_of("bo@x.com")).status is bo_pair.status


def test_a_cadence_not_longer_than_the_prep_lead_is_refused_in_one_line() -> None:
    raw = {"programme": {"start_date": "2027-01-11", "cadence_days": 4, "prep_lead_days": 4}}
    with pytest.raises(ConfigError) as error:
        parse_config(raw, source="app.yaml")
    (line,) = str(error.value).splitlines()
    assert "cadence_days (4) must be greater than prep_lead_days (4)" in line


async def test_prep_comes_after_the_intro_and_after_the_previous_session(db_url: str) -> None:
    # Five days apart with four days' prep: working-day shifts pull a prep before the
    # previous session unless it is held back. Read from the plan (the queue's due times).
    async with harness(db_url, programme={"sessions": 4, "cadence_days": 5}) as h:
        pair = await h.pair_of("ana@x.com")
        sessionmaker = make_sessionmaker(h.app.db)
        async with sessionmaker() as session:
            rows = (await session.scalars(select(DueWorkRow))).all()
        intro_at = next(r.due_at for r in rows if r.idempotency_key == f"intro:{pair.id}")
        planned = {
            (r.payload["step"], r.payload["session"]): r.due_at
            for r in rows
            if r.kind == "session.step" and r.payload.get("pair") == pair.id
        }
        assert planned[("prep", 1)] > intro_at
        for number in range(2, 5):  # session k's prep after session k-1's did-you-meet
            assert planned[("prep", number)] > planned[("ask", number - 1)], planned
        for number in range(1, 5):  # the junior picks before the pair sees the topic
            assert planned[("prep", number)] < planned[("topic", number)]


async def test_a_missed_question_is_not_sent_or_taken_after_the_pairing_ended(
    db_url: str,
) -> None:
    async with harness(db_url) as h:
        pair = await h.pair_of("ana@x.com")
        await h.sim.run_until(datetime(2027, 2, 8, 16, tzinfo=UTC))
        await h.sim.tap(
            "ana@x.com", Button("We couldn't meet", actions.MEETING_MISSED, f"{pair.id}:1")
        )
        await h.sim.run_until(datetime(2027, 2, 8, 16, 1, tzinfo=UTC))
        (asked,) = h.got("ana@x.com", "missed_reason")
        (confirm,) = await h.sim.say("ana@x.com", "end pairing")
        await h.sim.tap("ana@x.com", button(confirm, actions.END_PAIRING, ":confirm"))
        await h.sim.run_until(datetime(2027, 2, 12, 16, tzinfo=UTC))
        # Femi's question (queued for his delivery hour) never goes out once it has ended.
        assert h.got("cfo@x.com", "missed_reason") == []
        assert h.got("cfo@x.com", "partner_left")
        # Ana's own, already in her chat, takes nothing any more.
        (reply,) = await h.sim.tap("ana@x.com", button(asked, actions.MISSED_REASON, ":work"))
        assert "this pairing has ended" in reply.fallback_text
        answers = await h.app.store.survey_answers(pair.id)
        assert not [q for (_, q) in answers if q.startswith("missed:")]


async def test_a_topic_tap_picks_only_an_option_offered(db_url: str) -> None:
    async with harness(db_url) as h:
        pair = await h.pair_of("ana@x.com")
        await h.sim.run_until(datetime(2027, 2, 4, 16, tzinfo=UTC))
        (prep,) = [m for m in h.got("ana@x.com", "prep") if "Session 1 of" in m.fallback_text]
        offered = [b.value for b in prep.buttons() if b.action_id == actions.TOPIC_CHOOSE]
        offered_keys = {value.split(":")[2] for value in offered}
        other = next(p.key for p in h.app.engine.prompts if p.key not in offered_keys)
        forged = Button("x", actions.TOPIC_CHOOSE, f"{pair.id}:1:{other}")
        (stale,) = await h.sim.tap("ana@x.com", forged)
        assert "nothing changed" in stale.fallback_text
        answers = await h.app.store.survey_answers(pair.id)
        assert not [q for (_, q) in answers if q == "topic:1"]
        # An option offered is taken.
        (picked,) = await h.sim.tap("ana@x.com", Button("x", actions.TOPIC_CHOOSE, offered[-1]))
        answers = await h.app.store.survey_answers(pair.id)
        assert [a for (_, q), a in answers.items() if q == "topic:1"] == [offered[-1].split(":")[2]]
        assert picked.kind != "stale"
