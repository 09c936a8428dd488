"""The programme's ports in memory, as `storage.sql_sessions.ProgrammeStore`: `Sessions`,
`PromptLog`, `Answers` and `WaitingLines`."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

from conversations.data.catalogue import admin_prompt
from conversations.types import PendingInput, Prompt, PulseAnswer, Session, SessionStatus
from tests.inmemory.tables import DeliveryRow, PromptRow, PulseRow, Tables


class FakeSessions(Tables):
    """A pair's sessions: created once, reported (first report wins), moved, shifted."""

    def _session(self, pair_id: int, number: int) -> Session:
        if (pair_id, number) not in self.sessions:
            raise LookupError(f"pair {pair_id} has no session {number}")
        return self.sessions[(pair_id, number)]

    async def create_sessions(self, pair_id: int, due_dates: Sequence[date]) -> list[Session]:
        """Create sessions 1..N unless they exist; all of the pair's sessions."""
        for number, due in enumerate(due_dates, start=1):
            self.sessions.setdefault((pair_id, number), Session(pair_id, number, due))
        return await self.sessions_of(pair_id)

    async def sessions_of(self, pair_id: int) -> list[Session]:
        """A pair's sessions in order."""
        return [self.sessions[k] for k in sorted(self.sessions) if k[0] == pair_id]

    async def get_session(self, pair_id: int, number: int) -> Session | None:
        """One session of a pair, or None."""
        return self.sessions.get((pair_id, number))

    async def report_session(
        self, pair_id: int, number: int, *, status: SessionStatus, by: int | None, at: datetime
    ) -> tuple[Session, bool]:
        """First report wins; "met" also wins over an earlier "missed"."""
        session = self._session(pair_id, number)
        changes = session.status.pending or (
            status is SessionStatus.MET and session.status is SessionStatus.MISSED
        )
        if changes:
            session = dataclasses.replace(session, status=status, reported_by=by, reported_at=at)
            self.sessions[(pair_id, number)] = session
        return session, changes

    async def move_session(self, pair_id: int, number: int, due_date: date) -> Session:
        """Move a session still to come (one that happened stays as it is)."""
        session = self._session(pair_id, number)
        if session.status.pending:
            session = dataclasses.replace(
                session, due_date=due_date, status=SessionStatus.RESCHEDULED
            )
            self.sessions[(pair_id, number)] = session
        return session

    async def shift_sessions(self, pair_id: int, since: date, days: int) -> list[Session]:
        """Move every session still to come, due on or after `since`, by `days` days."""
        for key, session in self.sessions.items():
            if key[0] == pair_id and session.status.pending and session.due_date >= since:
                self.sessions[key] = dataclasses.replace(
                    session, due_date=session.due_date + timedelta(days=days)
                )
        return await self.sessions_of(pair_id)


class FakePromptLog(Tables):
    """Admins' prompts and the topic each session was given (never one twice to a pair)."""

    async def admin_prompts(self) -> list[Prompt]:
        """Prompts admins added, oldest first."""
        return [
            admin_prompt(row.key, row.track, row.text)
            for row in self.prompts.values()
            if row.source == "admin"
        ]

    async def add_prompt(self, track: str, text: str, session_number: int | None) -> Prompt:
        """Store an admin's prompt; its key is `admin-N` (N its row id)."""
        row_id = self.next_id("prompts")
        self.prompts[row_id] = PromptRow(row_id, f"admin-{row_id}", track, text, "admin")
        return admin_prompt(f"admin-{row_id}", track, text)

    def _topic(self, pair_id: int, session_number: int) -> str | None:
        for delivery in self.deliveries:
            if (delivery.pair_id, delivery.session) == (pair_id, session_number):
                return self.prompts[delivery.prompt_id].key
        return None

    async def used_prompt_keys(self, pair_id: int) -> frozenset[str]:
        """Keys of every prompt the pair was given."""
        return frozenset(
            self.prompts[d.prompt_id].key for d in self.deliveries if d.pair_id == pair_id
        )

    async def record_prompt(
        self, pair_id: int, session_number: int, prompt: Prompt, at: datetime
    ) -> str:
        """Give `prompt` as the session's topic unless it has one; the key it has."""
        if (existing := self._topic(pair_id, session_number)) is not None:
            return existing
        row = next((r for r in self.prompts.values() if r.key == prompt.key), None)
        if row is None:
            row = PromptRow(self.next_id("prompts"), prompt.key, prompt.track, prompt.text, "")
            self.prompts[row.id] = row
        if not any((d.pair_id, d.prompt_id) == (pair_id, row.id) for d in self.deliveries):
            delivery = DeliveryRow(self.next_id("deliveries"), pair_id, row.id, session_number, at)
            self.deliveries.append(delivery)
        return prompt.key

    async def session_prompt(self, pair_id: int, session_number: int) -> str | None:
        """The key of the session's topic, or None (not yet)."""
        return self._topic(pair_id, session_number)


