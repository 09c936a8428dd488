"""The `Pairs` port's contract, on every store (`any_store`): rounds, conflicts, consent,
endings and review holds."""

from __future__ import annotations

import pytest

from conversations.ports import PairConflict, Store
from conversations.types import PairStatus
from tests.storage.contract import DAY, T0, new, people

PROPOSED, ACTIVE = PairStatus.PROPOSED, PairStatus.ACTIVE
DECLINED, ENDED = PairStatus.DECLINED, PairStatus.ENDED


async def test_publish_numbers_rounds_and_an_empty_batch_starts_none(any_store: Store) -> None:
    a, b, c, d = await people(any_store, 4)
    assert await any_store.publish_round([], status=PROPOSED, at=T0) == []
    first = await any_store.publish_round([new(a, b, 0.5, "x")], status=PROPOSED, at=T0)
    second = await any_store.publish_round([new(c, d)], status=ACTIVE, at=T0 + DAY)
    assert [(p.round, p.status, p.reasons, p.score) for p in first] == [(1, PROPOSED, ("x",), 0.5)]
    assert [(p.round, p.status, p.ended_at) for p in second] == [(2, ACTIVE, None)]
    assert await any_store.get_pair(first[0].id) == first[0]
    assert await any_store.pairs_by_id([first[0].id, second[0].id, 999]) == {
        first[0].id: first[0],
        second[0].id: second[0],
    }


async def test_publish_refuses_whoever_is_taken_and_stores_nothing(any_store: Store) -> None:
    a, b, c, d, e = await people(any_store, 5)
    await any_store.publish_round([new(a, b)], status=ACTIVE, at=T0)
    with pytest.raises(PairConflict) as taken:
        await any_store.publish_round([new(c, d), new(e, b)], status=PROPOSED, at=T0)
    assert taken.value.person_ids == (b,)
    with pytest.raises(PairConflict) as twice:
        await any_store.publish_round([new(c, d), new(e, d)], status=PROPOSED, at=T0)
    assert twice.value.person_ids == (d,)
    with pytest.raises(PairConflict) as both_sides:
        await any_store.publish_round([new(c, d), new(d, e)], status=PROPOSED, at=T0)
    assert both_sides.value.person_ids == (d,)
    assert len(await any_store.open_pairs()) == 1
    # A mentor may take several mentees; the next round is number 2 (nothing was stored).
    pairs = await any_store.publish_round([new(c, d), new(c, e)], status=PROPOSED, at=T0)
    assert [p.round for p in pairs] == [2, 2]
    with pytest.raises(LookupError):
        await any_store.publish_round([new(a, 999)], status=PROPOSED, at=T0)


async def test_closed_pairs_free_people_and_add_pair_holds_capacity(any_store: Store) -> None:
    a, b, c, d = await people(any_store, 4)
    [first] = await any_store.publish_round([new(a, b)], status=PROPOSED, at=T0)
    await any_store.set_pair_status(first.id, DECLINED, at=T0 + DAY)
    hand = await any_store.add_pair(new(a, b), status=ACTIVE, at=T0 + DAY, mentor_capacity=2)
    assert (hand.round, hand.status) == (1, ACTIVE)
    await any_store.add_pair(new(a, c), status=ACTIVE, at=T0 + DAY, mentor_capacity=2)
    with pytest.raises(PairConflict) as full:
        await any_store.add_pair(new(a, d), status=ACTIVE, at=T0 + DAY, mentor_capacity=2)
    assert full.value.person_ids == (a,)
    with pytest.raises(PairConflict) as mentee_taken:
        await any_store.add_pair(new(d, c), status=ACTIVE, at=T0 + DAY, mentor_capacity=2)
    assert mentee_taken.value.person_ids == (c,)
    with pytest.raises(PairConflict):
        await any_store.add_pair(new(d, d), status=ACTIVE, at=T0, mentor_capacity=2)


async def test_history_declined_orders_and_conversations(any_store: Store) -> None:
    a, b, c, d = await people(any_store, 4)
    [ab] = await any_store.publish_round([new(a, b)], status=ACTIVE, at=T0)
    [cd] = await any_store.publish_round([new(c, d)], status=PROPOSED, at=T0 + DAY)
    [ad] = await any_store.publish_round([new(a, d)], status=DECLINED, at=T0 + 2 * DAY)
    assert ad.ended_at == T0 + 2 * DAY
    assert await any_store.pair_history() == {(a, b), (c, d)}
    assert await any_store.declined_pairs() == {(a, d)}
    assert [p.id for p in await any_store.open_pairs()] == [ab.id, cd.id]
    assert [p.id for p in await any_store.pairs_of(a)] == [ad.id, ab.id]
    await any_store.set_pair_conversation(ab.id, "slack", "G1")
    await any_store.set_pair_conversation(ab.id, "teams", "T1")
    pair = await any_store.get_pair(ab.id)
    assert pair is not None and pair.conversation_ids == {"slack": "G1", "teams": "T1"}
    assert await any_store.get_pair(999) is None


