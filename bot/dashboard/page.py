"""What the dashboard page shows: charts and tables made from `conversations.insights.summary`.

Only figures that passed the privacy rules reach here; this module lays them out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markupsafe import Markup

from bot.dashboard.charts import Bar, Segment, bar_chart, line_chart
from conversations.insights.breakdowns import Breakdown
from conversations.insights.summary import Insights
from conversations.insights.windows import Figure

ROLE_SEGMENTS = (
    ("mentor", "junior mentors", "role-mentor"),
    ("mentee", "senior leaders", "role-mentee"),
    ("either", "either side", "role-either"),
    ("unassigned", "no role yet", "role-none"),
)
PAIR_STATUSES = ("proposed", "active", "ended", "declined")


def percent(value: float | None) -> str:
    """`0.786` → `79%`; an em dash when there is nothing to divide yet."""
    return "—" if value is None else f"{value:.0%}"


def rating(value: float | None) -> str:
    """`3.64` → `3.6 / 5`; an em dash when hidden or empty."""
    return "—" if value is None else f"{value:.1f} / 5"


def _departments(breakdown: Breakdown) -> Markup:
    bars = []
    for group in breakdown.groups:
        segments = tuple(
            Segment(name, group.parts.get(role, 0), css)
            for role, name, css in ROLE_SEGMENTS
            if group.parts.get(role, 0)
        )
        bars.append(Bar(group.label, segments, f"{group.size} people"))
    legend = [Segment(name, 0, css) for _, name, css in ROLE_SEGMENTS[:2]]
    return bar_chart("departments", "Participants by department and role", bars, legend)


def _ratings(chart: str, title: str, figures: Sequence[Figure]) -> Markup:
    """Published figures added up over windows: answers, not people (a person answers in
    several windows)."""
    bars = [
        Bar(
            f.label,
            (Segment("average rating", f.average or 0.0, "rating"),),
            f"{rating(f.average)} · {f.answers} answers",
            total=5.0,
        )
        for f in figures
    ]
    return bar_chart(chart, title, bars)


def _spoke_openly(insights: Insights) -> tuple[str, str, str]:
    """The closing question's card: a share of closed rounds' answers, or why there is none."""
    spoke = insights.spoke_openly
    if spoke.share is None:
        return ("Spoke openly", "—", f"not enough answers yet (needs {insights.k} in a round)")
    return (
        "Spoke openly",
        percent(spoke.share),
        f"yes or mostly: {spoke.yes + spoke.mostly} of {spoke.respondents} closing answers",
    )


def page_context(insights: Insights) -> dict[str, Any]:
    """The template's variables: headline cards, charts (SVG markup) and tables."""
    head = insights.headline
    pairs = [
        Bar(status, (Segment(status, head.pairs.get(status, 0), f"pair-{status}"),), str(n))
        for status in PAIR_STATUSES
        if (n := head.pairs.get(status, 0))
    ]
    cycles = [
        Bar(
            c.label,
            (Segment("held", c.held, "held"),),
            f"{c.held} of {c.due} · {percent(c.rate)}",
            total=float(c.due),
        )
        for c in insights.cycles
    ]
    prompts = [
        Bar(track, (Segment(track, n, "prompt"),), str(n))
        for track, n in insights.prompts.by_track.items()
    ]
    trend_points = [(p.label, p.average) for p in insights.trend]
    cards = [
        ("Participants", str(head.participants), "enrolled now, paused included"),
        ("Matched", percent(head.match_rate), "of participants are in a pair"),
        ("Active pairs", str(head.pairs.get("active", 0)), "meeting now"),
        (
            "Meeting rate",
            percent(head.meeting_rate),
            f"{head.meetings_held} of {head.sessions_due} sessions held",
        ),
        (
            "Pulse",
            rating(head.average_rating),
            f"{head.pulse_responses} answers in closed windows",
        ),
        ("At risk", str(head.at_risk), "pairs that need a nudge"),
        _spoke_openly(insights),
    ]
    return {
        "insights": insights,
        "k": insights.k,
        "cards": cards,
        "departments_chart": _departments(insights.departments)
        if insights.departments.groups
        else None,
        "departments": insights.departments,
        "pairs_chart": bar_chart("pairs", "Pairs by status", pairs) if pairs else None,
        "cycles_chart": bar_chart(
            "meeting-rate", "Sessions held of sessions due, per round", cycles
        )
        if cycles
        else None,
        "trend_chart": line_chart(
            "pulse-trend", "Average pulse rating per closed window", trend_points
        )
        if trend_points
        else None,
        "trend_hidden": insights.pulse.hidden,
        "late_answers": insights.pulse.late,
        "windows": insights.pulse.windows,
        "track_chart": _ratings(
            "pulse-by-track", "Average pulse rating by prompt track", insights.by_track
        )
        if insights.by_track
        else None,
        "side_chart": _ratings("pulse-by-side", "Average pulse rating by side", insights.by_side)
        if insights.by_side
        else None,
        "prompts_chart": bar_chart("prompt-usage", "Prompts given, by track", prompts)
        if prompts
        else None,
        "percent": percent,
        "rating": rating,
    }
