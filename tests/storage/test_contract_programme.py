"""The programme's ports' contract on every store (`any_store`): sessions, the prompt log,
answers, waiting lines and premise facts."""

from __future__ import annotations

from datetime import date

import pytest

from conversations.data.catalogue import admin_prompt
from conversations.ports import Store
from conversations.types import (
    PairStatus,
    PremiseQuery,
    PulseAnswer,
    SessionFact,
    SessionStatus,
    Status,
)
from tests.storage.contract import DAY, T0, new, people

MET, MISSED = SessionStatus.MET, SessionStatus.MISSED
DUE = [date(2027, 3, 8), date(2027, 3, 22), date(2027, 4, 5)]


async def _pair(store: Store) -> tuple[int, int, int]:
    a, b = await people(store, 2)
    [pair] = await store.publish_round([new(a, b)], status=PairStatus.ACTIVE, at=T0)
    return pair.id, a, b


async def test_sessions_are_created_once_reported_first_wins_met_beats_missed(
    any_store: Store,
) -> None:
    pair, a, b = await _pair(any_store)
    created = await any_store.create_sessions(pair, DUE)
    assert [(s.number, s.due_date, s.status) for s in created] == [
        (1, DUE[0], SessionStatus.SCHEDULED),
        (2, DUE[1], SessionStatus.SCHEDULED),
        (3, DUE[2], SessionStatus.SCHEDULED),
    ]
    again = await any_store.create_sessions(pair, [date(2030, 1, 1)] * 4)
    assert [s.due_date for s in again] == [*DUE, date(2030, 1, 1)]
    missed, changed = await any_store.report_session(pair, 1, status=MISSED, by=a, at=T0)
    assert changed and (missed.status, missed.reported_by, missed.reported_at) == (MISSED, a, T0)
    _, changed = await any_store.report_session(pair, 1, status=MISSED, by=b, at=T0 + DAY)
    assert not changed
    met, changed = await any_store.report_session(pair, 1, status=MET, by=b, at=T0 + DAY)
    assert changed and (met.status, met.reported_by) == (MET, b)
    kept, changed = await any_store.report_session(pair, 1, status=MISSED, by=None, at=T0)
    assert not changed and kept == met
    assert await any_store.get_session(pair, 1) == met
    assert await any_store.get_session(pair, 9) is None
    with pytest.raises(LookupError):
        await any_store.report_session(pair, 9, status=MET, by=a, at=T0)


async def test_moving_and_shifting_touch_only_sessions_to_come(any_store: Store) -> None:
    pair, a, _ = await _pair(any_store)
    await any_store.create_sessions(pair, DUE)
    await any_store.report_session(pair, 1, status=MET, by=a, at=T0)
    held = await any_store.move_session(pair, 1, date(2027, 5, 1))
    assert (held.due_date, held.status) == (DUE[0], MET)
    moved = await any_store.move_session(pair, 2, date(2027, 3, 25))
    assert (moved.due_date, moved.status) == (date(2027, 3, 25), SessionStatus.RESCHEDULED)
    shifted = await any_store.shift_sessions(pair, date(2027, 3, 26), 7)
    assert [s.due_date for s in shifted] == [DUE[0], date(2027, 3, 25), date(2027, 4, 12)]
    shifted = await any_store.shift_sessions(pair, date(2027, 1, 1), 1)
    assert [s.due_date for s in shifted] == [DUE[0], date(2027, 3, 26), date(2027, 4, 13)]
    with pytest.raises(LookupError):
        await any_store.move_session(pair, 9, date(2027, 5, 1))


async def test_prompt_log_gives_a_session_one_topic_and_numbers_admin_prompts(
    any_store: Store,
) -> None:
    pair, _, _ = await _pair(any_store)
    first, other = admin_prompt("cat-1", "ai", "Talk about AI"), admin_prompt("cat-2", "ai", "B")
    assert await any_store.session_prompt(pair, 1) is None
    assert await any_store.record_prompt(pair, 1, first, T0) == "cat-1"
    assert await any_store.record_prompt(pair, 1, other, T0) == "cat-1"  # a redo finds it
    assert await any_store.record_prompt(pair, 2, other, T0) == "cat-2"
    assert await any_store.session_prompt(pair, 1) == "cat-1"
    assert await any_store.used_prompt_keys(pair) == {"cat-1", "cat-2"}
    added = await any_store.add_prompt("culture", "What  surprised you?", None)
    assert (added.key, added.track, added.text) == ("admin-3", "culture", "What surprised you?")
    assert [p.key for p in await any_store.admin_prompts()] == ["admin-3"]


