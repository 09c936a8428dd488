"""The window rules of `conversations.insights.windows`, without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from conversations.insights.breakdowns import OTHER
from conversations.insights.windows import (
    MIXED_TRACKS,
    MONTH,
    SESSION,
    PublishedPulse,
    WindowKey,
    closed,
    late_answers,
    published_comments,
    window_figures,
    window_of,
    windows_to_publish,
)
from conversations.types import PublishRules, PulseFact, RoundSession

NOW = datetime(2027, 4, 1, 10, 0, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")
DUE = date(2027, 3, 8)


def rules(now: datetime = NOW, k: int = 5) -> PublishRules:
    return PublishRules(k=k, tz=LONDON, now=now, grace=timedelta(days=14))


def pulse(
    who: int | None,
    rating: int,
    *,
    side: str = "mentor",
    track: str | None = "technology",
    cycle: int | None = 1,
    number: int = 1,
    at: datetime = NOW - timedelta(days=30),
    changed: datetime | None = None,
    comment: str | None = None,
    comment_at: datetime | None = None,
) -> PulseFact:
    return PulseFact(
        who, side, rating, True, at, track, number, cycle, changed, comment, comment_at
    )


def slot(pair: int, status: str = "scheduled", due: date = DUE, **kw: object) -> RoundSession:
    fields: dict[str, object] = {
        "pair_id": pair,
        "cycle": 1,
        "pair_status": "active",
        "number": 1,
        "status": status,
        "due_date": due,
    }
    fields.update(kw)
    return RoundSession(**fields)  # type: ignore[arg-type]


ROUND1_S1 = WindowKey(SESSION, "1:1")


def test_a_session_window_closes_when_every_pair_of_the_round_is_past_it() -> None:
    late_due = NOW.date() - timedelta(days=13)  # due 13 days ago: the grace of 14 runs on
    waiting = [slot(1), slot(2, due=late_due)]
    assert not closed(ROUND1_S1, waiting, rules())
    assert closed(ROUND1_S1, [slot(1), slot(2, due=late_due - timedelta(days=1))], rules())
    # Reported missed: no pulse follows, so the pair is past the session at once.
    assert closed(ROUND1_S1, [slot(1), slot(2, "missed", due=late_due)], rules())
    # Reported met is not enough: the partner's pulse may still come.
    assert not closed(ROUND1_S1, [slot(1), slot(2, "met", due=late_due)], rules())
    # An ended pair, a proposed pair and a pair without that session hold nothing open.
    assert closed(ROUND1_S1, [slot(1), slot(2, due=late_due, pair_status="ended")], rules())
    assert closed(ROUND1_S1, [slot(1), slot(3, pair_status="proposed", number=None)], rules())
    assert closed(ROUND1_S1, [slot(1), slot(4, number=2, due=late_due)], rules())
    # Another round's pairs do not matter.
    assert closed(ROUND1_S1, [slot(1), slot(5, due=late_due, cycle=2)], rules())


def test_a_month_window_closes_when_the_month_has_ended_in_the_programme_zone() -> None:
    march = WindowKey(MONTH, "2027-03")
    london_midnight = datetime(2027, 4, 1, 0, 0, tzinfo=LONDON)  # 23:00 UTC on 31 March
    assert not closed(march, [], rules(london_midnight - timedelta(minutes=1)))
    assert closed(march, [], rules(london_midnight))
    assert closed(WindowKey(MONTH, "2026-12"), [], rules(datetime(2027, 1, 1, tzinfo=UTC)))


def test_round_answers_go_to_session_windows_and_others_to_months() -> None:
    assert window_of(pulse(1, 4, number=3), LONDON) == WindowKey(SESSION, "1:3")
    by_hand = pulse(1, 4, cycle=None, at=datetime(2027, 2, 28, 23, 30, tzinfo=UTC))
    assert window_of(by_hand, LONDON) == WindowKey(MONTH, "2027-02")
    assert WindowKey(SESSION, "1:10").order > WindowKey(SESSION, "1:2").order
    assert WindowKey(SESSION, "2:1").label == "Round 2 · session 1"
    assert WindowKey(MONTH, "2027-03").short == "Mar 27"


def test_a_window_under_k_stores_no_value_at_all() -> None:
    window = window_figures(ROUND1_S1, [pulse(i, 1) for i in range(4)], 5, NOW)
    assert not window.shown and window.sides == ()
    assert (window.overall.respondents, window.overall.answers, window.overall.total) == (
        None,
        None,
        None,
    )
    # Forgotten respondents count as nobody.
    forgotten = [pulse(None, 3) for _ in range(9)] + [pulse(1, 3)]
    assert not window_figures(ROUND1_S1, forgotten, 5, NOW).shown


def test_a_small_side_is_not_shown_nor_left_to_derive_from_the_total() -> None:
    answers = [pulse(i, 4) for i in range(6)] + [pulse(10, 1, side="mentee")]
    window = window_figures(ROUND1_S1, answers, 5, NOW)
    assert window.overall.average == pytest.approx(25 / 7)
    assert window.sides == ()  # overall − junior mentors would be the senior's one answer
    both = [pulse(i, 4) for i in range(5)] + [pulse(i, 2, side="mentee") for i in range(10, 15)]
    sides = window_figures(ROUND1_S1, both, 5, NOW).sides
    assert [(f.label, f.average) for f in sides] == [
        ("junior mentors", 4.0),
        ("senior leaders", 2.0),
    ]


def test_a_window_is_labelled_with_its_track_only_when_all_answers_share_it() -> None:
    same = window_figures(ROUND1_S1, [pulse(i, 4) for i in range(5)], 5, NOW)
    assert same.track == "technology"
    mixed = [pulse(i, 4) for i in range(4)] + [pulse(9, 4, track="inclusion")]
    assert window_figures(ROUND1_S1, mixed, 5, NOW).track == MIXED_TRACKS


def test_only_closed_unpublished_windows_with_answers_are_published() -> None:
    answers = [pulse(i, 4) for i in range(5)] + [pulse(i, 3, number=2) for i in range(5)]
    sessions = [slot(1), slot(1, number=2, due=NOW.date())]
    fresh = windows_to_publish(answers, sessions, [], rules())
    assert [w.key for w in fresh] == [ROUND1_S1]  # session 2 is still within its grace
    assert windows_to_publish(answers, sessions, [ROUND1_S1], rules()) == []


def test_answers_given_or_changed_after_publication_are_late() -> None:
    published = {ROUND1_S1: NOW - timedelta(days=1)}
    on_time = pulse(1, 4, at=NOW - timedelta(days=2))
    new = pulse(2, 4, at=NOW)
    changed = pulse(3, 2, at=NOW - timedelta(days=2), changed=NOW)
    open_window = pulse(4, 4, number=2, at=NOW)
    assert late_answers([on_time, new, changed, open_window], published, LONDON) == 2


def test_roll_ups_add_up_published_windows_only() -> None:
    first = window_figures(ROUND1_S1, [pulse(i, 4) for i in range(5)], 5, NOW)
    second = window_figures(
        WindowKey(SESSION, "1:2"),
        [pulse(i, 2, track="inclusion", number=2) for i in range(6)],
        5,
        NOW,
    )
    hidden = window_figures(WindowKey(SESSION, "1:3"), [pulse(1, 1, number=3)], 5, NOW)
    published = PublishedPulse(5, (first, second, hidden), late=1)
    assert published.average == pytest.approx((20 + 12) / 11) and published.answers == 11
    assert published.hidden == 1
    assert [(f.label, f.answers) for f in published.by_track()] == [
        ("inclusion", 6),
        ("technology", 5),
    ]
    assert all(f.label != OTHER for f in published.by_side())


# --- shared comments follow the published windows -------------------------------------------


def test_a_comment_waits_for_its_window_and_shows_only_if_the_window_reached_k() -> None:
    # Round 1's session 1 (due 8 March) has five respondents; session 2 only two.
    first = [pulse(i, 4, comment=f"c{i}") for i in range(5)]
    second = [pulse(10 + i, 4, number=2, comment=f"small{i}") for i in range(2)]
    pulses = first + second
    rounds = [slot(1, number=1), slot(1, number=2, due=date(2027, 3, 20))]
    open_rules = rules(datetime(2027, 3, 21, 12, tzinfo=UTC))  # within the 14 days' grace
    assert windows_to_publish(pulses, rounds, (), open_rules) == []
    assert published_comments(pulses, (), LONDON) == ()

    late_march = datetime(2027, 4, 5, 12, tzinfo=UTC)  # both sessions past their grace
    windows = windows_to_publish(pulses, rounds, (), rules(late_march))
    assert [(w.key.period, w.shown) for w in windows] == [("1:1", True), ("1:2", False)]
    # Session 2's comments never appear: its window has fewer than k respondents.
    assert published_comments(pulses, windows, LONDON) == ("c0", "c1", "c2", "c3", "c4")


def test_one_more_answer_with_a_comment_does_not_change_the_published_list() -> None:
    # The attack: read the list, a known person answers with a shared comment, read again.
    published_at = datetime(2027, 3, 25, 9, tzinfo=UTC)
    pulses = [pulse(i, 4, comment=f"c{i}") for i in range(5)]
    windows = windows_to_publish(pulses, [slot(1)], (), rules(published_at))
    before = published_comments(pulses, windows, LONDON)
    after_answer = published_at + timedelta(days=1)
    late = pulse(9, 1, at=after_answer, comment="mine", comment_at=after_answer)
    assert published_comments([*pulses, late], windows, LONDON) == before
    # ...nor does a shared comment added to an answer that was in time, nor an old comment
    # shared only now: when the comment was written or shared decides, not the answer.
    added = replace(pulses[0], comment="added later", comment_at=after_answer)
    assert published_comments([added, *pulses[1:]], windows, LONDON) == ("c1", "c2", "c3", "c4")
    # A rating changed after publication leaves the comment where it was (and counts as late).
    retapped = replace(pulses[0], rating=1, changed_at=after_answer)
    assert published_comments([retapped, *pulses[1:]], windows, LONDON) == before
    at = {w.key: w.published_at for w in windows}
    assert late_answers([retapped, *pulses[1:]], at, LONDON) == 1
    # A late comment is not a late answer: only ratings are counted.
    assert late_answers([added, *pulses[1:]], at, LONDON) == 0


def test_comments_are_sorted_never_in_answer_order_and_month_windows_count_too() -> None:
    start = datetime(2027, 2, 1, 9, tzinfo=UTC)
    texts = ["zebra", "apple", "mango", "  ", "kiwi", "banana"]
    by_hand = [
        pulse(i, 4, cycle=None, at=start + timedelta(days=i), comment=text)
        for i, text in enumerate(texts)
    ]
    windows = windows_to_publish(by_hand, [], (), rules())
    assert [(w.key.kind, w.key.period, w.shown) for w in windows] == [(MONTH, "2027-02", True)]
    assert published_comments(by_hand, windows, LONDON) == (
        "apple",
        "banana",
        "kiwi",
        "mango",
        "zebra",
    )
