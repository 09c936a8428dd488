"""Erasure that erases: a forgotten person's answers keep no pair.

`pulse_responses.pair_id` and `survey_answers.pair_id` become nullable: once a person is
forgotten their answers lose the pair too, because the partner is known and the pair would name
them. Answers of people forgotten before this revision (person_id already NULL) lose their
pair and comment here.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("pulse_responses", "survey_answers")


def upgrade() -> None:
    """Apply this revision."""
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("pair_id", existing_type=sa.Integer(), nullable=True)
    op.execute(
        "UPDATE pulse_responses SET pair_id = NULL, comment = NULL, comment_consent = false "
        "WHERE person_id IS NULL"
    )
    op.execute("UPDATE survey_answers SET pair_id = NULL WHERE person_id IS NULL")


def downgrade() -> None:
    """Revert this revision: anonymous answers cannot get their pair back, so they go."""
    for table in TABLES:
        op.execute(f"DELETE FROM {table} WHERE pair_id IS NULL")
        with op.batch_alter_table(table) as batch:
            batch.alter_column("pair_id", existing_type=sa.Integer(), nullable=False)
