"""The programme lifecycle's tables: sessions, prompt deliveries, pulse answers, check-in and
closing answers, and the free-text answers the bot is waiting for."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import delete, or_, select, update

from conversations.data.catalogue import admin_prompt
from conversations.types import PendingInput, Prompt, PulseAnswer, Session, SessionStatus
from storage.base import Repository, insert_ignoring_duplicates
from storage.models import (
    PendingInputRow,
    PromptDeliveryRow,
    PromptRow,
    PulseResponseRow,
    SessionRow,
    SurveyAnswerRow,
)

_PENDING = (SessionStatus.SCHEDULED.value, SessionStatus.RESCHEDULED.value)


def _session(row: SessionRow) -> Session:
    return Session(
        pair_id=row.pair_id,
        number=row.number,
        due_date=row.due_date,
        status=SessionStatus(row.status),
        reported_by=row.reported_by,
        reported_at=row.reported_at,
    )


def _prompt(row: PromptRow) -> Prompt:
    # Only admins' prompts are read back (the catalogue's come from the package): a derived
    # title and a generic prep note, for a substance session (`prompt add` takes no session).
    return admin_prompt(row.key or f"admin-{row.id}", row.track, row.text)


def _pulse(row: PulseResponseRow) -> PulseAnswer:
    return PulseAnswer(
        person_id=row.person_id or 0,
        pair_id=row.pair_id,
        session=row.session_number,
        side=row.side,
        rating=row.rating,
        comment=row.comment,
        comment_consent=row.comment_consent,
        created_at=row.created_at,
    )


class ProgrammeStore(Repository):
    """`conversations.ports` Sessions, PromptLog, Answers and WaitingLines on SQLAlchemy."""

    # --- sessions ----------------------------------------------------------------------------

    async def create_sessions(self, pair_id: int, due_dates: Sequence[date]) -> list[Session]:
        """Create sessions 1..N with these due dates unless they exist; returns all of them."""
        async with self._sessions.begin() as session:
            for number, due in enumerate(due_dates, start=1):
                await session.execute(
                    insert_ignoring_duplicates(session, SessionRow, ["pair_id", "number"]).values(
                        pair_id=pair_id,
                        number=number,
                        due_date=due,
                        status=SessionStatus.SCHEDULED.value,
                    )
                )
        return await self.sessions_of(pair_id)

    async def sessions_of(self, pair_id: int) -> list[Session]:
        """A pair's sessions in order."""
        statement = (
            select(SessionRow).where(SessionRow.pair_id == pair_id).order_by(SessionRow.number)
        )
        async with self._sessions() as session:
            return [_session(row) for row in await session.scalars(statement)]

    async def get_session(self, pair_id: int, number: int) -> Session | None:
        """One session of a pair, or None."""
        statement = select(SessionRow).where(
            SessionRow.pair_id == pair_id, SessionRow.number == number
        )
        async with self._sessions() as session:
            row = await session.scalar(statement)
            return _session(row) if row else None

    async def report_session(
        self, pair_id: int, number: int, *, status: SessionStatus, by: int | None, at: datetime
    ) -> tuple[Session, bool]:
        """Record whether a session happened; the first report wins for the pair.

        Returns the session and True when this call changed it. A report of "met" also wins
        over an earlier "missed" (the pair met after all); nothing overrides "met".
        """
        async with self._sessions.begin() as session:
            row = await session.scalar(
                select(SessionRow)
                .where(SessionRow.pair_id == pair_id, SessionRow.number == number)
                .with_for_update()
            )
            if row is None:
                raise LookupError(f"pair {pair_id} has no session {number}")
            current = SessionStatus(row.status)
            changes = current.pending or (
                status is SessionStatus.MET and current is SessionStatus.MISSED
            )
            if changes:
                row.status = status.value
                row.met = status is SessionStatus.MET
                row.reported_by = by
                row.reported_at = at
            return _session(row), changes

    async def move_session(self, pair_id: int, number: int, due_date: date) -> Session:
        """Move a session that has not happened yet to a new date."""
        async with self._sessions.begin() as session:
            row = await session.scalar(
                select(SessionRow).where(SessionRow.pair_id == pair_id, SessionRow.number == number)
            )
            if row is None:
                raise LookupError(f"pair {pair_id} has no session {number}")
            if SessionStatus(row.status).pending:
                row.due_date = due_date
                row.status = SessionStatus.RESCHEDULED.value
            return _session(row)

    async def shift_sessions(self, pair_id: int, since: date, days: int) -> list[Session]:
        """Move every session still to come, due on or after `since`, by `days` days."""
        async with self._sessions.begin() as session:
            rows = await session.scalars(
                select(SessionRow).where(
                    SessionRow.pair_id == pair_id,
                    SessionRow.status.in_(_PENDING),
                    SessionRow.due_date >= since,
                )
            )
            for row in rows:
                row.due_date = row.due_date + timedelta(days=days)
        return await self.sessions_of(pair_id)

    # --- prompts -----------------------------------------------------------------------------

    async def admin_prompts(self) -> list[Prompt]:
        """Prompts admins added (`prompt add`), oldest first."""
        statement = select(PromptRow).where(PromptRow.source == "admin").order_by(PromptRow.id)
        async with self._sessions() as session:
            return [_prompt(row) for row in await session.scalars(statement)]

    async def add_prompt(self, track: str, text: str, session_number: int | None) -> Prompt:
        """Store a prompt an admin added; its key is `admin-N`."""
        async with self._sessions.begin() as session:
            row = PromptRow(track=track, text=text, session=session_number, source="admin")
            session.add(row)
            await session.flush()
            row.key = f"admin-{row.id}"
            return _prompt(row)

    async def used_prompt_keys(self, pair_id: int) -> frozenset[str]:
        """Keys of every prompt the pair was given (no prompt is given twice)."""
        statement = (
            select(PromptRow.key)
            .join(PromptDeliveryRow, PromptDeliveryRow.prompt_id == PromptRow.id)
            .where(PromptDeliveryRow.pair_id == pair_id)
        )
        async with self._sessions() as session:
            return frozenset(key for key in await session.scalars(statement) if key)

    async def record_prompt(
        self, pair_id: int, session_number: int, prompt: Prompt, at: datetime
    ) -> str:
        """Give `prompt` to the pair as a session's topic, unless it has one already.

        Returns the key of the prompt the pair has for that session: a redo after a crash finds
        the first choice instead of spending a second prompt.
        """
        async with self._sessions.begin() as session:
            existing = await session.scalar(
                select(PromptRow.key)
                .join(PromptDeliveryRow, PromptDeliveryRow.prompt_id == PromptRow.id)
                .where(
                    PromptDeliveryRow.pair_id == pair_id,
                    PromptDeliveryRow.session == session_number,
                    PromptDeliveryRow.kind == "topic",
                )
            )
            if existing:
                return existing
            await session.execute(
                insert_ignoring_duplicates(session, PromptRow, ["key"]).values(
                    key=prompt.key,
                    kind="topic",
                    track=prompt.track,
                    text=prompt.text,
                    session=None,
                    source="catalogue",
                )
            )
            prompt_id = await session.scalar(
                select(PromptRow.id).where(PromptRow.key == prompt.key)
            )
            await session.execute(
                insert_ignoring_duplicates(
                    session, PromptDeliveryRow, ["pair_id", "prompt_id"]
                ).values(
                    pair_id=pair_id,
                    prompt_id=prompt_id,
                    session=session_number,
                    kind="topic",
                    delivered_at=at,
                )
            )
            return prompt.key

    async def session_prompt(self, pair_id: int, session_number: int) -> str | None:
        """The key of the topic the pair was given for a session, or None (not yet)."""
        statement = (
            select(PromptRow.key)
            .join(PromptDeliveryRow, PromptDeliveryRow.prompt_id == PromptRow.id)
            .where(
                PromptDeliveryRow.pair_id == pair_id,
                PromptDeliveryRow.session == session_number,
                PromptDeliveryRow.kind == "topic",
            )
            .order_by(PromptDeliveryRow.id)
            .limit(1)
        )
        async with self._sessions() as session:
            key: str | None = await session.scalar(statement)
        return key

    # --- pulse and surveys -------------------------------------------------------------------

    async def save_pulse(self, answer: PulseAnswer, *, at: datetime) -> None:
        """Store a rating (a second tap on the same pulse changes it)."""
        async with self._sessions.begin() as session:
            await session.execute(
                insert_ignoring_duplicates(
                    session, PulseResponseRow, ["person_id", "pair_id", "session_number"]
                ).values(
                    person_id=answer.person_id,
                    pair_id=answer.pair_id,
                    session_number=answer.session,
                    side=answer.side,
                    met=True,
                    rating=answer.rating,
                    comment_consent=False,
                    created_at=at,
                )
            )
            # Only a real change is stamped: a rating changed after its window's figures were
            # published is then counted as late instead of vanishing unnoticed.
            await session.execute(
                update(PulseResponseRow)
                .where(
                    *self._pulse_key(answer.person_id, answer.pair_id, answer.session),
                    or_(
                        PulseResponseRow.rating.is_(None),
                        PulseResponseRow.rating != answer.rating,
                    ),
                )
                .values(rating=answer.rating, changed_at=at)
            )

    async def set_pulse_comment(
        self,
        person_id: int,
        pair_id: int,
        session_number: int,
        comment: str,
        *,
        consent: bool,
        at: datetime,
    ) -> None:
        """Attach the free-text "one thing" to a person's pulse for a session."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(PulseResponseRow)
                .where(*self._pulse_key(person_id, pair_id, session_number))
                .values(comment=comment, comment_consent=consent, comment_at=at)
            )

    async def set_comment_consent(
        self, person_id: int, pair_id: int, session_number: int, consent: bool, *, at: datetime
    ) -> None:
        """Let the programme team read a comment (anonymously), or take that back.

        Sharing is stamped only when it starts (a comment shared after its window was published
        is never shown, see docs/dashboard.md); a second "yes" on a stale button changes nothing.
        """
        async with self._sessions.begin() as session:
            await session.execute(
                update(PulseResponseRow)
                .where(
                    *self._pulse_key(person_id, pair_id, session_number),
                    PulseResponseRow.comment_consent.is_not(consent),
                )
                .values(comment_consent=consent, **({"comment_at": at} if consent else {}))
            )

    async def get_pulse(
        self, person_id: int, pair_id: int, session_number: int
    ) -> PulseAnswer | None:
        """One person's pulse for a session, or None."""
        async with self._sessions() as session:
            row = await session.scalar(
                select(PulseResponseRow).where(*self._pulse_key(person_id, pair_id, session_number))
            )
            return _pulse(row) if row else None

    @staticmethod
    def _pulse_key(person_id: int, pair_id: int, session_number: int) -> tuple[object, ...]:
        return (
            PulseResponseRow.person_id == person_id,
            PulseResponseRow.pair_id == pair_id,
            PulseResponseRow.session_number == session_number,
        )

    async def save_survey_answer(
        self, person_id: int, pair_id: int, question: str, answer: str, side: str, *, at: datetime
    ) -> None:
        """Store (or change) one check-in or closing answer."""
        async with self._sessions.begin() as session:
            await session.execute(
                insert_ignoring_duplicates(
                    session, SurveyAnswerRow, ["person_id", "pair_id", "question"]
                ).values(
                    person_id=person_id,
                    pair_id=pair_id,
                    question=question,
                    answer=answer,
                    side=side,
                    created_at=at,
                )
            )
            await session.execute(
                update(SurveyAnswerRow)
                .where(
                    SurveyAnswerRow.person_id == person_id,
                    SurveyAnswerRow.pair_id == pair_id,
                    SurveyAnswerRow.question == question,
                )
                .values(answer=answer)
            )

    async def survey_answers(self, pair_id: int) -> dict[tuple[int, str], str]:
        """A pair's answers keyed by (person id, question)."""
        statement = select(SurveyAnswerRow).where(SurveyAnswerRow.pair_id == pair_id)
        async with self._sessions() as session:
            return {
                (row.person_id, row.question): row.answer
                for row in await session.scalars(statement)
                if row.person_id is not None
            }

    # --- waiting for a typed answer ----------------------------------------------------------

    async def set_pending_input(
        self, person_id: int, kind: str, context: Mapping[str, int | str], expires_at: datetime
    ) -> None:
        """Wait for this person's next typed message (replacing anything waited for before)."""
        async with self._sessions.begin() as session:
            await session.execute(
                delete(PendingInputRow).where(PendingInputRow.person_id == person_id)
            )
            session.add(
                PendingInputRow(
                    person_id=person_id, kind=kind, context=dict(context), expires_at=expires_at
                )
            )

    async def take_pending_input(self, person_id: int, now: datetime) -> PendingInput | None:
        """What the bot waits for from this person (removing it), or None / expired."""
        async with self._sessions.begin() as session:
            row = await session.scalar(
                select(PendingInputRow).where(PendingInputRow.person_id == person_id)
            )
            if row is None:
                return None
            await session.delete(row)
            if row.expires_at <= now:
                return None
            return PendingInput(kind=row.kind, context=dict(row.context), expires_at=row.expires_at)

    async def clear_pending_input(self, person_id: int) -> None:
        """Stop waiting for a typed answer from this person."""
        async with self._sessions.begin() as session:
            await session.execute(
                delete(PendingInputRow).where(PendingInputRow.person_id == person_id)
            )
