"""What people answered: pulse ratings and comments, check-in and closing surveys."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from conversations.types import (
    PulseAnswer,
)


class Answers(Protocol):
    """Pulse ratings and comments, check-in, closing and missed-session answers."""

    async def save_pulse(self, answer: PulseAnswer, *, at: datetime) -> None:
        """Store a rating (a second tap changes it)."""
        ...

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
        """Attach the free-text "one thing" to a person's pulse, given at `at`."""
        ...

    async def set_comment_consent(
        self, person_id: int, pair_id: int, session_number: int, consent: bool, *, at: datetime
    ) -> None:
        """Let the programme team read a comment anonymously (from `at`), or take that back."""
        ...

    async def get_pulse(
        self, person_id: int, pair_id: int, session_number: int
    ) -> PulseAnswer | None:
        """One person's pulse for a session, or None."""
        ...

    async def save_survey_answer(
        self, person_id: int, pair_id: int, question: str, answer: str, side: str, *, at: datetime
    ) -> None:
        """Store (or change) one check-in or closing answer."""
        ...

    async def survey_answers(self, pair_id: int) -> dict[tuple[int, str], str]:
        """A pair's check-in, closing and missed-session answers by (person id, question)."""
        ...
