"""Pulse figures published over closed windows, so that no two readings can be differenced.

Two exports taken either side of one pulse answer used to give that answer away (issue 15).
Every figure derived from pulse answers (averages, answer counts, per-side figures) is now
published per *window*, once, and never recomputed:

- A **session window** holds the answers about session N of the pairs of one matching round.
  It closes once every pair of that round is past session N: the pair is no longer active, the
  session was reported missed (no pulse follows a missed session), the pair has no session N,
  or the session's due date plus `grace` (twice `remind_after_days`: the did-you-meet reminder,
  then time for both partners' pulses) has gone by. A proposed pair does not hold a window open.
- A **month window** holds the answers of pairs outside any round (paired by hand, or whose pair
  is gone). It closes when the calendar month has ended in the programme's time zone.

Rounds use session windows rather than months because two different partitions of the same
answers (session 2 of round 1 and March, say) could differ by exactly one answer; every answer
belongs to exactly one window here, and every roll-up shown is a sum of published windows.

A closed window is published the first time anyone reads the figures after it closed. It shows
a value only with at least `k` distinct respondents, otherwise "not enough answers" for good
(its value is never stored). An answer that arrives, or is changed by a second tap, after its
window was published is left out of every figure and counted as *late*.

The comments their authors agreed to share follow the same windows: a comment is shown once
its answer's window is published with at least `k` respondents, and only if it was written and
shared before that; a comment from a window under `k`, or given after publication, is never
shown (nor counted). Shown comments are sorted, never in answer order, so a new window's
comments join the list without saying which came when.

Inside a window the only breakdown is by side, under `k_anonymous`: a side under `k` merges
into "other" and, while "other" is still under `k`, the smallest shown group joins it, so the
overall figure minus the groups shown never isolates fewer than `k` people. Prompt tracks are
not a second breakdown inside a window (two crossing breakdowns can isolate one answer): a
window is labelled with its track when all its answers share one, and the by-track view adds up
whole windows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

from conversations.insights.breakdowns import NO_TRACK, OTHER, SIDES, rating_breakdown
from conversations.types import (
    PublishRules,  # where bot/ and storage/ look
    PulseFact,
    RoundSession,
)

SESSION = "session"
MONTH = "month"
OVERALL = "overall"
SIDE = "side"
ALL = "all"
MIXED_TRACKS = "mixed tracks"
# Sessions reported missed get no pulse: nothing more can come for them.
NO_PULSE_STATUSES = ("missed",)


@dataclass(frozen=True)
class WindowKey:
    """One window: ('session', 'ROUND:SESSION') or ('month', 'YYYY-MM')."""

    kind: str
    period: str

    @property
    def order(self) -> tuple[int, int, int]:
        """Sorts rounds and sessions numerically, months by date, months first."""
        first, second = self.period.replace("-", ":").split(":")
        return (0 if self.kind == MONTH else 1, int(first), int(second))

    @property
    def label(self) -> str:
        """'Round 1 · session 2' or 'Mar 2027 (pairs made by hand)'."""
        first, second = self.order[1:]
        if self.kind == SESSION:
            return f"Round {first} · session {second}"
        return f"{date(first, second, 1):%b %Y} (pairs made by hand)"

    @property
    def short(self) -> str:
        """A label that fits under a bar: 'R1 S2' or 'Mar 27'."""
        first, second = self.order[1:]
        return f"R{first} S{second}" if self.kind == SESSION else f"{date(first, second, 1):%b %y}"


def window_of(pulse: PulseFact, tz: tzinfo) -> WindowKey:
    """The one window an answer belongs to."""
    if pulse.cycle is not None:
        return WindowKey(SESSION, f"{pulse.cycle}:{pulse.session_number}")
    return WindowKey(MONTH, f"{pulse.answered_at.astimezone(tz):%Y-%m}")


def _month_ended(period: str, rules: PublishRules) -> bool:
    year, month = (int(part) for part in period.split("-"))
    following = date(year + month // 12, month % 12 + 1, 1)
    return rules.now >= datetime.combine(following, time(), rules.tz)


def _past(slot: RoundSession | None, pair_status: str, rules: PublishRules) -> bool:
    """Whether a pair can give no more on-time answers about this session."""
    if pair_status != "active" or slot is None or slot.number is None:
        return True
    if slot.status in NO_PULSE_STATUSES:
        return True
    return slot.due_date is not None and slot.due_date + rules.grace <= rules.today


def closed(key: WindowKey, rounds: Sequence[RoundSession], rules: PublishRules) -> bool:
    """Whether a window has closed (see the module docstring for the rules)."""
    if key.kind == MONTH:
        return _month_ended(key.period, rules)
    cycle, number = key.order[1:]
    pairs: dict[int, str] = {}
    slots: dict[int, RoundSession] = {}
    for slot in rounds:
        if slot.cycle != cycle:
            continue
        pairs[slot.pair_id] = slot.pair_status
        if slot.number == number:
            slots[slot.pair_id] = slot
    return all(_past(slots.get(pair), status, rules) for pair, status in pairs.items())


@dataclass(frozen=True)
class Figure:
    """A published figure; respondents, answers and total are None when it has no value."""

    label: str
    respondents: int | None
    answers: int | None
    total: int | None  # the sum of the ratings: exact, so roll-ups stay exact

    @property
    def average(self) -> float | None:
        """The mean rating, None when not shown."""
        return self.total / self.answers if self.total is not None and self.answers else None


@dataclass(frozen=True)
class PublishedWindow:
    """One window's figures as published: the overall figure and, maybe, one per side."""

    key: WindowKey
    track: str
    overall: Figure
    sides: tuple[Figure, ...]
    published_at: datetime

    @property
    def shown(self) -> bool:
        """True when the window reached k respondents."""
        return self.overall.average is not None


