"""Data only: what earlier versions of `forget` and of cancelling left behind.

`forget` now deletes the person's own pulse and survey answers (their published figures stay
in `published_aggregates`) and a cancelled message keeps no content. Rows from before: answers
whose person was forgotten (person NULL — nobody else's answers lose their person) are
deleted, and cancelled messages lose their payload. README, "Privacy".

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 09:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    for name in ("pulse_responses", "survey_answers"):
        answers = sa.table(name, sa.column("person_id", sa.Integer))
        op.execute(sa.delete(answers).where(answers.c.person_id.is_(None)))
    work = sa.table("due_work", sa.column("status", sa.String), sa.column("payload", sa.JSON))
    op.execute(sa.update(work).where(work.c.status == "cancelled").values(payload={}))


def downgrade() -> None:
    """Nothing to restore: what was erased stays erased."""
