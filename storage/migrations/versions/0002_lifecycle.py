"""Programme lifecycle: prompt keys, survey answers, pending free-text answers, pause dates.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 18:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("paused_since", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column("first_in_line", sa.Boolean(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("cancelled_by", sa.String(length=8), nullable=True))
    with op.batch_alter_table("prompts") as batch:
        batch.add_column(sa.Column("key", sa.String(length=80), nullable=True))
        batch.add_column(
            sa.Column("kind", sa.String(length=8), nullable=False, server_default="topic")
        )
        batch.create_unique_constraint(batch.f("uq_prompts_key"), ["key"])
    with op.batch_alter_table("prompt_deliveries") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=8), nullable=False, server_default="topic")
        )
    with op.batch_alter_table("pulse_responses") as batch:
        batch.create_unique_constraint(
            batch.f("uq_pulse_responses_person_id_pair_id_session_number"),
            ["person_id", "pair_id", "session_number"],
        )
    op.create_table(
        "survey_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=32), nullable=False),
        sa.Column("answer", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pair_id"],
            ["pairs.id"],
            name=op.f("fk_survey_answers_pair_id_pairs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_survey_answers_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answers")),
        sa.UniqueConstraint(
            "person_id",
            "pair_id",
            "question",
            name=op.f("uq_survey_answers_person_id_pair_id_question"),
        ),
    )
    op.create_index(op.f("ix_survey_answers_pair_id"), "survey_answers", ["pair_id"], unique=False)
    op.create_table(
        "pending_inputs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_pending_inputs_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_inputs")),
        sa.UniqueConstraint("person_id", name=op.f("uq_pending_inputs_person_id")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("pending_inputs")
    op.drop_index(op.f("ix_survey_answers_pair_id"), table_name="survey_answers")
    op.drop_table("survey_answers")
    with op.batch_alter_table("pulse_responses") as batch:
        batch.drop_constraint(
            batch.f("uq_pulse_responses_person_id_pair_id_session_number"), type_="unique"
        )
    with op.batch_alter_table("prompt_deliveries") as batch:
        batch.drop_column("kind")
    with op.batch_alter_table("prompts") as batch:
        batch.drop_constraint(batch.f("uq_prompts_key"), type_="unique")
        batch.drop_column("kind")
        batch.drop_column("key")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("cancelled_by")
    with op.batch_alter_table("people") as batch:
        batch.drop_column("first_in_line")
        batch.drop_column("paused_since")
