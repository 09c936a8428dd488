"""The queries behind the admin dashboard and `mentorbot export` (issue 7).

These return raw facts (`conversations.types.figures`) and plain rows; the privacy rules are
applied by `conversations.insights.summary`, never here, so they are tested without a database.
Every
query is portable SQL: date bucketing happens in Python because SQLite and PostgreSQL disagree
on it.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from conversations.types import (
    CycleSessions,
    FailedWork,
    InsightsData,
    PairHealth,
    ParticipantFact,
    Participation,
    PromptFact,
    Status,
    Unreachable,
)
from storage.base import Repository
from storage.mapping import is_forgotten
from storage.models import (
    CycleRow,
    DueWorkRow,
    IdentityRow,
    PairRow,
    PersonRow,
    PromptDeliveryRow,
    PromptRow,
    SessionRow,
)
from storage.sql_queue import DELIVER_KIND, DONE, FAILED, PENDING, STATUSES

PARTICIPATING = (Status.ENROLLED.value, Status.PAUSED.value)
OPEN_PAIRS = ("proposed", "active")
STARTED_PAIRS = ("active", "ended")
FORGOTTEN_NAME = "(forgotten)"


def display_name(name: str, email: str) -> str:
    """The name admins see: the name, else the email's local part; erased people stay erased."""
    if is_forgotten(email):
        return FORGOTTEN_NAME
    return name.strip() or email.split("@", 1)[0]


def _outcome(status: str, met: bool | None, reported_by: int | None) -> str:
    """A session in words for the export: held, couldn't meet (a partner said so), not
    reported (nobody answered), or still to come. Never which side called it off."""
    if met is True:
        return "held"
    if status == "missed" or met is False:
        return "not reported" if reported_by is None else "couldn't meet"
    return "to come"


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


# The console inbox (a `conversations.types.events.Platform`) delivers to everyone by their person
# id:
# it needs no account linked.
CONSOLE = "console"


async def unreachable_people(
    session: AsyncSession, delivering: Collection[str] | None = None
) -> tuple[Unreachable, ...]:
    """Everyone the bot cannot message, with why: the one definition that the dashboard,
    `mentorbot report` and `health` (chat and CLI) all count.

    People the platform reported unreachable, and participants (enrolled or paused) with no
    account linked on any platform in `delivering` (the platforms this deployment sends on):
    their messages wait in the queue with nowhere to go. A platform that reaches everyone
    without accounts (the console inbox) leaves nobody unreachable for want of one; with
    `delivering` unknown (None), an account on any platform counts.
    """
    flagged = await session.execute(
        select(PersonRow.name, PersonRow.email)
        .where(PersonRow.status == Status.UNREACHABLE.value)
        .order_by(PersonRow.id)
    )
    found = [
        Unreachable(display_name(n, e), "the platform says the bot cannot reach them")
        for n, e in flagged
    ]
    if delivering is not None and CONSOLE in delivering:
        return tuple(found)
    linked = [IdentityRow.person_id == PersonRow.id]
    if delivering is not None:
        # A console identity (from `mentorbot chat`) is no way to reach someone on Slack.
        linked.append(IdentityRow.platform.in_(sorted(delivering)))
    has_identity = select(IdentityRow.id).where(*linked).exists()
    unlinked = await session.execute(
        select(PersonRow.name, PersonRow.email)
        .where(PersonRow.status.in_(PARTICIPATING), ~has_identity)
        .order_by(PersonRow.id)
    )
    found += [
        Unreachable(display_name(n, e), "no Slack or Teams account linked") for n, e in unlinked
    ]
    return tuple(found)


class Insights(Repository):
    """Read-only queries for the dashboard and the export."""

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
                    .where(DueWorkRow.kind == DELIVER_KIND, DueWorkRow.status == DONE),
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

    # --- export -------------------------------------------------------------------------------

    async def people_rows(self) -> list[dict[str, Any]]:
        """people.csv: the directory without private fields; erased people keep only id/status.

        Left out on purpose: `paused_until` (why someone paused is their business), manager
        links of erased people, and anything of an erased person beyond the anonymous row.
        """
        async with self._sessions() as session:
            people = (await session.scalars(select(PersonRow).order_by(PersonRow.id))).all()
        rows = []
        for person in people:
            row: dict[str, Any] = {"id": person.id, "status": person.status}
            if is_forgotten(person.email):
                row["status"] = "forgotten"
            else:
                row.update(
                    email=person.email,
                    name=person.name,
                    title=person.title,
                    level=person.level,
                    department=person.department,
                    manager_id=person.manager_id,
                    timezone=person.timezone,
                    role=person.role,
                    teaches=";".join(person.teaches or ()),
                    learns=";".join(person.learns or ()),
                    enrolled_at=person.enrolled_at,
                )
            rows.append(row)
        return rows

    async def pair_rows(self) -> list[dict[str, Any]]:
        """pairs.csv: every pair with its round and partners' ids (names are in people.csv).

        `reasons` are the stored matching reasons, raw: they may name a first name and
        departments, so the export passes each through
        `conversations.insights.summary.public_reason`.
        """
        statement = (
            select(PairRow, CycleRow.number)
            .outerjoin(CycleRow, CycleRow.id == PairRow.cycle_id)
            .order_by(PairRow.id)
        )
        async with self._sessions() as session:
            found = (await session.execute(statement)).all()
        return [
            {
                "id": pair.id,
                "cycle": cycle,
                "mentor_id": pair.mentor_id,
                "mentee_id": pair.mentee_id,
                "status": pair.status,
                "score": round(pair.score, 3),
                "reasons": tuple(pair.reasons or ()),
                "created_at": pair.created_at,
                "ended_at": pair.ended_at,
            }
            for pair, cycle in found
        ]

    async def session_rows(self) -> list[dict[str, Any]]:
        """sessions.csv: each pair's sessions, due dates and whether they were held."""
        statement = select(SessionRow).order_by(SessionRow.pair_id, SessionRow.number)
        async with self._sessions() as session:
            found = (await session.scalars(statement)).all()
        return [
            {
                "pair_id": s.pair_id,
                "number": s.number,
                "due_date": s.due_date,
                "status": s.status,
                "outcome": _outcome(s.status, s.met, s.reported_by),
                "met": s.met,
                "reported_by": s.reported_by,
                "reported_at": s.reported_at,
            }
            for s in found
        ]
