"""Published pulse figures: closed windows written once to `published_aggregates` (issue 15).

The one mechanism behind every rating figure (dashboard, chart, `report`, the chat report,
`pulse_aggregate.csv`), and behind the shared comments shown with them: read the answers and
the rounds' sessions, let
`conversations.insights.windows` decide which windows have closed and compute their figures,
store each new window once, then read every stored window back. Later reads use the stored
rows and never recompute them.

Two processes may publish the same window at once. Each window is written in one transaction
whose first statement inserts its 'overall' row with ON CONFLICT DO NOTHING: the loser inserts
nothing (PostgreSQL makes it wait for the winner's commit; SQLite's write lock serialises
them) and both then read the winner's rows.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import case, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.insights.openness import (
    ANSWERS,
    OPEN_QUESTION,
    OpenAnswer,
    OpenWindow,
    RoundState,
    added_up,
    next_closing,
    to_publish,
)
from conversations.insights.windows import (
    ALL,
    OVERALL,
    SIDE,
    Figure,
    PublishedPulse,
    PublishedWindow,
    WindowKey,
    late_answers,
    order_windows,
    published_comments,
    windows_to_publish,
)
from conversations.types import PublishRules, PulseFact, RoundSession, SpokeOpenly
from storage.base import Repository, insert_ignoring_duplicates
from storage.models import (
    CycleRow,
    PairRow,
    PromptDeliveryRow,
    PromptRow,
    PublishedAggregateRow,
    PulseResponseRow,
    SessionRow,
    SurveyAnswerRow,
)

KEY = ["kind", "period", "breakdown", "label"]
# "Could you speak openly?" windows share the table: kind 'open', period 'round:N' or
# 'month:YYYY-MM', an 'overall' row (respondents, NULL below k) and, with a value, one
# 'answer' row per answer (yes, mostly, no) with its count in `answers`.
OPEN_KIND = "open"
ANSWER = "answer"
PULSE_KINDS = ("session", "month")


async def pulse_facts(session: AsyncSession) -> tuple[PulseFact, ...]:
    """Every pulse answer with its round, track and shared comment; an answer without a pair
    still counts.

    The track is that of the topic prompt the pair was given for that session (the first, if
    several); the junior's private prep prompt does not set the session's track.
    """
    track = (
        select(PromptRow.track)
        .join(PromptDeliveryRow, PromptDeliveryRow.prompt_id == PromptRow.id)
        .where(
            PromptDeliveryRow.pair_id == PulseResponseRow.pair_id,
            PromptDeliveryRow.session == PulseResponseRow.session_number,
            PromptDeliveryRow.kind == "topic",
        )
        .order_by(PromptDeliveryRow.delivered_at, PromptDeliveryRow.id)
        .limit(1)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(
            PulseResponseRow.person_id,
            PulseResponseRow.side,
            PulseResponseRow.rating,
            PulseResponseRow.met,
            PulseResponseRow.created_at,
            track,
            PulseResponseRow.session_number,
            CycleRow.number,
            PulseResponseRow.changed_at,
            # The comment text only when its author agreed to share it: nothing else reads it.
            case((PulseResponseRow.comment_consent.is_(True), PulseResponseRow.comment)),
            PulseResponseRow.comment_at,
        )
        .outerjoin(PairRow, PairRow.id == PulseResponseRow.pair_id)
        .outerjoin(CycleRow, CycleRow.id == PairRow.cycle_id)
        .order_by(PulseResponseRow.id)
    )
    return tuple(PulseFact(*row) for row in rows)


async def round_sessions(session: AsyncSession) -> tuple[RoundSession, ...]:
    """Every pair of a matching round with each of its sessions (one row without sessions)."""
    rows = await session.execute(
        select(
            PairRow.id,
            CycleRow.number,
            PairRow.status,
            SessionRow.number,
            SessionRow.status,
            SessionRow.due_date,
        )
        .join(CycleRow, CycleRow.id == PairRow.cycle_id)
        .outerjoin(SessionRow, SessionRow.pair_id == PairRow.id)
    )
    return tuple(RoundSession(*row) for row in rows)


async def open_answers(session: AsyncSession) -> tuple[OpenAnswer, ...]:
    """Every answer to "Could you speak openly?", with the round of its pair."""
    rows = await session.execute(
        select(
            SurveyAnswerRow.person_id,
            CycleRow.number,
            SurveyAnswerRow.answer,
            SurveyAnswerRow.created_at,
        )
        .outerjoin(PairRow, PairRow.id == SurveyAnswerRow.pair_id)
        .outerjoin(CycleRow, CycleRow.id == PairRow.cycle_id)
        .where(SurveyAnswerRow.question == OPEN_QUESTION)
        .order_by(SurveyAnswerRow.id)
    )
    return tuple(OpenAnswer(*row) for row in rows)


async def round_states(session: AsyncSession) -> tuple[RoundState, ...]:
    """Each matching round: whether a pair of it is still proposed or active, when the last of
    its pairs ended, and when the round started."""
    running = func.sum(case((PairRow.status.in_(("proposed", "active")), 1), else_=0))
    rows = await session.execute(
        select(CycleRow.number, running, func.max(PairRow.ended_at), func.min(CycleRow.started_at))
        .join(PairRow, PairRow.cycle_id == CycleRow.id)
        .group_by(CycleRow.number)
    )
    return tuple(
        RoundState(cycle, bool(busy), ended, started) for cycle, busy, ended, started in rows
    )


def _row(window: PublishedWindow, breakdown: str, figure: Figure) -> dict[str, Any]:
    return {
        "kind": window.key.kind,
        "period": window.key.period,
        "breakdown": breakdown,
        "label": figure.label,
        "track": window.track,
        "respondents": figure.respondents,
        "answers": figure.answers,
        "rating_total": figure.total,
        "published_at": window.published_at,
    }


def _windows(rows: list[PublishedAggregateRow]) -> tuple[PublishedWindow, ...]:
    """Stored rows back into windows (the 'overall' row carries the window's own fields)."""
    overall: dict[WindowKey, PublishedAggregateRow] = {}
    sides: dict[WindowKey, list[Figure]] = {}
    for row in rows:
        key = WindowKey(row.kind, row.period)
        if row.breakdown == OVERALL:
            overall[key] = row
        else:
            figure = Figure(row.label, row.respondents, row.answers, row.rating_total)
            sides.setdefault(key, []).append(figure)
    return order_windows(
        PublishedWindow(
            key,
            row.track,
            Figure(ALL, row.respondents, row.answers, row.rating_total),
            tuple(sorted(sides.get(key, ()), key=_side_order)),
            row.published_at,
        )
        for key, row in overall.items()
    )


def _side_order(figure: Figure) -> tuple[bool, int, str]:
    return (figure.label == "other", -(figure.respondents or 0), figure.label)


class PublishedAggregates(Repository):
    """`published_aggregates`: publish what has closed, then read every published window."""

    async def publish(self, rules: PublishRules) -> PublishedPulse:
        """Publish every window that closed since the last call; return all published ones."""
        async with self._sessions() as session:
            pulses = await pulse_facts(session)
            rounds = await round_sessions(session)
            windows = await self._published(session)
        fresh = windows_to_publish(pulses, rounds, (w.key for w in windows), rules)
        for window in fresh:
            await self._write(window)
        if fresh:
            async with self._sessions() as session:
                windows = await self._published(session)
        at = {w.key: w.published_at for w in windows}
        return PublishedPulse(
            rules.k,
            windows,
            late_answers(pulses, at, rules.tz),
            published_comments(pulses, windows, rules.tz),
        )

    @staticmethod
    async def _published(session: AsyncSession) -> tuple[PublishedWindow, ...]:
        rows = list(
            await session.scalars(
                select(PublishedAggregateRow).where(PublishedAggregateRow.kind.in_(PULSE_KINDS))
            )
        )
        return _windows(rows)

    async def publish_open(self, rules: PublishRules) -> SpokeOpenly:
        """Publish every "Could you speak openly?" window that closed since the last call
        (conversations/insights/openness.py); return all published ones added up."""
        async with self._sessions() as session:
            answers = await open_answers(session)
            rounds = await round_states(session)
            published = await self._published_open(session)
        fresh = to_publish(answers, rounds, ((w.kind, w.period) for w in published), rules)
        for window in fresh:
            await self._write_open(window)
        if fresh:
            async with self._sessions() as session:
                published = await self._published_open(session)
        keys = [(w.kind, w.period) for w in published]
        closes = next_closing(answers, rounds, keys, rules)
        return replace(added_up(published, answers, rules), closes=closes)

    @staticmethod
    async def _published_open(session: AsyncSession) -> tuple[OpenWindow, ...]:
        rows = list(
            await session.scalars(
                select(PublishedAggregateRow).where(PublishedAggregateRow.kind == OPEN_KIND)
            )
        )
        counts: dict[str, dict[str, int]] = {}
        for row in rows:
            if row.breakdown == ANSWER:
                counts.setdefault(row.period, {})[row.label] = row.answers or 0
        windows = []
        for row in rows:
            if row.breakdown != OVERALL:
                continue
            kind, _, period = row.period.partition(":")
            shown = row.respondents is not None
            windows.append(
                OpenWindow(
                    kind,
                    period,
                    row.respondents,
                    counts.get(row.period, {}) if shown else None,
                    row.published_at,
                )
            )
        return tuple(windows)

    async def _write_open(self, window: OpenWindow) -> bool:
        """Store one window unless another process did first; True when this call wrote it."""
        period = f"{window.kind}:{window.period}"

        def row(breakdown: str, label: str, answers: int | None) -> dict[str, Any]:
            return {
                "kind": OPEN_KIND,
                "period": period,
                "breakdown": breakdown,
                "label": label,
                "track": "",
                "respondents": window.respondents,
                "answers": answers,
                "rating_total": None,
                "published_at": window.published_at,
            }

        async with self._sessions.begin() as session:
            statement = (
                insert_ignoring_duplicates(session, PublishedAggregateRow, KEY)
                .values(**row(OVERALL, ALL, window.respondents))
                .returning(PublishedAggregateRow.id)
            )
            if (await session.execute(statement)).first() is None:
                return False
            if window.counts is not None:
                await session.execute(
                    insert(PublishedAggregateRow),
                    [row(ANSWER, a, window.counts.get(a, 0)) for a in ANSWERS],
                )
        return True

    async def _write(self, window: PublishedWindow) -> bool:
        """Store one window unless another process did first; True when this call wrote it."""
        async with self._sessions.begin() as session:
            statement = (
                insert_ignoring_duplicates(session, PublishedAggregateRow, KEY)
                .values(**_row(window, OVERALL, window.overall))
                .returning(PublishedAggregateRow.id)
            )
            if (await session.execute(statement)).first() is None:
                return False
            if window.sides:
                await session.execute(
                    insert(PublishedAggregateRow), [_row(window, SIDE, f) for f in window.sides]
                )
        return True