async def test_status_changes_stamp_ended_at_once_and_never_reopen(any_store: Store) -> None:
    a, b = await people(any_store, 2)
    [pair] = await any_store.publish_round([new(a, b)], status=PROPOSED, at=T0)
    active = await any_store.set_pair_status(pair.id, ACTIVE, at=T0 + DAY)
    assert (active.status, active.ended_at) == (ACTIVE, None)
    ended = await any_store.set_pair_status(pair.id, ENDED, at=T0 + 2 * DAY)
    assert ended.ended_at == T0 + 2 * DAY
    again = await any_store.set_pair_status(pair.id, DECLINED, at=T0 + 3 * DAY)
    assert again.ended_at == T0 + 2 * DAY
    with pytest.raises(ValueError):
        await any_store.set_pair_status(pair.id, ACTIVE, at=T0 + 3 * DAY)
    with pytest.raises(LookupError):
        await any_store.set_pair_status(999, ENDED, at=T0)


async def test_ending_early_once_then_holds_and_release(any_store: Store) -> None:
    a, b = await people(any_store, 2)
    [ab] = await any_store.publish_round([new(a, b)], status=ACTIVE, at=T0)
    ended = await any_store.end_pair(ab.id, side="mentor", cause="ended", hold=True, at=T0 + DAY)
    assert ended is not None and (ended.status, ended.ended_at) == (ENDED, T0 + DAY)
    assert await any_store.end_pair(ab.id, side="mentee", cause="left", hold=False, at=T0) is None
    assert await any_store.end_pair(999, side="mentee", cause="left", hold=False, at=T0) is None
    assert await any_store.declined_pairs() == {(a, b)}
    [ending] = await any_store.pair_endings(awaiting_review=True)
    assert (ending.pair_id, ending.mentor_id, ending.mentee_id) == (ab.id, a, b)
    assert (ending.side, ending.cause, ending.held, ending.released_at) == (
        "mentor",
        "ended",
        True,
        None,
    )
    assert await any_store.release_hold(a, at=T0 + 2 * DAY) == 0  # holds are on the senior
    assert await any_store.release_hold(b, at=T0 + 2 * DAY) == 1
    assert await any_store.pair_endings(awaiting_review=True) == []
    [released] = await any_store.pair_endings()
    assert released.released_at == T0 + 2 * DAY
    assert await any_store.release_hold(b, at=T0 + 3 * DAY) == 0


async def test_consent_activates_once_and_a_decline_is_final(any_store: Store) -> None:
    a, b, c, d = await people(any_store, 4)
    [ab, cd] = await any_store.publish_round([new(a, b), new(c, d)], status=PROPOSED, at=T0)
    both = {"needs_mentor": True, "needs_mentee": True}
    first = await any_store.answer_proposal(ab.id, a, accept=True, at=T0 + DAY, **both)
    assert (first.changed, first.activated, first.pair.status) == (True, False, PROPOSED)
    assert first.pair.mentor_accepted_at == T0 + DAY
    repeat = await any_store.answer_proposal(ab.id, a, accept=True, at=T0 + DAY, **both)
    assert (repeat.changed, repeat.activated) == (False, False)
    second = await any_store.answer_proposal(ab.id, b, accept=True, at=T0 + 2 * DAY, **both)
    assert (second.changed, second.activated, second.pair.status) == (True, True, ACTIVE)
    late = await any_store.answer_proposal(ab.id, b, accept=False, at=T0 + 3 * DAY, **both)
    assert (late.changed, late.pair.status) == (False, ACTIVE)
    declined = await any_store.answer_proposal(cd.id, d, accept=False, at=T0 + DAY, **both)
    assert (declined.changed, declined.pair.status) == (True, DECLINED)
    assert declined.pair.ended_at == T0 + DAY
    after = await any_store.answer_proposal(cd.id, c, accept=True, at=T0 + DAY, **both)
    assert (after.changed, after.pair.status) == (False, DECLINED)
    with pytest.raises(ValueError):
        await any_store.answer_proposal(ab.id, c, accept=True, at=T0, **both)
    with pytest.raises(LookupError):
        await any_store.answer_proposal(999, c, accept=True, at=T0, **both)


async def test_one_side_is_enough_when_only_it_is_asked(any_store: Store) -> None:
    a, b = await people(any_store, 2)
    [ab] = await any_store.publish_round([new(a, b)], status=PROPOSED, at=T0)
    only_senior = {"needs_mentor": False, "needs_mentee": True}
    answer = await any_store.answer_proposal(ab.id, b, accept=True, at=T0, **only_senior)
    assert (answer.changed, answer.activated, answer.pair.status) == (True, True, ACTIVE)
    assert answer.pair.mentee_accepted_at == T0 and answer.pair.mentor_accepted_at is None
