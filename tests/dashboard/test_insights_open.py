"""The closing question "Could you speak openly?" published per closed window, once, k-anonymously
(pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from conversations.insights.openness import (
    OpenAnswer,
    RoundState,
    added_up,
    next_closing,
    to_publish,
)
from conversations.types import PublishRules, SpokeOpenly

ENDED = datetime(2027, 7, 13, 9, tzinfo=UTC)
GRACE = timedelta(days=14)


def rules(now: datetime, k: int = 3) -> PublishRules:
    return PublishRules(k=k, tz=ZoneInfo("Europe/London"), now=now, grace=GRACE)


def answers(*given: str, cycle: int | None = 1, at: datetime = ENDED) -> list[OpenAnswer]:
    return [OpenAnswer(i + 1, cycle, a, at) for i, a in enumerate(given)]


def test_a_round_is_published_only_once_every_pair_ended_and_the_grace_passed() -> None:
    given = answers("yes", "mostly", "no", "yes")
    running = [RoundState(1, True, None)]
    ended = [RoundState(1, False, ENDED)]
    assert to_publish(given, running, (), rules(ENDED + GRACE * 2)) == []
    assert to_publish(given, ended, (), rules(ENDED + GRACE - timedelta(hours=1))) == []
    (window,) = to_publish(given, ended, (), rules(ENDED + GRACE))
    assert (window.kind, window.period, window.respondents) == ("round", "1", 4)
    assert window.counts == {"yes": 2, "mostly": 1, "no": 1}
    # Published once: never again, so never updated.
    assert to_publish(given, ended, (("round", "1"),), rules(ENDED + GRACE)) == []


def test_fewer_than_k_answers_publish_no_value_for_good() -> None:
    (window,) = to_publish(
        answers("yes", "no"), [RoundState(1, False, ENDED)], (), rules(ENDED + GRACE)
    )
    assert window.respondents is None and window.counts is None
    spoke = added_up([window], answers("yes", "no"), rules(ENDED + GRACE))
    assert spoke == SpokeOpenly(hidden=1) and spoke.share is None
    assert "fewer than 3 people answered" in spoke.text(3)


def test_answers_after_publication_are_late_and_leave_the_figure_alone() -> None:
    now = ENDED + GRACE
    given = answers("yes", "mostly", "no")
    (window,) = to_publish(given, [RoundState(1, False, ENDED)], (), rules(now))
    later = [*given, OpenAnswer(9, 1, "no", now + timedelta(days=1))]
    spoke = added_up([window], later, rules(now + timedelta(days=2)))
    assert (spoke.respondents, spoke.yes, spoke.mostly, spoke.no, spoke.late) == (3, 1, 1, 1, 1)
    assert spoke.text(3) == "Could speak openly: 67% (1 yes, 1 mostly, 1 not really; 3 answers)"


def test_pairs_made_by_hand_are_published_by_month_and_a_person_counts_once() -> None:
    march = datetime(2027, 3, 10, 12, tzinfo=UTC)
    given = [*answers("yes", "no", "mostly", cycle=None, at=march)]
    given.append(OpenAnswer(1, None, "mostly", march))  # changed: the newest answer counts
    assert to_publish(given, [], (), rules(datetime(2027, 3, 31, 12, tzinfo=UTC))) == []
    (window,) = to_publish(given, [], (), rules(datetime(2027, 4, 1, 9, tzinfo=UTC)))
    assert (window.kind, window.period, window.respondents) == ("month", "2027-03", 3)
    assert window.counts == {"yes": 0, "mostly": 2, "no": 1}


def test_an_unknown_answer_is_never_counted() -> None:
    given = [*answers("yes", "mostly", "no"), OpenAnswer(7, 1, "maybe", ENDED)]
    (window,) = to_publish(given, [RoundState(1, False, ENDED)], (), rules(ENDED + GRACE))
    assert window.respondents == 3


STARTED = datetime(2027, 1, 11, 9, tzinfo=UTC)
SPAN = timedelta(days=200)


def test_a_round_closes_at_its_planned_end_even_with_a_pair_still_open() -> None:
    # One proposal nobody answered (or one pair kept going by pauses) keeps the round running.
    given = answers("yes", "mostly", "no")
    open_round = [RoundState(1, True, ENDED, STARTED)]
    planned_end = STARTED + SPAN + GRACE
    spanned = replace(rules(planned_end - timedelta(hours=1)), round_span=SPAN)
    assert to_publish(given, open_round, (), spanned) == []
    assert next_closing(given, open_round, (), spanned) == planned_end.date()
    (window,) = to_publish(given, open_round, (), replace(spanned, now=planned_end))
    assert (window.period, window.respondents) == ("1", 3)
    # An answer from the late pair comes after publication: counted as late, figure unchanged.
    later = [*given, OpenAnswer(7, 1, "no", planned_end + timedelta(days=3))]
    spoke = added_up([window], later, replace(spanned, now=planned_end + timedelta(days=4)))
    assert (spoke.respondents, spoke.no, spoke.late) == (3, 1, 1)


def test_the_report_line_says_why_there_is_no_figure() -> None:
    waiting = SpokeOpenly(closes=date(2027, 8, 2))
    assert waiting.text(5) == (
        "Could speak openly: round not closed yet (closes Mon 2 Aug 2027; shown then if 5 or "
        "more people answered)"
    )
    assert SpokeOpenly(hidden=1).text(5).startswith("Could speak openly: fewer than 5 people")
    assert "no answers yet" in SpokeOpenly().text(5)
    # Once every window with answers is published, nothing is waiting to close.
    given = answers("yes", "no")
    ended = [RoundState(1, False, ENDED, STARTED)]
    assert next_closing(given, ended, (("round", "1"),), rules(ENDED + GRACE)) is None