async def test_pulse_and_survey_answers(any_store: Store) -> None:
    pair, a, b = await _pair(any_store)
    await any_store.save_pulse(PulseAnswer(a, pair, 1, "mentor", rating=4), at=T0)
    await any_store.save_pulse(PulseAnswer(a, pair, 1, "mentee", rating=5), at=T0 + DAY)
    pulse = await any_store.get_pulse(a, pair, 1)
    assert pulse == PulseAnswer(a, pair, 1, "mentor", rating=5, created_at=T0)
    await any_store.set_pulse_comment(a, pair, 1, "Great", consent=False, at=T0)
    await any_store.set_comment_consent(a, pair, 1, True, at=T0 + DAY)
    pulse = await any_store.get_pulse(a, pair, 1)
    assert pulse is not None and (pulse.comment, pulse.comment_consent) == ("Great", True)
    await any_store.set_pulse_comment(b, pair, 1, "no pulse", consent=True, at=T0)
    assert await any_store.get_pulse(b, pair, 1) is None
    await any_store.save_survey_answer(a, pair, "missed:1", "diary", "mentor", at=T0)
    await any_store.save_survey_answer(a, pair, "missed:1", "urgent", "mentor", at=T0)
    await any_store.save_survey_answer(b, pair, "ground_rules", "agreed", "mentee", at=T0)
    assert await any_store.survey_answers(pair) == {
        (a, "missed:1"): "urgent",
        (b, "ground_rules"): "agreed",
    }
    assert await any_store.survey_answers(999) == {}


async def test_waiting_lines_hold_one_line_until_it_expires(any_store: Store) -> None:
    (a,) = await people(any_store, 1)
    await any_store.set_pending_input(a, "concern", {"pair": 3}, T0 + DAY)
    await any_store.set_pending_input(a, "comment", {"pair": 4, "session": "1"}, T0 + DAY)
    waiting = await any_store.take_pending_input(a, T0)
    assert waiting is not None and (waiting.kind, waiting.context) == (
        "comment",
        {"pair": 4, "session": "1"},
    )
    assert await any_store.take_pending_input(a, T0) is None
    await any_store.set_pending_input(a, "comment", {}, T0 + DAY)
    assert await any_store.take_pending_input(a, T0 + DAY) is None  # expired, and gone
    await any_store.set_pending_input(a, "comment", {}, T0 + DAY)
    await any_store.clear_pending_input(a)
    assert await any_store.take_pending_input(a, T0) is None


async def test_premise_facts_name_what_is_true_now(any_store: Store) -> None:
    a, b, c, d = await people(any_store, 4)
    [ab] = await any_store.publish_round([new(a, b)], status=PairStatus.ACTIVE, at=T0)
    await any_store.create_sessions(ab.id, DUE[:2])
    await any_store.report_session(ab.id, 1, status=MET, by=a, at=T0)
    await any_store.set_status(c, Status.PAUSED, at=T0)
    query = PremiseQuery(
        pair_ids=frozenset({ab.id, 999}),
        person_ids=frozenset({a, c, 999}),
        sessions=frozenset({(ab.id, 1), (ab.id, 2), (ab.id, 9)}),
        unpaired=frozenset({b, c, d}),
    )
    facts = await any_store.premise_facts(query)
    assert dict(facts.pairs) == {ab.id: PairStatus.ACTIVE}
    assert dict(facts.people) == {a: Status.ENROLLED, c: Status.PAUSED}
    assert dict(facts.sessions) == {
        (ab.id, 1): SessionFact(MET, DUE[0], True),
        (ab.id, 2): SessionFact(SessionStatus.SCHEDULED, DUE[1], False),
    }
    assert facts.paired == {b}
    empty = await any_store.premise_facts(PremiseQuery())
    assert not empty.pairs and not empty.paired
