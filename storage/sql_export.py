"""The rows of `mentorbot export` (people.csv, pairs.csv, sessions.csv): plain facts, the
privacy rules applied by `bot/export.py` and `conversations.insights.summary`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.base import Repository
from storage.mapping import is_forgotten
from storage.models import CycleRow, PairRow, PersonRow, SessionRow


def _outcome(status: str, met: bool | None, reported_by: int | None) -> str:
    """A session in words for the export: held, couldn't meet (a partner said so), not
    reported (nobody answered), or still to come. Never which side called it off."""
    if met is True:
        return "held"
    if status == "missed" or met is False:
        return "not reported" if reported_by is None else "couldn't meet"
    return "to come"


class ExportRows(Repository):
    """The export's rows, one list per file."""

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
