"""The closing question "Could you speak openly in your sessions?" as an outcome,
published the way the pulse is (conversations/insights/windows.py): per closed window, once,
never updated, and only with at least `k` people answering.

- A **round window** holds the answers of the pairs of one matching round. It closes once no
  pair of that round is proposed or active any more and the last of them ended at least
  `grace` ago (time for a closing survey that went out late to be answered), or at the latest
  `grace` after the round's planned end (`round_days` from its start), so one proposal
  nobody answers or one pair kept going by pauses cannot hold back everyone's figure; an
  answer given after that counts as late.
- A **month window** holds the answers of pairs outside any round (paired by hand, or whose
  pair is gone), and closes when the calendar month has ended in the programme's time zone.

A window published with fewer than `k` respondents shows "not enough answers" for good (its
counts are never stored). An answer given after its window was published is left out and
counted as late; one changed after publication does not change the published figure. Only
the three counts of a window are published, never who gave which.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from conversations.insights.windows import _month_ended
from conversations.types import PublishRules, SpokeOpenly

OPEN_QUESTION = "open"  # the survey answer question of "Could you speak openly?"
ANSWERS = ("yes", "mostly", "no")
ROUND = "round"
MONTH = "month"


@dataclass(frozen=True)
class OpenAnswer:
    """One person's answer to the closing question, with the round of their pair."""

    person_id: int | None
    cycle: int | None
    answer: str
    answered_at: datetime


@dataclass(frozen=True)
class RoundState:
    """A matching round as the closing question sees it: still running, or when it ended."""

    cycle: int
    running: bool  # some pair of the round is still proposed or active
    last_ended: datetime | None  # the latest `ended_at` of its pairs
    started_at: datetime | None = None  # when the round was matched


@dataclass(frozen=True)
class OpenWindow:
    """One window as published: `counts` is None when it had fewer than k respondents."""

    kind: str  # ROUND | MONTH
    period: str  # the round number, or 'YYYY-MM'
    respondents: int | None
    counts: Mapping[str, int] | None
    published_at: datetime


def window_of(answer: OpenAnswer, rules: PublishRules) -> tuple[str, str]:
    """The one window an answer belongs to."""
    if answer.cycle is not None:
        return ROUND, str(answer.cycle)
    return MONTH, f"{answer.answered_at.astimezone(rules.tz):%Y-%m}"


def _closed(kind: str, period: str, rounds: Mapping[int, RoundState], rules: PublishRules) -> bool:
    if kind == MONTH:
        return _month_ended(period, rules)
    state = rounds.get(int(period))
    if state is None:
        return False
    if state.started_at is not None and rules.round_span is not None:
        if state.started_at + rules.round_span + rules.grace <= rules.now:
            return True  # its planned end has passed: one late pair does not hold it open
    if state.running:
        return False
    return state.last_ended is None or state.last_ended + rules.grace <= rules.now


def to_publish(
    answers: Iterable[OpenAnswer],
    rounds: Iterable[RoundState],
    published: Iterable[tuple[str, str]],
    rules: PublishRules,
) -> list[OpenWindow]:
    """The windows that have closed and were not published yet, with their figures."""
    done = set(published)
    by_round = {r.cycle: r for r in rounds}
    windows: dict[tuple[str, str], dict[int | None, str]] = {}
    anonymous: dict[tuple[str, str], list[str]] = {}
    for answer in answers:
        if answer.answer not in ANSWERS:
            continue
        key = window_of(answer, rules)
        if answer.person_id is None:
            anonymous.setdefault(key, []).append(answer.answer)
        else:
            windows.setdefault(key, {})[answer.person_id] = answer.answer
    fresh = []
    for key in sorted(set(windows) | set(anonymous)):
        if key in done or not _closed(*key, by_round, rules):
            continue
        given = [*windows.get(key, {}).values(), *anonymous.get(key, [])]
        shown = len(given) >= rules.k
        fresh.append(
            OpenWindow(
                *key,
                respondents=len(given) if shown else None,
                counts={a: given.count(a) for a in ANSWERS} if shown else None,
                published_at=rules.now,
            )
        )
    return fresh


def added_up(
    windows: Iterable[OpenWindow], answers: Iterable[OpenAnswer], rules: PublishRules
) -> SpokeOpenly:
    """Every published window added up, and the answers that came after their window."""
    at = {}
    respondents = yes = mostly = no = hidden = 0
    for window in windows:
        at[(window.kind, window.period)] = window.published_at
        if window.counts is None or window.respondents is None:
            hidden += 1
            continue
        respondents += window.respondents
        yes += window.counts.get("yes", 0)
        mostly += window.counts.get("mostly", 0)
        no += window.counts.get("no", 0)
    late = sum(
        1
        for answer in answers
        if (published := at.get(window_of(answer, rules))) is not None
        and answer.answered_at > published
    )
    return SpokeOpenly(respondents, yes, mostly, no, hidden, late)


def next_closing(
    answers: Iterable[OpenAnswer],
    rounds: Iterable[RoundState],
    published: Iterable[tuple[str, str]],
    rules: PublishRules,
) -> date | None:
    """The programme's date on which the next window that already holds answers closes (for
    the report: "round not closed yet (closes …)"); None when none is waiting."""
    done = set(published)
    by_round = {r.cycle: r for r in rounds}
    dates = []
    for key in {window_of(a, rules) for a in answers if a.answer in ANSWERS}:
        if key in done or _closed(*key, by_round, rules):
            continue
        kind, period = key
        if kind == MONTH:
            year, month = (int(part) for part in period.split("-"))
            dates.append(date(year + month // 12, month % 12 + 1, 1))
            continue
        state = by_round.get(int(period))
        if state is None:
            continue
        moments = []
        if state.started_at is not None and rules.round_span is not None:
            moments.append(state.started_at + rules.round_span + rules.grace)
        if not state.running and state.last_ended is not None:
            moments.append(state.last_ended + rules.grace)
        if moments:
            dates.append(min(moments).astimezone(rules.tz).date())
    return min(dates) if dates else None
