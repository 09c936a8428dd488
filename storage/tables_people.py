"""The directory's tables: people and their platform identities."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.schema import Base, UTCDateTime


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
