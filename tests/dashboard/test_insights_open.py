"""The closing question "Could you speak openly?" published per closed window, once, k-anonymously
(pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from conversations.insights_open import (
    OpenAnswer,
    RoundState,
    SpokeOpenly,
    added_up,
    to_publish,
)
from conversations.insights_windows import PublishRules

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
    assert "not enough answers yet" in spoke.text(3)


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
