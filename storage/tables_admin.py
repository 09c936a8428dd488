"""The admin side's tables: the audit log, admin web links and sessions, the health
heartbeat, published figures, and confidential concerns (restricted: see
docs/architecture.md, "The data model")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.schema import Base, UTCDateTime


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
