"""How long a programme's steps take, from its configuration alone: when a pair graduates
and when a matching round's figures close (storage reads the same span for its windows)."""

from __future__ import annotations

from conversations.config import ProgrammeConfig

CLOSING_DAYS = 3  # the closing survey, days after the last session is due
CLOSING_ANSWER_DAYS = 2  # at least this long to answer it before graduation ends the pair


def graduation_days(remind_after_days: int) -> int:
    """Days from the last session's due date to graduation: after that session's lapse (so a
    late "we met" still counts) and at least two days after the closing survey (graduating
    ends the pair, which would cancel a closing still waiting to go, or leave no time to
    answer it)."""
    return max(2 * remind_after_days + 1, CLOSING_DAYS + CLOSING_ANSWER_DAYS)


# Weekends and holidays moving each planned step to a working day, with room to spare.
_WORKING_DAY_SLACK = 7


def round_days(programme: ProgrammeConfig) -> int:
    """Days from a matching round's start to the last graduation it plans: both partners'
    consent (a reminder, then the admins), every session on its cadence, and graduation. A
    round's figures that wait for every pair to end would wait for ever on one proposal
    nobody answers or one pair kept going by pauses; this fixed date closes it instead."""
    consent = 2 * programme.consent_reminder_days
    sessions = programme.sessions * programme.cadence_days
    return consent + sessions + graduation_days(programme.remind_after_days) + _WORKING_DAY_SLACK
