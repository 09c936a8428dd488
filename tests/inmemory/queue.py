"""`conversations.ports.WorkQueue` in memory: the `due_work` outbox with its leases, keys and
statuses, as `storage.sql_queue.WorkQueue`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from conversations.ports import DueWork, NewWork
from tests.inmemory.tables import Tables, WorkRow

PENDING, LEASED, DONE, FAILED, CANCELLED = "pending", "leased", "done", "failed", "cancelled"
STATUSES = (PENDING, LEASED, DONE, FAILED, CANCELLED)
UNSENT = (PENDING, LEASED, FAILED)


def due_work(row: WorkRow, *, with_outcome: bool = False) -> DueWork:
    """The queue's view of a row (`storage.mapping.to_due_work`)."""
    extra: dict[str, Any] = {}
    if with_outcome:
        extra = {
            "status": row.status,
            "last_error": row.last_error,
            "done_at": row.done_at,
            "leased_by": row.leased_by,
        }
    return DueWork(
        row.id, row.kind, dict(row.payload), row.due_at, row.key, attempts=row.attempts, extra=extra
    )


class FakeWorkQueue(Tables):
    """Durable, leased, exactly-once work: a key is queued once whatever its status."""

    def _insert(self, work: NewWork) -> WorkRow | None:
        if any(w.key == work.idempotency_key for w in self.work.values()):
            return None
        row = WorkRow(
            self.next_id("due_work"),
            work.kind,
            dict(work.payload),
            work.due_at,
            work.idempotency_key,
        )
        self.work[row.id] = row
        return row

    async def schedule(
        self, kind: str, payload: Mapping[str, Any], due_at: datetime, idempotency_key: str
    ) -> bool:
        """Queue work unless the key exists already; True when a row was added."""
        return self._insert(NewWork(kind, payload, due_at, idempotency_key)) is not None

    async def claim(
        self,
        now: datetime,
        *,
        limit: int,
        lease_until: datetime,
        worker: str,
        kinds: Sequence[str] | None = None,
    ) -> list[DueWork]:
        """Lease up to `limit` due rows (or rows whose lease expired), oldest due first."""
        due = [
            w
            for w in self.work.values()
            if (kinds is None or w.kind in kinds)
            and (
                (w.status == PENDING and w.due_at <= now)
                or (w.status == LEASED and w.lease_until is not None and w.lease_until < now)
            )
        ]
        due.sort(key=lambda w: (w.due_at, w.id))
        for w in due[: max(limit, 0)]:
            w.status, w.lease_until, w.leased_by = LEASED, lease_until, worker
            w.attempts += 1
        return [due_work(w) for w in due[: max(limit, 0)]]

    async def renew(
        self, work_ids: Sequence[int], *, worker: str, lease_until: datetime
    ) -> set[int]:
        """Extend `worker`'s leases; the ids it still holds."""
        held = set()
        for work_id in work_ids:
            w = self.work.get(work_id)
            if w is not None and w.status == LEASED and w.leased_by == worker:
                w.lease_until = lease_until
                held.add(work_id)
        return held

    async def complete(self, work_id: int, *, at: datetime, result: str = "") -> None:
        """Mark a leased row done (a row cancelled meanwhile stays cancelled)."""
        await self.complete_many({work_id: result}, at=at)

    async def complete_many(self, results: Mapping[int, str], *, at: datetime) -> None:
        """Mark leased rows done: row id → result."""
        self._complete(results, at)

    def _complete(
        self, results: Mapping[int, str], at: datetime, worker: str | None = None
    ) -> set[int]:
        done = set()
        for work_id, result in results.items():
            w = self.work.get(work_id)
            if w is not None and w.status == LEASED and (worker is None or w.leased_by == worker):
                w.status, w.result, w.done_at, w.lease_until = DONE, result, at, None
                done.add(work_id)
        return done

    async def fan_out(
        self,
        parents: Mapping[int, str],
        children: Sequence[NewWork],
        *,
        at: datetime,
        leased_by: str | None = None,
        lease_until: datetime | None = None,
    ) -> dict[str, int]:
        """Mark the still-leased `parents` done (with `leased_by`, only those that worker
        holds) and queue `children` (only those of parents kept; one naming no parent only
        when every parent was kept)."""
        kept = self._complete(parents, at, leased_by)
        refused = set(parents) - kept
        inserted = {}
        for child in children:
            if (child.parent not in kept) if child.parent is not None else bool(refused):
                continue
            row = self._insert(child)
            if row is None:
                continue
            inserted[row.key] = row.id
            if leased_by is not None and lease_until is not None:
                row.status, row.lease_until, row.leased_by, row.attempts = (
                    LEASED,
                    lease_until,
                    leased_by,
                    1,
                )
        return inserted

    async def fail(
        self,
        work_id: int,
        *,
        error: str,
        at: datetime,
        retry_at: datetime | None,
        count_attempt: bool = True,
    ) -> None:
        """Pending again at `retry_at`, or failed for good (only a leased row)."""
        w = self.work.get(work_id)
        if w is None or w.status != LEASED:
            return
        w.last_error, w.lease_until = error, None
        if not count_attempt:
            w.attempts -= 1
        if retry_at is None:
            w.status, w.done_at = FAILED, at
        else:
            w.status, w.due_at = PENDING, retry_at

    async def waiting_until(self, idempotency_key: str) -> datetime | None:
        """The due time of the row with this key while it is pending or leased."""
        for w in self.work.values():
            if w.key == idempotency_key and w.status in (PENDING, LEASED):
                return w.due_at
        return None

    async def done_at(self, idempotency_key: str) -> datetime | None:
        """When the row with this key was done, else None."""
        for w in self.work.values():
            if w.key == idempotency_key and w.status == DONE:
                return w.done_at
        return None

    async def cancel(self, work_ids: Sequence[int], *, reason: str, at: datetime) -> set[int]:
        """Cancel the unsent rows among `work_ids` (their payload goes); the ids cancelled."""
        cancelled = set()
        for work_id in work_ids:
            w = self.work.get(work_id)
            if w is not None and w.status in UNSENT:
                w.status, w.last_error, w.done_at, w.lease_until = CANCELLED, reason, at, None
                w.payload = {}
                cancelled.add(work_id)
        return cancelled
