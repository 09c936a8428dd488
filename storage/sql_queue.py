"""The `due_work` delivery queue (docs/architecture.md, "due_work outbox"): durable, leased,
at-least-once work.

Claiming leases rows with one UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n)
RETURNING, so replicas on PostgreSQL never claim the same row; SQLite ignores the locking
clause and serialises writers itself. An expired lease makes a row claimable again, so a crashed
worker's work is redone; idempotency keys make the redo harmless.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, Update, and_, bindparam, case, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.ports import DueWork, NewWork
from storage.base import Repository, chunks, insert_ignoring_duplicates
from storage.mapping import to_due_work
from storage.models import DueWorkRow

PENDING, LEASED, DONE, FAILED = "pending", "leased", "done", "failed"
# Terminal, like done and failed: the work will never run, because its premise is gone (a
# person in it asked to be forgotten, …). `last_error` says why.
CANCELLED = "cancelled"
STATUSES = (PENDING, LEASED, DONE, FAILED, CANCELLED)
# Rows that have not gone out (a failed row may be retried by hand): what `cancel` may stop.
UNSENT = (PENDING, LEASED, FAILED)


def _completion() -> Update:
    """UPDATE marking one row done, run once per row (an executemany); built once, so
    SQLAlchemy compiles it once. Core, not the ORM's bulk UPDATE by primary key: the same
    statement at a fraction of the CPU.

    Only a leased row is completed: one cancelled meanwhile (its person asked to be
    forgotten) stays cancelled, its erased payload and reason intact. A lease that expired
    and was claimed again is still `leased`, so completing it stays harmless as before (the
    idempotency key already kept the second send from happening twice).
    """
    table = cast(Table, DueWorkRow.__table__)
    return (
        update(table)
        .where(table.c.id == bindparam("row_id"), table.c.status == LEASED)
        .values(
            status=DONE,
            result=bindparam("row_result"),
            done_at=bindparam("row_done_at"),
            lease_until=None,
        )
    )


COMPLETION = _completion()
_TABLE = cast(Table, DueWorkRow.__table__)
_CLAIMED = [
    _TABLE.c[name] for name in ("id", "kind", "payload", "due_at", "idempotency_key", "attempts")
]


def cancel_statement(work_ids: Sequence[int], *, reason: str, at: datetime) -> Update:
    """UPDATE marking the unsent rows among `work_ids` cancelled, `reason` in last_error
    (rows already done stay done); RETURNING the ids it cancelled.

    The payload goes too: a cancelled message is never sent, and its text (names, topics)
    must not outlive the premise that made it, e.g. a person who has since been forgotten.
    Its kind, key and reason stay for `health`.
    """
    return (
        update(_TABLE)
        .where(_TABLE.c.id.in_(list(work_ids)), _TABLE.c.status.in_(UNSENT))
        .values(status=CANCELLED, last_error=reason, done_at=at, lease_until=None, payload={})
        .returning(_TABLE.c.id)
    )


def _completion_values(results: Mapping[int, str], at: datetime) -> list[dict[str, Any]]:
    return [
        {"row_id": key, "row_result": value, "row_done_at": at} for key, value in results.items()
    ]


class WorkQueue(Repository):
    """`conversations.ports.WorkQueue` (what the queue holds, for reports and the console
    inbox: `storage.sql_queue_views`)."""

    async def schedule(
        self, kind: str, payload: Mapping[str, Any], due_at: datetime, idempotency_key: str
    ) -> bool:
        """Queue work unless the key exists already; True when a row was added."""
        async with self._sessions.begin() as session:
            statement = (
                insert_ignoring_duplicates(session, DueWorkRow, ["idempotency_key"])
                .values(
                    kind=kind,
                    payload=dict(payload),
                    due_at=due_at,
                    idempotency_key=idempotency_key,
                    status=PENDING,
                    attempts=0,
                    # Bookkeeping only (the Protocol passes no time); scheduling uses due_at.
                    created_at=datetime.now(UTC),
                )
                .returning(DueWorkRow.id)
            )
            return (await session.scalar(statement)) is not None

    async def claim(
        self,
        now: datetime,
        *,
        limit: int,
        lease_until: datetime,
        worker: str,
        kinds: Sequence[str] | None = None,
    ) -> list[DueWork]:
        """Lease up to `limit` rows that are due (or whose lease expired), oldest due first.

        `kinds` restricts the claim to rows of those kinds; None claims every kind.
        """
        if limit <= 0:
            return []
        table = _TABLE
        claimable = (
            select(table.c.id)
            .where(
                or_(
                    and_(table.c.status == PENDING, table.c.due_at <= now),
                    and_(table.c.status == LEASED, table.c.lease_until < now),
                )
            )
            .where(table.c.kind.in_(list(kinds)) if kinds is not None else true())
            .order_by(table.c.due_at, table.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        # Core, not the ORM: the rows become DueWork at once, not mapped objects first (the
        # delivery worker claims every message it sends). One statement is atomic on its own,
        # row locks included, so it needs no transaction around it either.
        statement = (
            update(table)
            .where(table.c.id.in_(claimable))
            .values(
                status=LEASED,
                lease_until=lease_until,
                leased_by=worker,
                attempts=table.c.attempts + 1,
            )
            .returning(*_CLAIMED)
        )
        async with self._autocommit() as connection:
            rows = (await connection.execute(statement)).all()
        # RETURNING gives no order guarantee.
        rows.sort(key=lambda row: (row.due_at, row.id))
        return [to_due_work(row) for row in rows]

    async def renew(
        self, work_ids: Sequence[int], *, worker: str, lease_until: datetime
    ) -> set[int]:
        """Extend this worker's leases on these rows; the ids it still holds.

        A row whose lease ran out may have been claimed by another worker meanwhile: it is
        theirs now, and the caller must not send it.
        """
        if not work_ids:
            return set()
        statement = (
            update(DueWorkRow)
            .where(
                DueWorkRow.id.in_(list(work_ids)),
                DueWorkRow.status == LEASED,
                DueWorkRow.leased_by == worker,
            )
            .values(lease_until=lease_until)
            .returning(DueWorkRow.id)
            .execution_options(synchronize_session=False)
        )
        async with self._sessions.begin() as session:
            return set(await session.scalars(statement))

    async def complete(self, work_id: int, *, at: datetime, result: str = "") -> None:
        """Mark a claimed row done (a row cancelled meanwhile stays cancelled)."""
        await self.complete_many({work_id: result}, at=at)

    async def complete_many(self, results: Mapping[int, str], *, at: datetime) -> None:
        """Mark claimed rows done in one transaction: row id → result.

        One UPDATE by primary key for all of them (an executemany): the delivery worker
        completes a batch's sends together instead of paying a transaction for each.
        """
        if not results:
            return
        # Each row's UPDATE stands alone (a crash between two leaves the rest leased, to be
        # redone): no transaction needed around them.
        async with self._autocommit() as connection:
            await connection.execute(COMPLETION, _completion_values(results, at))

    async def fan_out(
        self,
        parents: Mapping[int, str],
        children: Sequence[NewWork],
        *,
        at: datetime,
        leased_by: str | None = None,
        lease_until: datetime | None = None,
    ) -> dict[str, int]:
        """Mark `parents` done and queue `children`, in one transaction (one UPDATE … RETURNING
        for the parents still leased, then an INSERT … ON CONFLICT DO NOTHING for the children).

        With `leased_by` and `lease_until` the children are queued already claimed by that
        worker (its first attempt), for it to send in the batch it is working on. A parent no
        longer leased (cancelled by `forget` after the claim) is left as it is, and so, with
        `leased_by`, is one leased by another worker since (its lease ran out and was claimed
        again: it is theirs to send); their children (`NewWork.parent`) are not queued.
        Returns the children inserted, idempotency key → row id (a key queued before is
        skipped).
        """
        created = datetime.now(UTC)  # bookkeeping only, as in `schedule`
        leased = leased_by is not None and lease_until is not None
        inserted: dict[str, int] = {}
        async with self._sessions.begin() as session:
            # The parents first, and only those still leased: a parent cancelled by `forget`
            # after this worker claimed it must not come back as children carrying the full
            # payload. The UPDATE takes the rows' locks (the write lock on SQLite) until the
            # children are in, so a cancel cannot slip in between.
            kept = (
                await self._complete_parents(session, parents, at, leased_by) if parents else set()
            )
            if children:
                refused = set(parents) - kept
                rows = [
                    {
                        "kind": child.kind,
                        "payload": dict(child.payload),
                        "due_at": child.due_at,
                        "idempotency_key": child.idempotency_key,
                        "status": LEASED if leased else PENDING,
                        "lease_until": lease_until if leased else None,
                        "leased_by": leased_by if leased else None,
                        "attempts": 1 if leased else 0,
                        "created_at": created,
                    }
                    for child in children
                    # A child that does not say its parent is kept only when every parent was.
                    if (child.parent in kept if child.parent is not None else not refused)
                ]
                if rows:
                    # One statement for every row (SQLAlchemy batches it into multi-row
                    # INSERTs), compiled once for all batches. Core: the ORM's bulk INSERT
                    # costs more.
                    insert = insert_ignoring_duplicates(session, _TABLE, ["idempotency_key"])
                    returning = insert.returning(_TABLE.c.idempotency_key, _TABLE.c.id)
                    inserted = {
                        key: row_id for key, row_id in await session.execute(returning, rows)
                    }
        return inserted

    @staticmethod
    async def _complete_parents(
        session: AsyncSession, parents: Mapping[int, str], at: datetime, worker: str | None
    ) -> set[int]:
        """Mark the still-leased `parents` done with their results (with `worker`, only those
        it holds: a lease taken over by another worker is theirs); the ids it marked."""
        kept: set[int] = set()
        held = _TABLE.c.leased_by == worker if worker is not None else true()
        for chunk in chunks(list(parents)):
            result = case({work_id: parents[work_id] for work_id in chunk}, value=_TABLE.c.id)
            statement = (
                update(_TABLE)
                .where(_TABLE.c.id.in_(chunk), _TABLE.c.status == LEASED, held)
                .values(status=DONE, result=result, done_at=at, lease_until=None)
                .returning(_TABLE.c.id)
            )
            kept.update(await session.scalars(statement))
        return kept

    async def fail(
        self,
        work_id: int,
        *,
        error: str,
        at: datetime,
        retry_at: datetime | None,
        count_attempt: bool = True,
    ) -> None:
        """Record a failure: pending again at `retry_at`, or failed for good when None.

        `count_attempt=False` gives back the attempt the claim counted (a platform's "come back
        later" is not a failed try).
        """
        values: dict[str, Any] = {"last_error": error, "lease_until": None}
        if not count_attempt:
            values["attempts"] = DueWorkRow.attempts - 1
        if retry_at is None:
            values.update(status=FAILED, done_at=at)
        else:
            values.update(status=PENDING, due_at=retry_at)
        # Only a leased row: a cancelled one (see `_completion`) keeps its status and reason,
        # and no error text naming a forgotten person is written back into it.
        statement = (
            update(DueWorkRow)
            .where(DueWorkRow.id == work_id, DueWorkRow.status == LEASED)
            .values(**values)
        )
        async with self._sessions.begin() as session:
            await session.execute(statement)

    async def waiting_until(self, idempotency_key: str) -> datetime | None:
        """The due time of the row with this key while it is still to go out (pending or
        leased), else None."""
        statement = select(DueWorkRow.due_at).where(
            DueWorkRow.idempotency_key == idempotency_key,
            DueWorkRow.status.in_((PENDING, LEASED)),
        )
        async with self._sessions() as session:
            due: datetime | None = await session.scalar(statement)
        return due

    async def done_at(self, idempotency_key: str) -> datetime | None:
        """When the row with this key was done, else None (waiting, failed, cancelled, none)."""
        statement = select(DueWorkRow.done_at).where(
            DueWorkRow.idempotency_key == idempotency_key, DueWorkRow.status == DONE
        )
        async with self._sessions() as session:
            done: datetime | None = await session.scalar(statement)
        return done

    async def cancel(self, work_ids: Sequence[int], *, reason: str, at: datetime) -> set[int]:
        """Cancel rows that have not gone out (pending, leased or failed): they will never run.

        `reason` is recorded in last_error. Rows already done are left alone. A row leased by
        a worker at this moment loses its lease: its next `renew` no longer holds it and drops
        it (one already on its way to the platform may still go out). Returns the ids
        cancelled.
        """
        cancelled: set[int] = set()
        async with self._sessions.begin() as session:
            for chunk in chunks(work_ids):
                statement = cancel_statement(chunk, reason=reason, at=at)
                cancelled.update(await session.scalars(statement))
        return cancelled