class FakeAnswers(Tables):
    """Pulse ratings and comments, and check-in, closing and missed-session answers."""

    async def save_pulse(self, answer: PulseAnswer, *, at: datetime) -> None:
        """Store a rating; a second tap changes it (stamped only when it really changes)."""
        key = (answer.person_id, answer.pair_id, answer.session)
        if key not in self.pulses:
            self.pulses[key] = PulseRow(*key, answer.side, answer.rating, created_at=at)
        row = self.pulses[key]
        if row.rating is None or row.rating != answer.rating:
            row.rating, row.changed_at = answer.rating, at

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
        """Attach the free-text "one thing" to a pulse given before."""
        row = self.pulses.get((person_id, pair_id, session_number))
        if row is not None:
            row.comment, row.comment_consent, row.comment_at = comment, consent, at

    async def set_comment_consent(
        self, person_id: int, pair_id: int, session_number: int, consent: bool, *, at: datetime
    ) -> None:
        """Share a comment (stamped when sharing starts), or take that back."""
        row = self.pulses.get((person_id, pair_id, session_number))
        if row is not None and row.comment_consent is not consent:
            row.comment_consent = consent
            if consent:
                row.comment_at = at

    async def get_pulse(
        self, person_id: int, pair_id: int, session_number: int
    ) -> PulseAnswer | None:
        """One person's pulse for a session, or None."""
        row = self.pulses.get((person_id, pair_id, session_number))
        if row is None:
            return None
        return PulseAnswer(
            person_id=row.person_id,
            pair_id=row.pair_id,
            session=row.session,
            side=row.side,
            rating=row.rating,
            comment=row.comment,
            comment_consent=row.comment_consent,
            created_at=row.created_at,
        )

    async def save_survey_answer(
        self, person_id: int, pair_id: int, question: str, answer: str, side: str, *, at: datetime
    ) -> None:
        """Store or change one answer (its side and time stay the first ones)."""
        key = (person_id, pair_id, question)
        _, first_side, created = self.surveys.get(key, (answer, side, at))
        self.surveys[key] = (answer, first_side, created)

    async def survey_answers(self, pair_id: int) -> dict[tuple[int, str], str]:
        """A pair's answers by (person id, question)."""
        return {
            (person_id, question): answer
            for (person_id, pair, question), (answer, _, _) in self.surveys.items()
            if pair == pair_id
        }


class FakeWaitingLines(Tables):
    """The typed line the bot waits for from each person (one at a time)."""

    async def set_pending_input(
        self, person_id: int, kind: str, context: Mapping[str, int | str], expires_at: datetime
    ) -> None:
        """Wait for this person's next typed message (replacing what was waited for)."""
        self.pending[person_id] = PendingInput(kind, dict(context), expires_at)

    async def take_pending_input(self, person_id: int, now: datetime) -> PendingInput | None:
        """What the bot waits for (removing it); None when nothing, or expired."""
        waiting = self.pending.pop(person_id, None)
        return waiting if waiting is not None and waiting.expires_at > now else None

    async def clear_pending_input(self, person_id: int) -> None:
        """Stop waiting for a typed answer from this person."""
        self.pending.pop(person_id, None)
