"""The queries behind the admin dashboard and `mentorbot export` (issue 7).

These return raw facts (`conversations.types.figures`) and plain rows; the privacy rules are
applied by `conversations.insights.summary`, never here, so they are tested without a database.
Every
query is portable SQL: date bucketing happens in Python because SQLite and PostgreSQL disagree
on it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from conversations.ports import DELIVER
from conversations.types import (
    CycleSessions,
    FailedWork,
    InsightsData,
    PairHealth,
    ParticipantFact,
    Participation,
    PromptFact,
)
from storage.models import (
    CycleRow,
    DueWorkRow,
    PairRow,
    PersonRow,
    PromptDeliveryRow,
    PromptRow,
    SessionRow,
)
from storage.sql_export import ExportRows
from storage.sql_queue import DONE, FAILED, PENDING, STATUSES
from storage.sql_unreachable import PARTICIPATING, display_name, unreachable_people

OPEN_PAIRS = ("proposed", "active")
STARTED_PAIRS = ("active", "ended")


def _sum(condition: Any) -> Any:
    """COUNT of rows matching `condition`, 0 (not NULL) for an empty outer join."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _session_conditions(today: date) -> tuple[Any, Any, Any, Any]:
    """(due, held, missed, unanswered) conditions on a sessions row as of `today`."""
    reported = or_(SessionRow.met.is_not(None), SessionRow.status == "missed")
    due = or_(SessionRow.due_date <= today, reported)
    held = SessionRow.met.is_(True)
    missed = or_(SessionRow.met.is_(False), SessionRow.status == "missed")
    unanswered = and_(SessionRow.due_date <= today, ~reported)
    return due, held, missed, unanswered


