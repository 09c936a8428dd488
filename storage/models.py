"""SQLAlchemy models for the whole data model (docs/architecture.md, "The data model").

Rows stay inside `storage/`: repositories map them to the frozen dataclasses of
`conversations.types.records`. Column types are chosen to behave the same on SQLite and PostgreSQL;
enumerations are stored as short strings (no native ENUM types) so new values need no migration.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Every constraint gets a predictable name so Alembic can diff and drop them (SQLite included,
# whose batch mode recreates tables by constraint name).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp stored in UTC on every database.

    SQLite has no time zone type: SQLAlchemy writes the wall-clock digits and drops the offset,
    and `due_at <= :now` is compared as text. Converting to UTC on the way in keeps ordering and
    comparisons right; on the way out naive values (SQLite) are marked UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Normalise to aware UTC (a naive value is taken to be UTC already)."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return aware UTC datetimes whatever the driver gave."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base carrying the shared naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class PersonRow(Base):
    """Someone in the company directory; `email` is stored lowercased."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(200), default="")
    level: Mapped[int] = mapped_column(Integer)
    department: Mapped[str] = mapped_column(String(200), default="")
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    timezone: Mapped[str] = mapped_column(String(64), default="")
    role: Mapped[str | None] = mapped_column(String(16), nullable=True)
    teaches: Mapped[list[str]] = mapped_column(JSON, default=list)
    learns: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), index=True)
    paused_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The day a pause began: on resume, the pair's remaining sessions shift by the pause length.
    paused_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    # Left without a partner through no choice of their own (odd numbers, a partner who left):
    # the next round matches them first.
    first_in_line: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IdentityRow(Base):
    """How one person is reached on one platform (Slack user, Teams AAD object id)."""

    __tablename__ = "platform_identities"
    __table_args__ = (UniqueConstraint("platform", "tenant_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    # '' when the roster gave the id without a tenant; filled in once the platform tells us.
    tenant_id: Mapped[str] = mapped_column(String(64), default="")
    user_id: Mapped[str] = mapped_column(String(128))
    dm_conversation_id: Mapped[str] = mapped_column(String(255), default="")
    service_url: Mapped[str] = mapped_column(Text, default="")
    # Serialized Teams ConversationReference: a bot can only message a person with it
    # (docs/teams.md).
    reference: Mapped[str] = mapped_column(Text, default="")


class ProgrammeRow(Base):
    """The programme of this deployment (one per deployment today)."""

    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date] = mapped_column(Date)


class CycleRow(Base):
    """One matching round of a programme."""

    __tablename__ = "cycles"
    __table_args__ = (UniqueConstraint("programme_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PairRow(Base):
    """A mentor (junior) and a mentee (senior leader) matched together."""

    __tablename__ = "pairs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int | None] = mapped_column(
        ForeignKey("cycles.id", ondelete="SET NULL"), nullable=True, index=True
    )
    mentor_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    mentee_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), index=True)
    # Shared conversation per platform, e.g. {"slack": "G0123"} (a Slack group DM); Teams has
    # none because bots cannot create group chats (docs/teams.md).
    conversation_ids: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Each partner's "Accept" to the proposal (the answer's time, nothing else about it).
    mentor_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    mentee_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PairEndingRow(Base):
    """How a pair ended early: `end pairing` or a partner leaving (graduation writes none).

    Holds no reason text: the optional reason goes to the programme team as a message only.
    A pair ended by its junior holds the senior out of matching until an admin releases it.
    """

    __tablename__ = "pair_endings"

    pair_id: Mapped[int] = mapped_column(
        ForeignKey("pairs.id", ondelete="CASCADE"), primary_key=True
    )
    side: Mapped[str] = mapped_column(String(8))  # who ended it: 'mentor' | 'mentee'
    cause: Mapped[str] = mapped_column(String(16))  # 'ended' | 'left' | 'unreachable' | 'forgotten'
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    held: Mapped[bool] = mapped_column(Boolean, default=False)  # the senior awaits review
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SessionRow(Base):
    """Session `number` of a pair, due on `due_date`; `met` once someone reports it."""

    __tablename__ = "sessions"
    __table_args__ = (UniqueConstraint("pair_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    # scheduled | rescheduled (moved, still to come) | met | missed
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    met: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # Unused and always NULL (migration 0011): who called a session off is never recorded;
    # each partner's private reason is a survey answer 'missed:N' (docs/architecture.md).
    cancelled_by: Mapped[str | None] = mapped_column(String(8), nullable=True)
    reported_by: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PromptRow(Base):
    """A topic prompt from the catalogue or added by an admin."""

    __tablename__ = "prompts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The catalogue key (stable across releases) or `admin-N` for prompts admins added.
    key: Mapped[str | None] = mapped_column(String(80), nullable=True, unique=True)
    kind: Mapped[str] = mapped_column(String(8), default="topic", server_default="topic")
    track: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    session: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source: Mapped[str] = mapped_column(String(16), default="catalogue")  # or 'admin'


class PromptDeliveryRow(Base):
    """A prompt given to a pair; the unique key means no prompt repeats for a pair."""

    __tablename__ = "prompt_deliveries"
    __table_args__ = (UniqueConstraint("pair_id", "prompt_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"))
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id", ondelete="CASCADE"))
    session: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8), default="topic", server_default="topic")
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PulseResponseRow(Base):
    """One partner's answer after a session. `person_id` and `pair_id` are NULL once that
    person is forgotten: the answer stays for anonymous figures, tied to nobody."""

    __tablename__ = "pulse_responses"
    # One answer per person and session: a second tap updates it (NULLs — forgotten people —
    # never collide).
    __table_args__ = (UniqueConstraint("person_id", "pair_id", "session_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True, index=True
    )
    pair_id: Mapped[int | None] = mapped_column(
        ForeignKey("pairs.id", ondelete="CASCADE"), nullable=True, index=True
    )
    session_number: Mapped[int] = mapped_column(Integer)
    met: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    comment_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    side: Mapped[str] = mapped_column(String(8))  # 'mentor' | 'mentee'
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When a second tap last changed the rating: an answer changed after its window's figures
    # were published is counted as late rather than silently left out (docs/dashboard.md).
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When the comment, or the consent to share it, was last given: a comment given after its
    # window was published is never shown (docs/dashboard.md). NULL: as old as the answer.
    comment_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SurveyAnswerRow(Base):
    """One answer to a check-in or closing question (`question` names it, e.g. 'again');
    `person_id` and `pair_id` are NULL once the person who gave it is forgotten."""

    __tablename__ = "survey_answers"
    __table_args__ = (UniqueConstraint("person_id", "pair_id", "question"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    pair_id: Mapped[int | None] = mapped_column(
        ForeignKey("pairs.id", ondelete="CASCADE"), nullable=True, index=True
    )
    question: Mapped[str] = mapped_column(String(32))
    answer: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(8))  # 'mentor' | 'mentee'
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PendingInputRow(Base):
    """The bot asked a person a free-text question (e.g. one thing they learned); their next
    message that is not a command is the answer, until `expires_at`."""

    __tablename__ = "pending_inputs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DueWorkRow(Base):
    """The durable delivery queue (docs/architecture.md, "due_work outbox"): everything that will
    happen later."""

    __tablename__ = "due_work"
    __table_args__ = (Index("ix_due_work_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    leased_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    result: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ProcessedEventRow(Base):
    """A platform event id already handled: Slack retries must be answered once (docs/slack.md)."""

    __tablename__ = "processed_events"
    __table_args__ = (UniqueConstraint("platform", "event_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(255))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class AuditRow(Base):
    """One admin action."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class AdminLinkRow(Base):
    """A single-use link to the admin web sent in chat (docs/dashboard.md).

    Only a keyed hash of the link's random token is kept, so a copy of the database opens
    nothing. `used_at` is set by the one request that used it, in the same UPDATE that checks it
    was unused: several `serve` processes sharing the database still let it work once.
    """

    __tablename__ = "admin_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(16))  # "dashboard" or "export"
    issued_to: Mapped[str] = mapped_column(String(320))  # the admin's email when it was sent
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AdminSessionRow(Base):
    """A browser signed in to the admin web; the cookie holds the token, this row its hash.

    Logging out sets `revoked_at`, so the cookie stops working on every process at once.
    """

    __tablename__ = "admin_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    who: Mapped[str] = mapped_column(String(320))  # an admin's email or how the token was given
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class HealthCheckRow(Base):
    """One row `/healthz` rewrites: proof that the database still takes writes."""

    __tablename__ = "health_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PublishedAggregateRow(Base):
    """One published pulse figure of a closed window: written once, never updated.

    A window (`kind` 'session' with `period` 'ROUND:SESSION', or 'month' with 'YYYY-MM')
    has one 'overall' row and, when the privacy rule allows, one row per side group. A window
    published with fewer than k respondents has its 'overall' row with every figure NULL: its
    value was never stored, so it can never be shown. See docs/dashboard.md.

    The closing question "Could you speak openly?" is published alike (kind 'open', period
    'round:N' or 'month:YYYY-MM'): an 'overall' row with its respondents and one 'answer' row
    per answer with its count in `answers` (conversations/insights/openness.py).
    """

    __tablename__ = "published_aggregates"
    __table_args__ = (UniqueConstraint("kind", "period", "breakdown", "label"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(32))
    breakdown: Mapped[str] = mapped_column(String(16))  # 'overall' | 'side'
    label: Mapped[str] = mapped_column(String(200))
    track: Mapped[str] = mapped_column(String(64), default="")
    respondents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    answers: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rating_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConcernRow(Base):
    """A confidential concern raised with `concern` (docs/architecture.md, "The data model").

    Restricted: read by no dashboard, export, aggregate or audit entry; only its recipients
    were sent the text. `sent_to` holds their person ids and `recipients` how many (0: it
    reached nobody, and `health` says so). `forget` of the sender empties `text` and drops
    `sender_id` and `pair_id`.
    """

    __tablename__ = "concerns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True, index=True
    )
    pair_id: Mapped[int | None] = mapped_column(
        ForeignKey("pairs.id", ondelete="SET NULL"), nullable=True
    )
    text: Mapped[str] = mapped_column(Text, default="")
    sent_to: Mapped[list[int]] = mapped_column(JSON, default=list)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
