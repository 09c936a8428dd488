"""The programme's tables: rounds and pairs, early endings, sessions, prompts given, and
what people answered (pulse, surveys, the typed line the bot waits for)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.schema import Base, UTCDateTime


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
