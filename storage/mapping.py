"""Row → frozen dataclass mapping: ORM rows never leave `storage/` (docs/architecture.md, "Four
floors")."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from conversations.ports import DueWork
from conversations.types import AuditEntry, Identity, Pair, PairStatus, Person, Role, Status
from storage.models import AuditRow, DueWorkRow, IdentityRow, PairRow, PersonRow

FORGOTTEN_DOMAIN = "@invalid"


def forgotten_email(person_id: int) -> str:
    """The placeholder email of an erased person (unique, and never deliverable)."""
    return f"forgotten-{person_id}{FORGOTTEN_DOMAIN}"


def is_forgotten(email: str) -> bool:
    """True for the placeholder emails that `forget` leaves behind."""
    return email.startswith("forgotten-") and email.endswith(FORGOTTEN_DOMAIN)


def to_person(row: PersonRow | Row[Any]) -> Person:
    """The domain view of a people row (an ORM object, or a Core row of the people table)."""
    return Person(
        id=row.id,
        email=row.email,
        name=row.name,
        level=row.level,
        title=row.title,
        department=row.department,
        manager_id=row.manager_id,
        timezone=row.timezone,
        role=Role(row.role) if row.role else None,
        teaches=tuple(row.teaches or ()),
        learns=tuple(row.learns or ()),
        status=Status(row.status),
        paused_until=row.paused_until,
        enrolled_at=row.enrolled_at,
        paused_since=row.paused_since,
        first_in_line=bool(row.first_in_line),
    )


def to_identity(row: IdentityRow) -> Identity:
    """The domain view of a platform_identities row."""
    return Identity(
        person_id=row.person_id,
        platform=row.platform,
        tenant_id=row.tenant_id,
        user_id=row.user_id,
        dm_conversation_id=row.dm_conversation_id,
        service_url=row.service_url,
        reference=row.reference,
    )


def to_due_work(row: DueWorkRow | Row[Any], *, with_outcome: bool = False) -> DueWork:
    """The queue's view of a due_work row (an ORM object, or a Core row of the due_work table);
    `with_outcome` adds status and error in `extra`."""
    extra = {}
    if with_outcome:
        extra = {
            "status": row.status,
            "last_error": row.last_error or "",
            "done_at": row.done_at,
            "leased_by": row.leased_by or "",
        }
    return DueWork(
        id=row.id,
        kind=row.kind,
        payload=dict(row.payload or {}),
        due_at=row.due_at,
        idempotency_key=row.idempotency_key,
        attempts=row.attempts,
        extra=extra,
    )


def to_audit(row: AuditRow) -> AuditEntry:
    """The domain view of an audit_log row."""
    return AuditEntry(actor=row.actor, action=row.action, detail=row.detail, at=row.at)


def to_pair(row: PairRow, round_number: int | None) -> Pair:
    """The domain view of a pairs row; `round_number` is its cycle's number (None if none)."""
    return Pair(
        id=row.id,
        mentor_id=row.mentor_id,
        mentee_id=row.mentee_id,
        score=row.score,
        reasons=tuple(row.reasons or ()),
        status=PairStatus(row.status),
        created_at=row.created_at,
        round=round_number,
        ended_at=row.ended_at,
        conversation_ids=dict(row.conversation_ids or {}),
        mentor_accepted_at=row.mentor_accepted_at,
        mentee_accepted_at=row.mentee_accepted_at,
    )
