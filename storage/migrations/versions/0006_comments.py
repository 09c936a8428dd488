"""`pulse_responses.comment_at`: when a comment, or the consent to share it, was last given.

A consented comment is shown only when the window its answer belongs to was published, and
only if the comment was given (and shared) before that: otherwise the list of comments would
grow by one right after a known person answered (docs/dashboard.md). Comments stored before
this revision have no such time; they count as given when their answer was.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 08:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("pulse_responses") as batch:
        batch.add_column(sa.Column("comment_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("pulse_responses") as batch:
        batch.drop_column("comment_at")
