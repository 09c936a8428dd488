"""Data only: who called a missed session off is no longer kept.

Earlier versions asked, in the pair's shared conversation, who had to call a session off and
stored the answer as a side ('mentor', 'mentee', 'both', 'other') in `sessions.cancelled_by`.
Nothing reads it any more (each partner now gives a reason privately: docs/architecture.md,
"Missed sessions"), so the stored sides are cleared: a missed session keeps only that it was
missed and who reported it. The column stays, always NULL, so older code still runs.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 13:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    sessions = sa.table("sessions", sa.column("cancelled_by", sa.String))
    op.execute(
        sa.update(sessions).where(sessions.c.cancelled_by.is_not(None)).values(cancelled_by=None)
    )


def downgrade() -> None:
    """Nothing to restore: the sides stay cleared."""