def window_figures(
    key: WindowKey, pulses: Sequence[PulseFact], k: int, now: datetime
) -> PublishedWindow:
    """The figures of one closed window, the privacy rules applied."""
    rated = [p for p in pulses if p.rating is not None]
    tracks = {p.track or NO_TRACK for p in rated}
    track = tracks.pop() if len(tracks) == 1 else MIXED_TRACKS
    who = {p.respondent for p in rated if p.respondent is not None}
    if len(who) < k:
        return PublishedWindow(key, track, Figure(ALL, None, None, None), (), now)
    overall = Figure(ALL, len(who), len(rated), sum(p.rating or 0 for p in rated))
    groups = rating_breakdown(rated, k, lambda p: SIDES.get(p.side, p.side)).groups
    useful = len(groups) > 1 or (len(groups) == 1 and groups[0].label != OTHER)
    sides = tuple(Figure(g.label, g.size, len(g.ratings), sum(g.ratings)) for g in groups if useful)
    return PublishedWindow(key, track, overall, sides, now)


def windows_to_publish(
    pulses: Iterable[PulseFact],
    rounds: Sequence[RoundSession],
    published: Iterable[WindowKey],
    rules: PublishRules,
) -> list[PublishedWindow]:
    """Closed windows with rated answers that were not published yet, figures computed."""
    done = set(published)
    grouped: dict[WindowKey, list[PulseFact]] = {}
    for pulse in pulses:
        if pulse.rating is not None:
            grouped.setdefault(window_of(pulse, rules.tz), []).append(pulse)
    return [
        window_figures(key, answers, rules.k, rules.now)
        for key, answers in sorted(grouped.items(), key=lambda item: item[0].order)
        if key not in done and closed(key, rounds, rules)
    ]


def late_answers(
    pulses: Iterable[PulseFact], published: Mapping[WindowKey, datetime], tz: tzinfo
) -> int:
    """Answers given, or changed, after their window was published: in no figure."""
    late = 0
    for pulse in pulses:
        if pulse.rating is None:
            continue
        at = published.get(window_of(pulse, tz))
        if at is None:
            continue
        if pulse.answered_at > at or (pulse.changed_at is not None and pulse.changed_at > at):
            late += 1
    return late


def published_comments(
    pulses: Iterable[PulseFact], windows: Iterable[PublishedWindow], tz: tzinfo
) -> tuple[str, ...]:
    """The shared comments of published windows with a value, given before publication, sorted.

    Read live, a list of comments grows by one right after a known person answers; tied to the
    published windows it only changes when a window of at least `k` people is published.
    """
    shown = {w.key: w.published_at for w in windows if w.shown}
    texts = []
    for pulse in pulses:
        text = (pulse.comment or "").strip()
        at = shown.get(window_of(pulse, tz))
        if not text or at is None:
            continue
        if max(pulse.answered_at, pulse.comment_at or pulse.answered_at) > at:
            continue  # written or shared after its window was published: never shown
        texts.append(text)
    return tuple(sorted(texts))


def _roll_up(figures: Iterable[Figure]) -> tuple[Figure, ...]:
    """Published figures added up by label (sums of published figures reveal nothing new)."""
    sums: dict[str, tuple[int, int, int]] = {}
    for figure in figures:
        if figure.answers is None or figure.total is None:
            continue
        people, answers, total = sums.get(figure.label, (0, 0, 0))
        sums[figure.label] = (
            people + (figure.respondents or 0),
            answers + figure.answers,
            total + figure.total,
        )
    rolled = [Figure(label, *numbers) for label, numbers in sums.items()]
    rolled.sort(key=lambda f: (f.label == OTHER, -(f.answers or 0), f.label))
    return tuple(rolled)


@dataclass(frozen=True)
class PublishedPulse:
    """Every published window, oldest first, how many answers came too late for theirs, and
    the shared comments of the windows with a value (`published_comments`)."""

    k: int
    windows: tuple[PublishedWindow, ...] = ()
    late: int = 0
    comments: tuple[str, ...] = ()

    @property
    def shown(self) -> tuple[PublishedWindow, ...]:
        """The windows that have a value."""
        return tuple(w for w in self.windows if w.shown)

    @property
    def hidden(self) -> int:
        """Closed windows with fewer than k respondents: "not enough answers", for good."""
        return len(self.windows) - len(self.shown)

    @property
    def overall(self) -> Figure:
        """All shown windows together (respondents counted once per window)."""
        rolled = _roll_up(w.overall for w in self.shown)
        return rolled[0] if rolled else Figure(ALL, None, None, None)

    @property
    def average(self) -> float | None:
        """The average rating over every shown window, None before any."""
        return self.overall.average

    @property
    def answers(self) -> int:
        """The answers behind `average`."""
        return self.overall.answers or 0

    def by_side(self) -> tuple[Figure, ...]:
        """Per-side figures added up over the windows that show sides."""
        return _roll_up(f for w in self.shown for f in w.sides)

    def by_track(self) -> tuple[Figure, ...]:
        """Whole windows added up by their prompt track ('mixed tracks' when several)."""
        return _roll_up(
            Figure(w.track, w.overall.respondents, w.overall.answers, w.overall.total)
            for w in self.shown
        )


def order_windows(windows: Iterable[PublishedWindow]) -> tuple[PublishedWindow, ...]:
    """Oldest publication first; windows published together by round, session, month."""
    return tuple(sorted(windows, key=lambda w: (w.published_at, w.key.order)))
