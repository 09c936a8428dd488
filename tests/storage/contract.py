"""Helpers of the storage contract tests (test_contract_*.py): people made through the port,
so every store under test has them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conversations.ports import Store
from conversations.types import NewPair, Role, RosterEntry

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


async def people(store: Store, count: int, *, at: datetime = T0) -> list[int]:
    """Ids of `count` new enrolled people p0…, in order."""
    rows = [
        RosterEntry(line=n + 2, email=f"p{n}@example.com", name=f"P{n}", level=5, role=Role.EITHER)
        for n in range(count)
    ]
    await store.import_roster(rows, deactivate_missing=False, dry_run=False, at=at)
    by_email = {p.email: p.id for p in await store.all_people()}
    return [by_email[f"p{n}@example.com"] for n in range(count)]


def new(mentor: int, mentee: int, score: float = 1.0, *reasons: str) -> NewPair:
    """A pair to store."""
    return NewPair(mentor_id=mentor, mentee_id=mentee, score=score, reasons=reasons)
