"""`pairs.mentor_accepted_at` and `pairs.mentee_accepted_at`: each partner's consent.

A proposed pair becomes active only when everyone the programme asks has accepted
(`programme.require_mentee_consent`, `programme.require_mentor_consent`). Pairs proposed
before this revision only ever asked the senior: their junior counts as having accepted when
the pair was proposed, so no open proposal waits for an answer nobody was asked for.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 13:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("pairs") as batch:
        batch.add_column(sa.Column("mentor_accepted_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("mentee_accepted_at", sa.DateTime(timezone=True), nullable=True))
    pairs = sa.table(
        "pairs",
        sa.column("status", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("mentor_accepted_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        sa.update(pairs)
        .where(pairs.c.status == "proposed")
        .values(mentor_accepted_at=pairs.c.created_at)
    )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("pairs") as batch:
        batch.drop_column("mentee_accepted_at")
        batch.drop_column("mentor_accepted_at")