class InsightQueries(ExportRows):
    """Read-only queries for the dashboard, and the export's rows (`storage.sql_export`)."""

    async def gather(self, *, today: date, answer_by: date, failed_limit: int = 20) -> InsightsData:
        """Every raw fact of the dashboard as of `today`.

        `answer_by`: a did-you-meet due on or before this date and still unanswered puts the
        pair at risk (the question goes out on the due date; people get a few days to answer).
        """
        async with self._sessions() as session:
            return InsightsData(
                participants=await self._participants(session),
                matched_people=await self._matched(session),
                pair_statuses=await self._counts(session, PairRow.status),
                cycles=await self._cycles(session, today),
                pairs=await self._pair_health(session, answer_by),
                participation=await self._participation(session),
                prompts=await self._prompts(session),
                queue={
                    **dict.fromkeys(STATUSES, 0),
                    **await self._counts(session, DueWorkRow.status),
                },
                retrying=await self._scalar(
                    session,
                    select(func.count())
                    .select_from(DueWorkRow)
                    .where(DueWorkRow.status == PENDING, DueWorkRow.last_error.is_not(None)),
                ),
                failed=await self._failed(session, failed_limit),
                unreachable=await unreachable_people(session, self.delivering),
                messages_sent=await self._scalar(
                    session,
                    select(func.count())
                    .select_from(DueWorkRow)
                    .where(DueWorkRow.kind == DELIVER, DueWorkRow.status == DONE),
                ),
            )

    @staticmethod
    async def _scalar(session: AsyncSession, statement: Any) -> int:
        return int(await session.scalar(statement) or 0)

    @staticmethod
    async def _counts(session: AsyncSession, column: Any) -> dict[str, int]:
        rows = await session.execute(select(column, func.count()).group_by(column))
        return {str(key): int(n) for key, n in rows}

    async def _queue(self, session: AsyncSession) -> dict[str, int]:
        return {**dict.fromkeys(STATUSES, 0), **await self._counts(session, DueWorkRow.status)}

    @staticmethod
    async def _participants(session: AsyncSession) -> tuple[ParticipantFact, ...]:
        rows = await session.execute(
            select(PersonRow.id, PersonRow.role, PersonRow.department).where(
                PersonRow.status.in_(PARTICIPATING)
            )
        )
        return tuple(ParticipantFact(pid, role, dept or "") for pid, role, dept in rows)

    async def _matched(self, session: AsyncSession) -> int:
        in_open_pair = (
            select(PairRow.id)
            .where(
                PairRow.status.in_(OPEN_PAIRS),
                or_(PairRow.mentor_id == PersonRow.id, PairRow.mentee_id == PersonRow.id),
            )
            .exists()
        )
        statement = (
            select(func.count())
            .select_from(PersonRow)
            .where(PersonRow.status.in_(PARTICIPATING), in_open_pair)
        )
        return await self._scalar(session, statement)

    @staticmethod
    async def _cycles(session: AsyncSession, today: date) -> tuple[CycleSessions, ...]:
        due, held, missed, unanswered = _session_conditions(today)
        # An ended pair's unreported sessions will never happen: count only what was reported.
        counted = or_(
            PairRow.status == "active",
            and_(PairRow.status == "ended", SessionRow.met.is_not(None)),
            and_(PairRow.status == "ended", SessionRow.status == "missed"),
        )
        statement = (
            select(CycleRow.number, _sum(due), _sum(held), _sum(missed), _sum(unanswered))
            .select_from(SessionRow)
            .join(PairRow, PairRow.id == SessionRow.pair_id)
            .outerjoin(CycleRow, CycleRow.id == PairRow.cycle_id)
            .where(counted)
            .group_by(CycleRow.number)
        )
        rows = await session.execute(statement)
        return tuple(CycleSessions(c, int(d), int(h), int(m), int(u)) for c, d, h, m, u in rows)

    @staticmethod
    async def _pair_health(session: AsyncSession, answer_by: date) -> tuple[PairHealth, ...]:
        _, held, missed, unanswered = _session_conditions(answer_by)
        mentor, mentee = aliased(PersonRow), aliased(PersonRow)
        statement = (
            select(
                PairRow.id,
                mentor.name,
                mentor.email,
                mentee.name,
                mentee.email,
                PairRow.status,
                CycleRow.number,
                PairRow.created_at,
                _sum(held),
                _sum(missed),
                _sum(unanswered),
                _sum(and_(missed, SessionRow.reported_by.is_(None))),
            )
            .join(mentor, mentor.id == PairRow.mentor_id)
            .join(mentee, mentee.id == PairRow.mentee_id)
            .outerjoin(CycleRow, CycleRow.id == PairRow.cycle_id)
            .outerjoin(SessionRow, SessionRow.pair_id == PairRow.id)
            .where(PairRow.status.in_(OPEN_PAIRS))
            .group_by(
                PairRow.id,
                mentor.name,
                mentor.email,
                mentee.name,
                mentee.email,
                PairRow.status,
                CycleRow.number,
                PairRow.created_at,
            )
            .order_by(PairRow.id)
        )
        facts = []
        for row in await session.execute(statement):
            pid, mentor_name, mentor_email, mentee_name, mentee_email, status, cycle = row[:7]
            facts.append(
                PairHealth(
                    pair_id=pid,
                    mentor=display_name(mentor_name, mentor_email),
                    mentee=display_name(mentee_name, mentee_email),
                    status=status,
                    cycle=cycle,
                    created_at=row[7],
                    held=int(row[8]),
                    missed=int(row[9]),
                    unanswered=int(row[10]),
                    not_reported=int(row[11]),
                )
            )
        return tuple(facts)

    @staticmethod
    async def _participation(session: AsyncSession) -> tuple[Participation, ...]:
        facts: list[Participation] = []
        for side, column in (("mentor", PairRow.mentor_id), ("mentee", PairRow.mentee_id)):
            rows = await session.execute(
                select(PersonRow.id, CycleRow.number, PersonRow.status)
                .select_from(PairRow)
                .join(PersonRow, PersonRow.id == column)
                .join(CycleRow, CycleRow.id == PairRow.cycle_id)
                .where(PairRow.status.in_(STARTED_PAIRS))
            )
            facts += [Participation(pid, side, c, s in PARTICIPATING) for pid, c, s in rows]
        return tuple(facts)

    @staticmethod
    async def _prompts(session: AsyncSession) -> tuple[PromptFact, ...]:
        rows = await session.execute(
            select(
                PromptRow.id,
                PromptRow.track,
                PromptRow.text,
                PromptRow.source,
                func.count(PromptDeliveryRow.id),
                PromptRow.kind,
            )
            .outerjoin(PromptDeliveryRow, PromptDeliveryRow.prompt_id == PromptRow.id)
            .group_by(
                PromptRow.id, PromptRow.track, PromptRow.text, PromptRow.source, PromptRow.kind
            )
            .order_by(PromptRow.id)
        )
        return tuple(PromptFact(*row[:4], int(row[4]), kind=row[5]) for row in rows)

    @staticmethod
    async def _failed(session: AsyncSession, limit: int) -> tuple[FailedWork, ...]:
        rows = await session.execute(
            select(
                DueWorkRow.id,
                DueWorkRow.kind,
                DueWorkRow.attempts,
                DueWorkRow.last_error,
                DueWorkRow.due_at,
            )
            .where(DueWorkRow.status == FAILED)
            .order_by(DueWorkRow.id.desc())
            .limit(limit)
        )
        return tuple(FailedWork(i, k, a, e or "", d) for i, k, a, e, d in rows)
