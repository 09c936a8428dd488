"""Programme insights for admins, with the privacy rules applied (issue 7).

Storage gathers raw facts (`InsightsData`); `build_insights` turns them into what the dashboard,
the export and the report show. Every privacy rule lives here, free of I/O, so it is tested on
its own:

- A figure broken down by a group (department, side) is shown only for groups of at least `k`
  distinct people; smaller groups are merged into "other", and while "other" is still under `k`
  the smallest shown group joins it, so that the total minus the groups shown never isolates a
  group of fewer than `k` people.
- Departments appear only in such breakdowns; lists of individual pairs or people carry names
  and never departments, ratings or comments.
- A pulse answer is never attributed: ratings reach admins only as figures of closed windows
  with `k` or more respondents, published once and never recomputed
  (`conversations.insights.windows`), because an admin may be the senior whose junior answered
  (docs/programme.md: the junior's feedback is never shown to the senior).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from conversations.insights.breakdowns import (
    NO_DEPARTMENT,
    Breakdown,
    Tally,
    k_anonymous,
)
from conversations.types import (
    FailedWork,
    InsightsData,
    PairHealth,
    ParticipantFact,
    Participation,
    PromptFact,
    SpokeOpenly,
    Unreachable,
)

if TYPE_CHECKING:
    from conversations.insights.windows import Figure, PublishedPulse


Period = Literal["week", "month"]
# Mentoring platforms commonly flag a pair stuck at a milestone after 21 days.
STUCK_AFTER = timedelta(days=21)


# --- what admins see -------------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    """The figures at the top of the dashboard."""

    participants: int
    by_role: Mapping[str, int]
    match_rate: float | None
    pairs: Mapping[str, int]
    sessions_due: int
    meetings_held: int
    meeting_rate: float | None
    pulse_responses: int  # answers behind `average_rating`: those of published windows
    average_rating: float | None  # over published windows; None before any has a value
    messages_sent: int
    at_risk: int


@dataclass(frozen=True)
class CycleRate:
    """Meeting rate of one round."""

    label: str
    due: int
    held: int
    missed: int
    unanswered: int

    @property
    def rate(self) -> float | None:
        """Held ÷ due, None before anything was due."""
        return self.held / self.due if self.due else None


@dataclass(frozen=True)
class TrendPoint:
    """The average rating of one published window; None when it had fewer than k respondents."""

    label: str
    average: float | None


@dataclass(frozen=True)
class PairAtRisk:
    """A pair that needs a nudge. Names only: no department, rating or comment."""

    pair_id: int
    mentor: str
    mentee: str
    cycle: int | None
    reason: str


@dataclass(frozen=True)
class Retention:
    """Junior mentors still in the programme; senior leaders who came back for another round."""

    mentors: int
    mentors_retained: int
    seniors: int
    seniors_again: int


@dataclass(frozen=True)
class PromptUsage:
    """How the catalogue is used."""

    by_track: Mapping[str, int]
    top: tuple[PromptFact, ...]
    unused: int
    total: int


@dataclass(frozen=True)
class Insights:
    """Everything the dashboard shows, privacy rules applied."""

    k: int
    headline: Headline
    departments: Breakdown
    cycles: tuple[CycleRate, ...]
    trend: tuple[TrendPoint, ...]  # one point per published window, oldest first
    by_track: tuple[Figure, ...]  # published windows added up by track
    by_side: tuple[Figure, ...]  # published per-side figures added up
    pulse: PublishedPulse
    at_risk: tuple[PairAtRisk, ...]
    retention: Retention
    prompts: PromptUsage
    queue: Mapping[str, int]
    retrying: int
    failed: tuple[FailedWork, ...]
    unreachable: tuple[Unreachable, ...]
    comments: tuple[str, ...]  # shown only when at least k were shared, in no telling order
    # "Could you speak openly?" over published closed rounds (conversations/insights/openness.py)
    spoke_openly: SpokeOpenly = field(default_factory=SpokeOpenly)


def build_insights(
    data: InsightsData,
    published: PublishedPulse,
    *,
    k: int,
    now: datetime,
    top_prompts: int = 10,
    spoke_openly: SpokeOpenly | None = None,
) -> Insights:
    """Turn raw facts and the published pulse windows into the dashboard's figures.

    Nothing here reads a pulse answer: every rating figure comes from `published`, and the
    "Could you speak openly?" figure from `spoke_openly` (published rounds, added up); a total
    of fewer than `k` people is never shown.
    """
    at_risk = pairs_at_risk(data.pairs, now)
    due = sum(c.due for c in data.cycles)
    held = sum(c.held for c in data.cycles)
    roles: dict[str, int] = {}
    for person in data.participants:
        roles[person.role or "unassigned"] = roles.get(person.role or "unassigned", 0) + 1
    headline = Headline(
        participants=len(data.participants),
        by_role=roles,
        match_rate=data.matched_people / len(data.participants) if data.participants else None,
        pairs=dict(data.pair_statuses),
        sessions_due=due,
        meetings_held=held,
        meeting_rate=held / due if due else None,
        pulse_responses=published.answers,
        average_rating=published.average,
        messages_sent=data.messages_sent,
        at_risk=len(at_risk),
    )
    return Insights(
        k=k,
        headline=headline,
        departments=department_breakdown(data.participants, k),
        cycles=tuple(
            CycleRate(_cycle_label(c.cycle), c.due, c.held, c.missed, c.unanswered)
            for c in sorted(data.cycles, key=lambda c: (c.cycle is None, c.cycle or 0))
        ),
        trend=tuple(TrendPoint(w.key.short, w.overall.average) for w in published.windows),
        by_track=published.by_track(),
        by_side=published.by_side(),
        pulse=published,
        at_risk=at_risk,
        retention=retention(data.participation),
        prompts=prompt_usage(data.prompts, top_prompts),
        queue=dict(data.queue),
        retrying=data.retrying,
        failed=data.failed,
        unreachable=tuple(sorted(data.unreachable, key=lambda u: u.name.casefold())),
        # Only comments of published windows (sorted, never in answer order), so that the
        # list cannot be differenced around one person's answer.
        comments=shareable_comments(published.comments, k),
        spoke_openly=spoke_openly
        if spoke_openly is not None and spoke_openly.respondents >= k
        else SpokeOpenly(hidden=spoke_openly.hidden if spoke_openly else 0),
    )


ANOTHER_DEPARTMENT = "another department"
_WANTS = re.compile(r"^(teaches .+), which .+ wants to learn$")
_CROSS = " ↔ "


def public_reason(reason: str, departments: Collection[str]) -> str:
    """A matching reason fit for an export: no first name, and a department named only when
    it is in `departments` (those the k-anonymous department breakdown shows).

    `conversations.matching.explain` writes "teaches X, which <first name> wants to learn" and
    "<department> ↔ <department>"; other reasons name no one and pass through unchanged.
    """
    if wants := _WANTS.match(reason):
        return f"{wants.group(1)}, which the mentee wants to learn"
    if _CROSS in reason:
        shown = {d.casefold() for d in departments}
        named = (
            d if d.strip().casefold() in shown else ANOTHER_DEPARTMENT for d in reason.split(_CROSS)
        )
        return _CROSS.join(named)
    return reason


def shareable_comments(comments: Sequence[str], k: int) -> tuple[str, ...]:
    """Consented comments, only once at least `k` exist, sorted rather than in answer order.

    With fewer, or in answer order, a comment could be lined up with who met when. Callers pass
    `PublishedPulse.comments` (closed, published windows only), never comments read live.
    """
    texts = [c.strip() for c in comments if c.strip()]
    return tuple(sorted(texts)) if len(texts) >= k else ()


def _cycle_label(cycle: int | None) -> str:
    return f"Round {cycle}" if cycle is not None else "Paired by hand"


def department_breakdown(participants: Iterable[ParticipantFact], k: int) -> Breakdown:
    """Participants per department (with the role split inside), k-anonymous."""
    people: dict[str, set[int]] = {}
    parts: dict[str, dict[str, int]] = {}
    for person in participants:
        label = person.department.strip() or NO_DEPARTMENT
        people.setdefault(label, set()).add(person.person_id)
        split = parts.setdefault(label, {})
        role = person.role or "unassigned"
        split[role] = split.get(role, 0) + 1
    return k_anonymous(
        (Tally(label, frozenset(ids), parts=parts[label]) for label, ids in people.items()), k
    )


def pairs_at_risk(pairs: Iterable[PairHealth], now: datetime) -> tuple[PairAtRisk, ...]:
    """Open pairs with a session not held (couldn't meet, or not reported), an unanswered
    did-you-meet, or stuck awaiting consent."""
    found = []
    for pair in pairs:
        reasons = []
        # What happened, never who: "couldn't meet" (a partner said so) apart from "not
        # reported" (nobody answered); no side that called a session off is ever kept.
        couldnt = pair.missed - pair.not_reported
        if couldnt:
            reasons.append(f"couldn't meet for {couldnt} session{'s' * (couldnt != 1)}")
        if pair.not_reported:
            n = pair.not_reported
            reasons.append(f"{n} session{'s' * (n != 1)} not reported")
        if pair.unanswered:
            n = pair.unanswered
            reasons.append(f"{n} unanswered did-you-meet{'s' * (n != 1)}")
        if pair.status == "proposed" and now - pair.created_at >= STUCK_AFTER:
            reasons.append(f"waiting for consent for {(now - pair.created_at).days} days")
        if reasons:
            found.append(
                PairAtRisk(pair.pair_id, pair.mentor, pair.mentee, pair.cycle, "; ".join(reasons))
            )
    found.sort(key=lambda p: (-_severity(p.reason), p.mentor.casefold(), p.pair_id))
    return tuple(found)


def _severity(reason: str) -> int:
    return reason.count(";") + (2 if "couldn't meet" in reason or "not reported" in reason else 0)


def retention(participation: Iterable[Participation]) -> Retention:
    """Mentors still enrolled or back in a later round; seniors back in a later round."""
    cycles: dict[tuple[int, str], list[int]] = {}
    enrolled: dict[int, bool] = {}
    for row in participation:
        cycles.setdefault((row.person_id, row.side), []).append(row.cycle)
        enrolled[row.person_id] = row.enrolled_now
    mentors = [(pid, c) for (pid, side), c in cycles.items() if side == "mentor"]
    seniors = [(pid, c) for (pid, side), c in cycles.items() if side == "mentee"]

    def again(person_id: int, side_cycles: list[int]) -> bool:
        first = min(side_cycles)
        mine = [c for (pid, _), cs in cycles.items() if pid == person_id for c in cs]
        return any(c > first for c in mine)

    return Retention(
        mentors=len(mentors),
        mentors_retained=sum(1 for pid, c in mentors if enrolled[pid] or again(pid, c)),
        seniors=len(seniors),
        seniors_again=sum(1 for pid, c in seniors if again(pid, c)),
    )


def prompt_usage(prompts: Sequence[PromptFact], top: int) -> PromptUsage:
    """Deliveries per track, the most used prompts and how many were never used."""
    by_track: dict[str, int] = {}
    for prompt in prompts:
        track = prompt.track if prompt.kind == "topic" else f"{prompt.track} ({prompt.kind})"
        by_track[track] = by_track.get(track, 0) + prompt.deliveries
    used = sorted((p for p in prompts if p.deliveries), key=lambda p: (-p.deliveries, p.prompt_id))
    return PromptUsage(
        by_track=dict(sorted(by_track.items())),
        top=tuple(used[:top]),
        unused=sum(1 for p in prompts if not p.deliveries),
        total=len(prompts),
    )
