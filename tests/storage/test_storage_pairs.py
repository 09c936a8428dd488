"""Pairs and rounds: publishing, the open-pair rules, concurrency, history and transitions."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from conversations.ports import PairConflict
from conversations.types import NewPair, Pair, PairStatus, Role, RosterEntry
from storage.base import PersonNotFound
from storage.models import CycleRow, PairRow, ProgrammeRow
from storage.sql_pairs import PairNotFound
from storage.store import SqlStore

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
PROPOSED, ACTIVE = PairStatus.PROPOSED, PairStatus.ACTIVE
DECLINED, ENDED = PairStatus.DECLINED, PairStatus.ENDED


async def people(store: SqlStore, count: int) -> list[int]:
    """Ids of `count` new people, in order (mentors and mentees alike: the store doesn't care)."""
    rows = [
        RosterEntry(line=n + 2, email=f"p{n}@example.com", name=f"P{n}", level=5, role=Role.EITHER)
        for n in range(count)
    ]
    await store.import_roster(rows, deactivate_missing=False, dry_run=False, at=T0)
    return [p.id for p in await store.all_people()]


def new(mentor: int, mentee: int, score: float = 1.0, *reasons: str) -> NewPair:
    return NewPair(mentor_id=mentor, mentee_id=mentee, score=score, reasons=reasons)


async def stored(store: SqlStore) -> tuple[int, int, int]:
    """How many (programmes, cycles, pairs) rows exist: what a refused write must not change."""
    async with store._sessions() as session:
        counts = [
            await session.scalar(select(func.count()).select_from(table))
            for table in (ProgrammeRow, CycleRow, PairRow)
        ]
    return counts[0] or 0, counts[1] or 0, counts[2] or 0


async def test_publish_starts_round_one_then_two(store: SqlStore) -> None:
    a, b, c, d = await people(store, 4)
    first = await store.publish_round(
        [new(a, b, 0.9, "ai", "tz"), new(c, d, 0.5)], status=PROPOSED, at=T0
    )
    assert first == [
        Pair(first[0].id, a, b, 0.9, ("ai", "tz"), PROPOSED, T0, round=1),
        Pair(first[1].id, c, d, 0.5, (), PROPOSED, T0, round=1),
    ]
    assert first[0].conversation_ids == {} and first[0].ended_at is None
    assert [await store.get_pair(p.id) for p in first] == first

    for pair in first:
        await store.set_pair_status(pair.id, ENDED, at=T0 + DAY)
    [second] = await store.publish_round([new(b, a)], status=ACTIVE, at=T0 + 2 * DAY)
    assert (second.round, second.status, second.created_at) == (2, ACTIVE, T0 + 2 * DAY)
    assert await store.get_pair(second.id) == second

    async with store._sessions() as session:
        [programme] = await session.scalars(select(ProgrammeRow))
        cycles = [(c.number, c.started_at) for c in await session.scalars(select(CycleRow))]
    # The store is never told the programme's name or start: a placeholder and the first round.
    assert (programme.name, programme.start_date) == ("programme", T0.date())
    assert sorted(cycles) == [(1, T0), (2, T0 + 2 * DAY)]


async def test_an_empty_batch_starts_no_round(store: SqlStore) -> None:
    assert await store.publish_round([], status=PROPOSED, at=T0) == []
    assert await stored(store) == (0, 0, 0)


async def test_a_mentor_may_take_several_mentees_in_one_round(store: SqlStore) -> None:
    a, b, c = await people(store, 3)
    published = await store.publish_round([new(a, b), new(a, c)], status=PROPOSED, at=T0)
    assert [(p.mentor_id, p.mentee_id) for p in published] == [(a, b), (a, c)]
    assert [p.id for p in await store.open_pairs()] == [p.id for p in published]


# People are given by index: 0 mentors 1 in an open pair before each case.
@pytest.mark.parametrize(
    ("batch", "blocked"),
    [
        pytest.param([(2, 0)], [0], id="open-mentor"),
        pytest.param([(1, 2)], [1], id="open-mentee"),
        pytest.param([(3, 4), (0, 2), (4, 1)], [0, 1, 4], id="several-and-in-batch"),
        pytest.param([(2, 3), (4, 3)], [3], id="mentee-twice"),
        pytest.param([(2, 3), (3, 4)], [3], id="both-sides"),
        pytest.param([(2, 2)], [2], id="self"),
    ],
)
async def test_publish_refuses_anyone_already_taken_and_stores_nothing(
    store: SqlStore, batch: list[tuple[int, int]], blocked: list[int]
) -> None:
    ids = await people(store, 5)
    await store.publish_round([new(ids[0], ids[1])], status=ACTIVE, at=T0)
    before = await stored(store)

    with pytest.raises(PairConflict) as refused:
        pairs = [new(ids[mentor], ids[mentee]) for mentor, mentee in batch]
        await store.publish_round(pairs, status=PROPOSED, at=T0 + DAY)

    assert refused.value.person_ids == tuple(sorted(ids[n] for n in blocked))
    assert await stored(store) == before == (1, 1, 1)


async def test_closed_pairs_free_both_people(store: SqlStore) -> None:
    a, b, c, d = await people(store, 4)
    declined, ended = await store.publish_round([new(a, b), new(c, d)], status=PROPOSED, at=T0)
    await store.set_pair_status(declined.id, DECLINED, at=T0 + DAY)
    await store.set_pair_status(ended.id, ENDED, at=T0 + DAY)
    again = await store.publish_round([new(a, d), new(c, b)], status=PROPOSED, at=T0 + 2 * DAY)
    assert [p.round for p in again] == [2, 2]


async def test_add_pair_joins_the_latest_round(store: SqlStore) -> None:
    a, b, c, d, e = await people(store, 5)
    by_hand = await store.add_pair(new(a, b, 0.0), status=ACTIVE, at=T0, mentor_capacity=1)
    assert (by_hand.round, by_hand.status, by_hand.score) == (1, ACTIVE, 0.0)  # round 1 made
    await store.publish_round([new(c, d)], status=PROPOSED, at=T0 + DAY)
    later = await store.add_pair(new(c, e), status=PROPOSED, at=T0 + 2 * DAY, mentor_capacity=2)
    assert later.round == 2 and await store.get_pair(later.id) == later
    assert (await stored(store))[:2] == (1, 2)


async def test_add_pair_holds_a_mentor_to_capacity(store: SqlStore) -> None:
    a, b, c, d = await people(store, 4)
    await store.add_pair(new(a, b), status=ACTIVE, at=T0, mentor_capacity=2)
    await store.add_pair(new(a, c), status=PROPOSED, at=T0, mentor_capacity=2)
    before = await stored(store)
    with pytest.raises(PairConflict) as refused:
        await store.add_pair(new(a, d), status=PROPOSED, at=T0, mentor_capacity=2)
    assert refused.value.person_ids == (a,)
    assert await stored(store) == before

    # An ended pair no longer counts against the mentor.
    [first, *_] = await store.pairs_of(b)
    await store.set_pair_status(first.id, ENDED, at=T0 + DAY)
    await store.add_pair(new(a, d), status=PROPOSED, at=T0 + DAY, mentor_capacity=2)


# People are given by index: 0 mentors 1 in an open pair before each case.
@pytest.mark.parametrize(
    ("pair", "blocked"),
    [
        pytest.param((2, 1), [1], id="mentee-taken"),
        pytest.param((2, 0), [0], id="mentee-mentors"),
        pytest.param((1, 2), [1], id="mentor-is-mentee"),
        pytest.param((1, 0), [0, 1], id="both"),
        pytest.param((3, 3), [3], id="self"),
    ],
)
async def test_add_pair_refuses_people_in_open_pairs(
    store: SqlStore, pair: tuple[int, int], blocked: list[int]
) -> None:
    ids = await people(store, 4)
    await store.publish_round([new(ids[0], ids[1])], status=PROPOSED, at=T0)
    before = await stored(store)
    with pytest.raises(PairConflict) as refused:
        mentor, mentee = pair
        await store.add_pair(
            new(ids[mentor], ids[mentee]), status=PROPOSED, at=T0, mentor_capacity=5
        )
    assert refused.value.person_ids == tuple(sorted(ids[n] for n in blocked))
    assert await stored(store) == before


async def test_unknown_people_are_refused_before_anything_is_written(store: SqlStore) -> None:
    [a] = await people(store, 1)
    with pytest.raises(PersonNotFound, match="9999"):
        await store.publish_round([new(a, 9999)], status=PROPOSED, at=T0)
    with pytest.raises(PersonNotFound):
        await store.add_pair(new(9998, a), status=PROPOSED, at=T0, mentor_capacity=1)
    assert await stored(store) == (0, 0, 0)


async def test_concurrent_publishes_with_shared_people_let_exactly_one_win(
    store: SqlStore,
) -> None:
    # Each call opens its own session (and connection), so the two transactions really race.
    ids = await people(store, 9)
    for trial in range(3):
        a, b, c = ids[3 * trial : 3 * trial + 3]
        left, right = await asyncio.gather(
            store.publish_round([new(a, b)], status=PROPOSED, at=T0),
            store.publish_round([new(c, b)], status=PROPOSED, at=T0),
            return_exceptions=True,
        )
        outcomes = [left, right]
        [winner] = [o for o in outcomes if isinstance(o, list)]
        [loser] = [o for o in outcomes if isinstance(o, BaseException)]
        assert isinstance(loser, PairConflict) and loser.person_ids == (b,)
        [won] = winner
        assert [p.id for p in await store.pairs_of(b)] == [won.id]
        [lost_mentor] = {a, c} - {won.mentor_id}
        assert await store.pairs_of(lost_mentor) == []
        # The loser's round was rolled back with its pairs: rounds are numbered without gaps.
        assert won.round == trial + 1
        assert await stored(store) == (1, trial + 1, trial + 1)


async def test_concurrent_hand_pairs_respect_mentor_capacity(store: SqlStore) -> None:
    a, *mentees = await people(store, 5)
    results = await asyncio.gather(
        *(store.add_pair(new(a, m), status=PROPOSED, at=T0, mentor_capacity=2) for m in mentees),
        return_exceptions=True,
    )
    assert sum(isinstance(r, Pair) for r in results) == 2
    assert all(isinstance(r, Pair | PairConflict) for r in results)
    assert len(await store.open_pairs()) == 2


async def test_history_and_declined(store: SqlStore) -> None:
    a, b, c, d, e, f = await people(store, 6)
    ended, declined, proposed = await store.publish_round(
        [new(a, b), new(c, d), new(e, f)], status=PROPOSED, at=T0
    )
    await store.set_pair_status(ended.id, ENDED, at=T0 + DAY)
    await store.set_pair_status(declined.id, DECLINED, at=T0 + DAY)
    await store.publish_round([new(a, d)], status=ACTIVE, at=T0 + 2 * DAY)

    assert await store.pair_history() == frozenset({(a, b), (e, f), (a, d)})
    assert await store.declined_pairs() == frozenset({(c, d)})
    assert proposed.status is PROPOSED


async def test_status_transitions_stamp_ended_at_once(store: SqlStore) -> None:
    a, b, c, d = await people(store, 4)
    pair, other = await store.publish_round([new(a, b), new(c, d)], status=PROPOSED, at=T0)

    active = await store.set_pair_status(pair.id, ACTIVE, at=T0 + DAY)
    assert (active.status, active.ended_at, active.round) == (ACTIVE, None, 1)
    ended = await store.set_pair_status(pair.id, ENDED, at=T0 + 2 * DAY)
    assert (ended.status, ended.ended_at) == (ENDED, T0 + 2 * DAY)
    # Ending again (a late duplicate event) keeps the first end.
    assert (await store.set_pair_status(pair.id, ENDED, at=T0 + 3 * DAY)).ended_at == T0 + 2 * DAY
    declined = await store.set_pair_status(other.id, DECLINED, at=T0 + DAY)
    assert (declined.status, declined.ended_at) == (DECLINED, T0 + DAY)
    assert await store.get_pair(pair.id) == ended

    # Reopening would slip past the open-pair rules.
    with pytest.raises(ValueError, match="cannot become"):
        await store.set_pair_status(other.id, PROPOSED, at=T0 + 3 * DAY)
    with pytest.raises(PairNotFound):
        await store.set_pair_status(9999, ENDED, at=T0)
    assert await store.open_pairs() == []


async def test_orders_open_oldest_first_and_a_persons_pairs_newest_first(
    store: SqlStore,
) -> None:
    a, b, c, d, e = await people(store, 5)
    [first] = await store.publish_round([new(a, b)], status=PROPOSED, at=T0)
    [second] = await store.publish_round([new(c, d)], status=ACTIVE, at=T0 + DAY)
    await store.set_pair_status(first.id, DECLINED, at=T0 + 2 * DAY)
    [third] = await store.publish_round([new(e, b)], status=PROPOSED, at=T0 + 3 * DAY)

    assert [p.id for p in await store.open_pairs()] == [second.id, third.id]
    assert [p.id for p in await store.pairs_of(b)] == [third.id, first.id]
    assert [p.id for p in await store.pairs_of(a)] == [first.id]
    assert await store.pairs_of(9999) == []


async def test_conversation_ids_merge_per_platform(store: SqlStore) -> None:
    a, b = await people(store, 2)
    [pair] = await store.publish_round([new(a, b)], status=ACTIVE, at=T0)
    await store.set_pair_conversation(pair.id, "slack", "G1")
    await store.set_pair_conversation(pair.id, "console", "c-1")
    await store.set_pair_conversation(pair.id, "slack", "G2")
    again = await store.get_pair(pair.id)
    assert again is not None and again.conversation_ids == {"slack": "G2", "console": "c-1"}
    with pytest.raises(PairNotFound):
        await store.set_pair_conversation(9999, "slack", "G3")


async def test_get_pair_of_an_unknown_id_is_none(store: SqlStore) -> None:
    assert await store.get_pair(1) is None


async def test_reports_count_active_pairs(store: SqlStore) -> None:
    a, b, c, d = await people(store, 4)
    active, proposed = await store.publish_round([new(a, b), new(c, d)], status=ACTIVE, at=T0)
    await store.set_pair_status(proposed.id, PROPOSED, at=T0)
    assert (await store.figures()).active_pairs == 1
    await store.set_pair_status(active.id, ENDED, at=T0 + DAY)
    assert (await store.figures()).active_pairs == 0


async def test_a_round_bigger_than_a_drivers_parameter_limit_publishes(store: SqlStore) -> None:
    """20,000 people in one round: more ids than asyncpg allows in one statement (32,767
    parameters, each id checked twice), so the checks must go in chunks."""
    entries = [RosterEntry(i + 2, f"p{i}@x.com", "", 2 + 5 * (i % 2)) for i in range(20_000)]
    await store.import_roster(entries, deactivate_missing=False, dry_run=False, at=T0)
    people = await store.all_people()
    mentors, mentees = people[0::2], people[1::2]
    pairs = [NewPair(m.id, s.id, 1.0) for m, s in zip(mentors, mentees, strict=True)]
    stored = await store.publish_round(pairs, status=PairStatus.ACTIVE, at=T0)
    assert len(stored) == 10_000
    await store.set_first_in_line([p.id for p in people], True)
    assert all(p.first_in_line for p in await store.all_people())


async def test_ending_early_records_the_side_once_and_blocks_the_pair_for_good(
    store: SqlStore,
) -> None:
    a, b, c, d = await people(store, 4)
    one, two = await store.publish_round([new(a, b), new(c, d)], status=ACTIVE, at=T0)
    ended = await store.end_pair(one.id, side="mentor", cause="ended", hold=True, at=T0 + DAY)
    assert ended is not None and ended.status is ENDED and ended.ended_at == T0 + DAY
    # A second ending (a double tap, a racing process) changes nothing.
    again = await store.end_pair(one.id, side="mentee", cause="left", hold=False, at=T0 + 2 * DAY)
    assert again is None
    assert await store.end_pair(9999, side="mentor", cause="ended", hold=True, at=T0) is None
    await store.end_pair(two.id, side="mentee", cause="left", hold=False, at=T0 + DAY)
    endings = await store.pair_endings()
    assert [(e.pair_id, e.side, e.cause, e.held) for e in endings] == [
        (one.id, "mentor", "ended", True),
        (two.id, "mentee", "left", False),
    ]
    (waiting,) = await store.pair_endings(awaiting_review=True)
    assert (waiting.mentor_id, waiting.mentee_id, waiting.awaiting_review) == (a, b, True)
    # Ended early: declined for good, so the matcher never proposes them again.
    assert {(a, b), (c, d)} <= await store.declined_pairs()
    assert await store.release_hold(a, at=T0) == 0  # only the senior's hold is theirs
    assert await store.release_hold(b, at=T0 + 3 * DAY) == 1
    assert await store.release_hold(b, at=T0 + 4 * DAY) == 0
    assert await store.pair_endings(awaiting_review=True) == []
    (released, _) = await store.pair_endings()
    assert released.released_at == T0 + 3 * DAY and not released.awaiting_review


async def test_answering_a_proposal_records_each_side_and_activates_once(store: SqlStore) -> None:
    a, b, c = await people(store, 3)
    (pair,) = await store.publish_round([new(a, b)], status=PROPOSED, at=T0)
    both = {"needs_mentor": True, "needs_mentee": True}
    first = await store.answer_proposal(pair.id, b, accept=True, at=T0 + DAY, **both)
    assert (first.changed, first.activated, first.pair.status) == (True, False, PROPOSED)
    assert first.pair.mentee_accepted_at == T0 + DAY and first.pair.mentor_accepted_at is None
    again = await store.answer_proposal(pair.id, b, accept=True, at=T0 + 2 * DAY, **both)
    assert not again.changed and again.pair.mentee_accepted_at == T0 + DAY
    last = await store.answer_proposal(pair.id, a, accept=True, at=T0 + 2 * DAY, **both)
    assert (last.changed, last.activated, last.pair.status) == (True, True, ACTIVE)
    assert await store.get_pair(pair.id) == last.pair
    # Once active, neither a decline nor another Accept changes it.
    late = await store.answer_proposal(pair.id, a, accept=False, at=T0 + 3 * DAY, **both)
    assert (late.changed, late.pair.status) == (False, ACTIVE)
    with pytest.raises(ValueError):
        await store.answer_proposal(pair.id, c, accept=True, at=T0, **both)
    with pytest.raises(PairNotFound):
        await store.answer_proposal(99999, a, accept=True, at=T0, **both)


async def test_a_decline_is_final_and_one_side_can_be_enough(store: SqlStore) -> None:
    a, b, c, d = await people(store, 4)
    first, second = await store.publish_round([new(a, b), new(c, d)], status=PROPOSED, at=T0)
    both = {"needs_mentor": True, "needs_mentee": True}
    await store.answer_proposal(first.id, a, accept=True, at=T0, **both)
    no = await store.answer_proposal(first.id, b, accept=False, at=T0 + DAY, **both)
    assert (no.changed, no.pair.status, no.pair.ended_at) == (True, DECLINED, T0 + DAY)
    assert no.pair.accepted(a) and not no.pair.accepted(b)
    after = await store.answer_proposal(first.id, b, accept=True, at=T0 + DAY, **both)
    assert (after.changed, after.pair.status) == (False, DECLINED)
    assert await store.declined_pairs() == frozenset({(a, b)})
    # Only the senior asked: their Accept alone activates the pair.
    only = await store.answer_proposal(
        second.id, d, accept=True, needs_mentor=False, needs_mentee=True, at=T0
    )
    assert only.activated and only.pair.status is ACTIVE


async def test_two_accepts_racing_activate_the_pair_once(store: SqlStore) -> None:
    a, b = await people(store, 2)
    (pair,) = await store.publish_round([new(a, b)], status=PROPOSED, at=T0)
    answers = await asyncio.gather(
        *(
            store.answer_proposal(
                pair.id, who, accept=True, needs_mentor=True, needs_mentee=True, at=T0
            )
            for who in (a, b)
        )
    )
    assert sorted(answer.activated for answer in answers) == [False, True]
    stored_pair = await store.get_pair(pair.id)
    assert stored_pair is not None and stored_pair.status is ACTIVE
