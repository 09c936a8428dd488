"""The privacy rules and figures of `conversations.insights.summary`, without a database."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversations.insights.breakdowns import OTHER, Tally, k_anonymous
from conversations.insights.summary import (
    PairAtRisk,
    build_insights,
    pairs_at_risk,
    public_reason,
    retention,
    shareable_comments,
)
from conversations.insights.windows import PublishedPulse
from conversations.types import InsightsData, PairHealth, ParticipantFact, Participation, PromptFact

NOW = datetime(2027, 4, 1, 10, 0, tzinfo=UTC)
NOTHING_PUBLISHED = PublishedPulse(k=5)


def tally(label: str, *people: int) -> Tally:
    return Tally(label, frozenset(people))


def labels(breakdown: object) -> list[str]:
    return [g.label for g in breakdown.groups]  # type: ignore[attr-defined]


def test_groups_of_k_or_more_are_shown_largest_first() -> None:
    result = k_anonymous([tally("Sales", *range(5)), tally("Eng", *range(10, 17))], k=5)
    assert labels(result) == ["Eng", "Sales"]
    assert (result.merged, result.suppressed) == (0, False)


def test_small_groups_merge_into_other() -> None:
    result = k_anonymous(
        [tally("Eng", *range(6)), tally("Legal", 10, 11, 12), tally("Finance", 20, 21)], k=5
    )
    assert labels(result) == ["Eng", OTHER]
    assert result.groups[-1].size == 5 and result.merged == 2


def test_a_small_other_takes_in_the_smallest_group_rather_than_vanish() -> None:
    # Hiding "other" (3 people) would leave it derivable: 15 in all, minus 6 and 6 shown.
    result = k_anonymous(
        [
            tally("Eng", *range(6)),
            tally("Sales", *range(30, 36)),
            tally("Legal", 10, 11),
            tally("HR", 20),
        ],
        k=5,
    )
    assert labels(result) == ["Eng", OTHER]
    assert result.groups[-1].size == 9 and result.merged == 3 and not result.suppressed


def test_when_everything_together_is_under_k_nothing_is_shown() -> None:
    result = k_anonymous([tally("Eng", *range(3)), tally("Legal", 10)], k=5)
    assert labels(result) == [] and result.suppressed


def test_other_counts_a_person_in_two_small_groups_once() -> None:
    # Tracks overlap: one person answers for both. Three people, not four: nothing is shown.
    result = k_anonymous([tally("technology", 1, 2), tally("inclusion", 2, 3)], k=4)
    assert labels(result) == [] and result.suppressed


def test_answers_of_forgotten_people_only_are_not_left_out_to_be_derived() -> None:
    forgotten = Tally("inclusion", frozenset(), ratings=(1,))
    result = k_anonymous([Tally("technology", frozenset(range(6)), (4,) * 6), forgotten], k=5)
    # "other" would hold no one countable: it takes in technology, and nothing stands alone.
    assert labels(result) == [OTHER] and result.groups[0].ratings.count(1) == 1


def test_a_group_called_other_joins_the_merged_group() -> None:
    result = k_anonymous([tally("other", *range(6)), tally("Legal", 10, 11)], k=5)
    assert labels(result) == [OTHER] and result.groups[0].size == 8


def test_empty_groups_are_ignored() -> None:
    assert k_anonymous([tally("Eng", *range(5)), tally("Ghost")], k=5).suppressed is False


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=6),
        st.frozensets(st.integers(0, 40), max_size=12),
        max_size=8,
    ),
    st.integers(1, 8),
)
def test_no_shown_group_ever_has_fewer_than_k_people(
    groups: dict[str, frozenset[int]], k: int
) -> None:
    result = k_anonymous([Tally(label, people) for label, people in groups.items()], k)
    assert all(g.size >= k for g in result.groups)
    shown = {g.label for g in result.groups} - {OTHER}
    assert all(len(groups[label]) >= k for label in shown)
    # Nothing is left to derive as "everyone minus the groups shown": all or nothing is shown.
    everyone = frozenset().union(*groups.values())
    covered = frozenset().union(*(g.people for g in result.groups))
    assert covered == everyone or (result.groups == () and len(everyone) < k)


def _data(**fields: object) -> InsightsData:
    return InsightsData(**fields)  # type: ignore[arg-type]


def test_small_departments_never_appear_anywhere_in_the_insights() -> None:
    participants = [ParticipantFact(i, "mentor", "Engineering") for i in range(6)]
    participants += [ParticipantFact(i, "mentor", "Sales") for i in range(20, 27)]
    participants += [ParticipantFact(10, "mentee", "Legal"), ParticipantFact(11, "mentee", "HR")]
    pair = PairHealth(1, "Ann", "Bob", "active", 1, NOW, held=0, missed=2, unanswered=0)
    insights = build_insights(
        _data(participants=tuple(participants), pairs=(pair,)), NOTHING_PUBLISHED, k=5, now=NOW
    )
    # Legal + HR (2) would follow from 15 − 7 − 6; Engineering joins them instead.
    assert labels(insights.departments) == ["Sales", OTHER]
    assert insights.departments.groups[-1].size == 8
    assert "Legal" not in repr(insights) and "HR" not in repr(insights)


def test_export_reasons_name_no_one_and_only_departments_that_are_shown() -> None:
    shown = {"Engineering", "Sales"}
    assert (
        public_reason("teaches ai and excel, which Zoë wants to learn", shown)
        == "teaches ai and excel, which the mentee wants to learn"
    )
    assert public_reason("Engineering ↔ Legal", shown) == "Engineering ↔ another department"
    assert public_reason("legal ↔ sales", shown) == "another department ↔ sales"
    assert public_reason("level gap 4", shown) == "level gap 4"


def test_at_risk_lists_names_and_never_departments_ratings_or_comments() -> None:
    fields = {f.name for f in dataclasses.fields(PairAtRisk)}
    assert fields == {"pair_id", "mentor", "mentee", "cycle", "reason"}
    pair = PairHealth(1, "Ann", "Bob", "active", 1, NOW, held=1, missed=1, unanswered=1)
    (risk,) = pairs_at_risk([pair], NOW)
    assert (risk.mentor, risk.mentee) == ("Ann", "Bob")
    assert risk.reason == "couldn't meet for 1 session; 1 unanswered did-you-meet"
    # Not held because nobody answered is told apart from "couldn't meet"; no side is shown.
    lapsed = PairHealth(2, "Cy", "Di", "active", 1, NOW, 0, 3, 0, not_reported=2)
    (risk,) = pairs_at_risk([lapsed], NOW)
    assert risk.reason == "couldn't meet for 1 session; 2 sessions not reported"


def test_a_proposed_pair_is_at_risk_after_21_days_without_consent() -> None:
    fresh = PairHealth(1, "A", "B", "proposed", 1, NOW - timedelta(days=20), 0, 0, 0)
    stuck = PairHealth(2, "C", "D", "proposed", 1, NOW - timedelta(days=21), 0, 0, 0)
    on_track = PairHealth(3, "E", "F", "active", 1, NOW - timedelta(days=90), 3, 0, 0)
    assert [p.pair_id for p in pairs_at_risk([fresh, stuck, on_track], NOW)] == [2]


def test_no_rating_figure_is_built_from_anything_but_published_windows() -> None:
    # One pair: the senior (an admin, say) must not learn the junior's rating anywhere. The
    # raw facts carry no pulse answers at all; with nothing published there is no figure.
    fields = {f.name for f in dataclasses.fields(InsightsData)}
    assert not any("pulse" in name or "rating" in name for name in fields)
    pair = PairHealth(7, "Junior", "Senior", "active", 1, NOW, held=1, missed=1, unanswered=0)
    insights = build_insights(_data(pairs=(pair,)), NOTHING_PUBLISHED, k=5, now=NOW)
    assert insights.headline.average_rating is None and insights.headline.pulse_responses == 0
    assert insights.trend == () and insights.by_track == () and insights.by_side == ()
    assert "rating" not in repr(insights.at_risk)


def test_retention_counts_enrolled_mentors_and_returners() -> None:
    rows = [
        Participation(1, "mentor", 1, True),  # still enrolled
        Participation(2, "mentor", 1, False),  # left, came back in round 2
        Participation(2, "mentor", 2, False),
        Participation(3, "mentor", 1, False),  # left for good
        Participation(4, "mentee", 1, True),
        Participation(4, "mentee", 2, True),  # senior again
        Participation(5, "mentee", 1, True),
    ]
    kept = retention(rows)
    assert (kept.mentors, kept.mentors_retained) == (3, 2)
    assert (kept.seniors, kept.seniors_again) == (2, 1)


def test_comments_appear_only_once_k_were_shared_and_in_no_telling_order() -> None:
    assert shareable_comments(["b", "a", " "], 3) == ()
    assert shareable_comments(["c", "a", "b"], 3) == ("a", "b", "c")


def test_prompt_usage_and_headline() -> None:
    prompts = (
        PromptFact(1, "technology", "Show me", "catalogue", 3),
        PromptFact(2, "inclusion", "Outsider", "catalogue", 0),
        PromptFact(3, "technology", "Prep", "catalogue", 2, kind="prep"),
    )
    data = _data(
        prompts=prompts,
        participants=tuple(ParticipantFact(i, "mentor", "") for i in range(4)),
        matched_people=3,
        pair_statuses={"active": 2},
    )
    insights = build_insights(data, NOTHING_PUBLISHED, k=5, now=NOW)
    assert insights.prompts.by_track == {"inclusion": 0, "technology": 3, "technology (prep)": 2}
    assert insights.prompts.unused == 1 and insights.prompts.top[0].prompt_id == 1
    assert insights.headline.match_rate == pytest.approx(0.75)
