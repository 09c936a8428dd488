"""The privacy rules and figures of `conversations.insights`, without a database."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversations.insights import (
    OTHER,
    InsightsData,
    PairAtRisk,
    PairHealth,
    ParticipantFact,
    Participation,
    PromptFact,
    PulseFact,
    Tally,
    build_insights,
    k_anonymous,
    pairs_at_risk,
    rating_trend,
    retention,
    shareable_comments,
)

NOW = datetime(2027, 4, 1, 10, 0, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")


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


def test_a_small_other_is_suppressed() -> None:
    result = k_anonymous([tally("Eng", *range(6)), tally("Legal", 10, 11), tally("HR", 20)], k=5)
    assert labels(result) == ["Eng"]
    assert result.suppressed and result.merged == 2


def test_other_counts_a_person_in_two_small_groups_once() -> None:
    # Tracks overlap: one person answers for both. Three people, not four, so "other" is hidden.
    result = k_anonymous([tally("technology", 1, 2), tally("inclusion", 2, 3)], k=4)
    assert labels(result) == [] and result.suppressed


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


def _data(**fields: object) -> InsightsData:
    return InsightsData(**fields)  # type: ignore[arg-type]


def test_small_departments_never_appear_anywhere_in_the_insights() -> None:
    participants = [ParticipantFact(i, "mentor", "Engineering") for i in range(6)]
    participants += [ParticipantFact(10, "mentee", "Legal"), ParticipantFact(11, "mentee", "HR")]
    pair = PairHealth(1, "Ann", "Bob", "active", 1, NOW, held=0, missed=2, unanswered=0)
    insights = build_insights(
        _data(participants=tuple(participants), pairs=(pair,)), k=5, now=NOW, tz=UTC_ZONE
    )
    assert labels(insights.departments) == ["Engineering"]
    assert "Legal" not in repr(insights) and "HR" not in repr(insights)


def test_at_risk_lists_names_and_never_departments_ratings_or_comments() -> None:
    fields = {f.name for f in dataclasses.fields(PairAtRisk)}
    assert fields == {"pair_id", "mentor", "mentee", "cycle", "reason"}
    pair = PairHealth(1, "Ann", "Bob", "active", 1, NOW, held=1, missed=1, unanswered=1)
    (risk,) = pairs_at_risk([pair], NOW)
    assert (risk.mentor, risk.mentee) == ("Ann", "Bob")
    assert risk.reason == "1 missed session; 1 unanswered did-you-meet"


def test_a_proposed_pair_is_at_risk_after_21_days_without_consent() -> None:
    fresh = PairHealth(1, "A", "B", "proposed", 1, NOW - timedelta(days=20), 0, 0, 0)
    stuck = PairHealth(2, "C", "D", "proposed", 1, NOW - timedelta(days=21), 0, 0, 0)
    on_track = PairHealth(3, "E", "F", "active", 1, NOW - timedelta(days=90), 3, 0, 0)
    assert [p.pair_id for p in pairs_at_risk([fresh, stuck, on_track], NOW)] == [2]


def _pulse(
    who: int | None, rating: int, *, side: str = "mentor", track: str = "technology", days: int = 0
) -> PulseFact:
    return PulseFact(who, side, rating, True, NOW - timedelta(days=days), track, 1)


def test_the_juniors_pulse_is_never_attributed() -> None:
    # One pair: the senior (an admin, say) must not learn the junior's rating of 1 anywhere.
    pulses = (_pulse(1, 1, side="mentor"), _pulse(2, 5, side="mentee"))
    pair = PairHealth(7, "Junior", "Senior", "active", 1, NOW, held=1, missed=1, unanswered=0)
    insights = build_insights(_data(pulses=pulses, pairs=(pair,)), k=5, now=NOW, tz=UTC_ZONE)
    assert insights.headline.average_rating is None
    assert all(p.average is None for p in insights.trend)
    assert insights.by_track.groups == () and insights.by_side.groups == ()
    assert "rating" not in repr(insights.at_risk) and "1.0" not in repr(insights.at_risk)
    assert insights.headline.pulse_responses == 2  # how many answered is fine to show


def test_ratings_show_as_averages_once_k_people_answered() -> None:
    pulses = tuple(_pulse(i, 4 if i % 2 else 2) for i in range(1, 7))
    insights = build_insights(_data(pulses=pulses), k=5, now=NOW, tz=UTC_ZONE)
    assert insights.headline.average_rating == pytest.approx(3.0)
    assert labels(insights.by_track) == ["technology"]


def test_forgotten_respondents_count_as_nobody() -> None:
    pulses = tuple(_pulse(None, 3) for _ in range(10))
    insights = build_insights(_data(pulses=pulses), k=5, now=NOW, tz=UTC_ZONE)
    assert insights.headline.average_rating is None and insights.by_track.groups == ()


def test_trend_is_weekly_for_a_short_history_and_blanks_small_weeks() -> None:
    pulses = [_pulse(i, 4, days=14) for i in range(5)] + [_pulse(9, 1, days=0)]
    points = rating_trend(pulses, 5, UTC_ZONE, "week")
    assert [p.average for p in points] == [4.0, None]
    assert points[0].start.weekday() == 0  # weeks start on Monday
    long = [_pulse(i, 3, days=200) for i in range(5)] + [_pulse(i, 3) for i in range(5)]
    assert build_insights(_data(pulses=tuple(long)), k=5, now=NOW, tz=UTC_ZONE).period == "month"


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
    insights = build_insights(data, k=5, now=NOW, tz=UTC_ZONE)
    assert insights.prompts.by_track == {"inclusion": 0, "technology": 3, "technology (prep)": 2}
    assert insights.prompts.unused == 1 and insights.prompts.top[0].prompt_id == 1
    assert insights.headline.match_rate == pytest.approx(0.75)
