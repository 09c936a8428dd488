"""Domain records the engine reasons about. Storage maps its rows to these; they never carry
ORM or platform objects."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum


class Role(StrEnum):
    """Which side a person wants to be on. `either` lets the matcher choose."""

    MENTOR = "mentor"  # the junior who mentors a senior leader
    MENTEE = "mentee"  # the senior leader who learns
    EITHER = "either"


class Status(StrEnum):
    """Where a person stands in the programme."""

    DIRECTORY = "directory"  # in the roster (for manager chains) but not enrolled
    ENROLLED = "enrolled"
    PAUSED = "paused"  # enrolled, but no messages until `paused_until`
    LEFT = "left"  # chose to leave; kept for history
    INACTIVE = "inactive"  # removed from the roster by an admin (--deactivate-missing)
    UNREACHABLE = "unreachable"  # the platform says the bot cannot reach them

    @property
    def enrolled(self) -> bool:
        """True for people who take part in the programme now (paused included)."""
        return self in (Status.ENROLLED, Status.PAUSED)


@dataclass(frozen=True)
class Person:
    """One person in the company directory, enrolled or not."""

    id: int
    email: str
    name: str
    level: int
    title: str = ""
    department: str = ""
    manager_id: int | None = None
    timezone: str = ""
    role: Role | None = None
    teaches: tuple[str, ...] = ()
    learns: tuple[str, ...] = ()
    status: Status = Status.DIRECTORY
    paused_until: date | None = None
    enrolled_at: datetime | None = None
    paused_since: date | None = None
    first_in_line: bool = False  # left without a partner last time: matched first next round

    @property
    def display_name(self) -> str:
        """The name to show, falling back to the email's local part."""
        return self.name or self.email.split("@", 1)[0]

    @property
    def first_name(self) -> str:
        """How to greet them: the first word of their name."""
        return self.display_name.split()[0] if self.display_name.strip() else self.display_name


@dataclass(frozen=True)
class Identity:
    """How one person is reached on one platform."""

    person_id: int
    platform: str
    tenant_id: str
    user_id: str
    dm_conversation_id: str = ""
    service_url: str = ""
    reference: str = ""  # serialized Teams ConversationReference (JSON)


@dataclass(frozen=True)
class RosterEntry:
    """One validated roster row, ready to store (manager given by email, resolved on write)."""

    line: int
    email: str
    name: str
    level: int
    title: str = ""
    department: str = ""
    manager_email: str = ""
    timezone: str = ""
    role: Role | None = None
    teaches: tuple[str, ...] = ()
    learns: tuple[str, ...] = ()
    slack_id: str = ""
    teams_id: str = ""


@dataclass(frozen=True)
class ImportSummary:
    """What a roster import changed (or would change, on a dry run)."""

    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    enrolled: tuple[str, ...] = ()  # emails newly enrolled by this import
    missing: tuple[str, ...] = ()  # in the database, not in the file
    deactivated: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportFigures:
    """The headline figures (`mentorbot report`, docs/dashboard.md)."""

    participants: int = 0
    active_pairs: int = 0
    messages_sent: int = 0
    meetings_reported: int = 0
    pulse_responses: int = 0  # answers behind `average_rating` (published windows only)
    average_rating: float | None = None  # over published closed windows (docs/dashboard.md)
    by_role: dict[str, int] = field(default_factory=dict)
    delivery: dict[str, int] = field(default_factory=dict)
    raters: int = 0  # respondents behind `average_rating`, counted once per window
    late_answers: int = 0  # answers given or changed after their window was published
    # "Could you speak openly in your sessions?" over published closed windows
    # (conversations/insights/openness.py): people behind the counts, and the counts.
    open_respondents: int = 0
    open_counts: tuple[int, int, int] = (0, 0, 0)  # yes, mostly, no
    open_hidden: int = 0  # rounds published without a figure (fewer than k answered)
    open_closes: date | None = None  # when the next round holding answers closes

    def private(self, min_group_size: int) -> ReportFigures:
        """These figures as admins may see them: no average of fewer than `min_group_size`
        people, which could reveal one junior's rating of their senior (docs/programme.md), and
        no "speak openly" counts of fewer either."""
        figures = self
        if figures.average_rating is not None and figures.raters < min_group_size:
            figures = replace(figures, average_rating=None)
        if 0 < figures.open_respondents < min_group_size:
            figures = replace(figures, open_respondents=0, open_counts=(0, 0, 0))
        return figures


@dataclass(frozen=True)
class AuditEntry:
    """One admin action, as recorded in the audit log."""

    actor: str
    action: str
    detail: str
    at: datetime


