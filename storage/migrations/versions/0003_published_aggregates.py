"""Published aggregates: pulse figures of closed windows, stored once and never recomputed.

Also `pulse_responses.changed_at`, set when a second tap changes a rating, so that a change
made after its window was published is counted as late.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("pulse_responses") as batch:
        batch.add_column(sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "published_aggregates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("breakdown", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("track", sa.String(length=64), nullable=False),
        sa.Column("respondents", sa.Integer(), nullable=True),
        sa.Column("answers", sa.Integer(), nullable=True),
        sa.Column("rating_total", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_published_aggregates")),
        sa.UniqueConstraint(
            "kind",
            "period",
            "breakdown",
            "label",
            name=op.f("uq_published_aggregates_kind_period_breakdown_label"),
        ),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("published_aggregates")
    with op.batch_alter_table("pulse_responses") as batch:
        batch.drop_column("changed_at")
