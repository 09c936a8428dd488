"""The junior leads: their private choice of each session's topic, and session 1's ground
rules both partners agree. Engine-level, in simulated time, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from conversations.types import Button, OutgoingMessage, actions
from tests.scenarios.test_lifecycle_edges import Harness, harness

PREP_1 = datetime(2027, 2, 4, 11, tzinfo=UTC)  # Thu: the juniors' choice for session 1
TOPIC_1 = datetime(2027, 2, 5, 11, tzinfo=UTC)  # Fri: the pairs' topic (session 1, Mon 8 Feb)


def _options(message: OutgoingMessage) -> list[Button]:
    return [b for b in message.buttons() if b.action_id == actions.TOPIC_CHOOSE]


async def _picks(h: Harness, email: str) -> dict[str, str]:
    pair = await h.pair_of(email)
    answers = await h.app.store.survey_answers(pair.id)
    return {q: a for (_, q), a in answers.items() if q.startswith("topic:")}


async def test_the_junior_picks_the_topic_privately_and_may_change_it_until_it_is_shared(
    db_url: str,
) -> None:
    async with harness(db_url) as h:
        await h.sim.run_until(PREP_1)
        (prep,) = h.got("ana@x.com", "prep")
        assert h.got("cfo@x.com", "prep") == []  # private to the junior
        options = _options(prep)
        assert 2 <= len(options) <= 3 and all(len(b.label) <= 40 for b in options)
        text = prep.fallback_text
        assert "Session 1 of 6" in text and "You lead" in text and "Fri 5 Feb 2027" in text
        assert f"I'll go with “{options[0].label}”" in text and "ground rules" in text

        # Nobody else can pick for Ana: not her senior, not another pair, not a forged key.
        (no,) = await h.sim.tap("cfo@x.com", options[1])
        assert "Ana leads your sessions" in no.fallback_text
        (stale,) = await h.sim.tap("bo@x.com", options[1])
        assert "nothing changed" in stale.fallback_text
        pair_id, number, _ = options[1].value.split(":")
        forged = Button("x", actions.TOPIC_CHOOSE, f"{pair_id}:{number}:not-a-prompt")
        (stale,) = await h.sim.tap("ana@x.com", forged)
        assert "nothing changed" in stale.fallback_text
        bo_pair = await h.pair_of("bo@x.com")
        bos = Button("x", actions.TOPIC_CHOOSE, f"{bo_pair.id}:1:{options[1].value.split(':')[2]}")
        (stale,) = await h.sim.tap("ana@x.com", bos)
        assert "nothing changed" in stale.fallback_text
        assert await _picks(h, "ana@x.com") == {} and await _picks(h, "bo@x.com") == {}

        # Ana picks the second, taps it again (idempotent), then changes to the last one.
        (picked,) = await h.sim.tap("ana@x.com", options[1], message_id="m1")
        assert picked.replaces == "m1" and f"“{options[1].label}” it is" in picked.fallback_text
        assert "Fri 5 Feb 2027" in picked.fallback_text and "To prepare: 🧭" in picked.fallback_text
        assert options[1] not in _options(picked)  # the others, to change her mind
        await h.sim.tap("ana@x.com", options[1])
        await h.sim.tap("ana@x.com", options[-1])
        assert await _picks(h, "ana@x.com") == {"topic:1": options[-1].value.split(":")[2]}

        # The pair's topic is Ana's pick; Bo, who did not pick, gets his first option.
        await h.sim.run_until(TOPIC_1)
        (topic,) = h.got("cfo@x.com", "prompt")
        assert "a first topic Ana picked" in topic.fallback_text
        ana_pair = await h.pair_of("ana@x.com")
        assert await h.app.store.session_prompt(ana_pair.id, 1) == options[-1].value.split(":")[2]
        (bo_prep,) = h.got("bo@x.com", "prep")
        first = _options(bo_prep)[0].value.split(":")[2]
        assert await h.app.store.session_prompt(bo_pair.id, 1) == first
        (bo_topic,) = h.got("cto@x.com", "prompt")
        assert "Then, an idea:" in bo_topic.fallback_text

        # Once shared, a tap changes nothing and says so.
        (late,) = await h.sim.tap("ana@x.com", options[0])
        assert "already shared with you both" in late.fallback_text
        assert await h.app.store.session_prompt(ana_pair.id, 1) == options[-1].value.split(":")[2]


async def test_both_partners_agree_the_ground_rules_in_session_one(db_url: str) -> None:
    async with harness(db_url) as h:
        await h.sim.run_until(TOPIC_1)
        (topic,) = h.got("ana@x.com", "prompt")
        text = topic.fallback_text
        for rule in ("stays between the two of you", "safety", "`concern`", "pass on any question"):
            assert rule in text, rule
        assert "Ana sets the agenda; Femi books the time" in text
        (agree,) = [b for b in topic.buttons() if b.action_id == actions.GROUND_RULES_AGREE]
        assert agree.label == "I agree"

        (stale,) = await h.sim.tap("cto@x.com", agree)  # not in this pair
        assert "nothing changed" in stale.fallback_text
        (first,) = await h.sim.tap("ana@x.com", agree)
        assert first.fallback_text == "Thanks, Ana — waiting for Femi."
        (again,) = await h.sim.tap("ana@x.com", agree)
        assert "already agreed" in again.fallback_text
        (status,) = await h.sim.say("cfo@x.com", "status")
        assert "Ground rules: waiting for Femi" in status.fallback_text
        (both,) = await h.sim.tap("cfo@x.com", agree)
        assert both.fallback_text.startswith("You've both agreed the ground rules ✅")

        pair = await h.pair_of("ana@x.com")
        answers = await h.app.store.survey_answers(pair.id)
        rules = {(person, a) for (person, q), a in answers.items() if q == "ground_rules"}
        assert rules == {(pair.mentor_id, "agreed"), (pair.mentee_id, "agreed")}
        (status,) = await h.sim.say("ana@x.com", "status")
        assert "Ground rules: agreed by both" in status.fallback_text
        (status,) = await h.sim.say("bo@x.com", "status")
        assert "Ground rules: waiting for Bo and Tara" in status.fallback_text
        # Only session 1 carries the ground rules.
        await h.sim.run_until(datetime(2027, 3, 6, tzinfo=UTC))
        later = [m for m in h.got("ana@x.com", "prompt") if "Session 2 of 6" in m.fallback_text]
        assert later and not any(
            b.action_id == actions.GROUND_RULES_AGREE for m in later for b in m.buttons()
        )