class PairStatus(StrEnum):
    """Where a pair stands."""

    PROPOSED = "proposed"  # published, waiting for the partners' consent
    ACTIVE = "active"  # introduced; sessions are running
    DECLINED = "declined"  # a partner asked for someone else; never proposed again
    ENDED = "ended"  # graduated, or a partner left; kept so they are never matched again

    @property
    def open(self) -> bool:
        """True while the pair holds both people (they cannot be matched elsewhere)."""
        return self in (PairStatus.PROPOSED, PairStatus.ACTIVE)


@dataclass(frozen=True)
class NewPair:
    """A pair about to be stored (from the matcher or an admin's `pair A with B`)."""

    mentor_id: int
    mentee_id: int
    score: float
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pair:
    """A stored mentor/mentee pair."""

    id: int
    mentor_id: int
    mentee_id: int
    score: float
    reasons: tuple[str, ...]
    status: PairStatus
    created_at: datetime
    round: int | None = None  # the matching round (cycle number) it was published in
    ended_at: datetime | None = None
    conversation_ids: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    mentor_accepted_at: datetime | None = None  # the junior said yes to the proposal
    mentee_accepted_at: datetime | None = None  # the senior said yes to the proposal

    def partner_of(self, person_id: int) -> int:
        """The other person in the pair."""
        return self.mentee_id if person_id == self.mentor_id else self.mentor_id

    def accepted(self, person_id: int) -> bool:
        """Whether this partner has accepted the proposal."""
        if person_id == self.mentor_id:
            return self.mentor_accepted_at is not None
        return person_id == self.mentee_id and self.mentee_accepted_at is not None


@dataclass(frozen=True)
class ProposalAnswer:
    """What one partner's answer to a proposed pair did, decided atomically by the store."""

    pair: Pair  # the pair after the answer
    changed: bool  # False: the proposal was closed or already answered so; nothing changed
    activated: bool = False  # this answer made the pair active: introduce it, exactly once


@dataclass(frozen=True)
class PairEnding:
    """A pair ended early, and by whom: `end pairing`, or a partner leaving the programme.

    `side` is the side of whoever ended it ('mentor' is the junior, 'mentee' the senior);
    `cause` is 'ended' (`end pairing`), 'left', 'unreachable' or 'forgotten'. `held`: the
    junior ended it, so the senior stays out of automatic matching until an admin reviews it
    (`released_at` set by `release EMAIL`). No reason text is ever kept here.
    """

    pair_id: int
    mentor_id: int
    mentee_id: int
    side: str
    cause: str
    ended_at: datetime
    held: bool = False
    released_at: datetime | None = None

    @property
    def awaiting_review(self) -> bool:
        """True while the senior is held out of matching."""
        return self.held and self.released_at is None


class SessionStatus(StrEnum):
    """Where one session of a pair stands."""

    SCHEDULED = "scheduled"
    RESCHEDULED = "rescheduled"  # moved to a new date, still to come
    MET = "met"
    MISSED = "missed"

    @property
    def pending(self) -> bool:
        """True while nobody has said whether it happened."""
        return self in (SessionStatus.SCHEDULED, SessionStatus.RESCHEDULED)


@dataclass(frozen=True)
class Session:
    """Session `number` of a pair, due on `due_date` (a date in the mentee's time zone).

    A missed session with `reported_by` None was never reported (the bot marked it after the
    nudge); otherwise a partner said they couldn't meet. Who called a session off is never
    recorded: each partner's private reason is a survey answer "missed:N"."""

    pair_id: int
    number: int
    due_date: date
    status: SessionStatus = SessionStatus.SCHEDULED
    reported_by: int | None = None
    reported_at: datetime | None = None


@dataclass(frozen=True)
class PulseAnswer:
    """One partner's pulse after a session (never shown to the other partner)."""

    person_id: int
    pair_id: int
    session: int
    side: str  # 'mentor' | 'mentee'
    rating: int | None = None
    comment: str | None = None
    comment_consent: bool = False
    created_at: datetime | None = None


@dataclass(frozen=True)
class ConcernCounts:
    """How many confidential concerns were raised, and how many reached nobody (no contact or
    admin could receive them): counts only, never who or what (`health`)."""

    raised: int = 0
    undelivered: int = 0


@dataclass(frozen=True)
class WaitingConcern:
    """A concern that reached nobody when raised, still to pass on (`concerns.redeliver`):
    the one place a concern's words are read back, to put them in the team's notices."""

    id: int
    sender_id: int
    pair_id: int | None
    text: str
    raised_at: datetime


@dataclass(frozen=True)
class PendingInput:
    """A free-text answer the bot is waiting for from one person."""

    kind: str
    context: dict[str, int | str]
    expires_at: datetime


# The idempotency key of the programme team's notice that a pair ended
# (`pair-ended:PAIR:MEMBER`): a forget spares it (storage/sql_forget.py), because it never names
# the person who is forgotten.
ENDING_NOTICE = "pair-ended:"
