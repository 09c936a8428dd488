"""The durable queue of due work (docs/architecture.md, "The `due_work` outbox")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

# The kind of work that is a queued `OutgoingMessage`, sent by the delivery worker (every other
# kind is programme work the engine turns into messages).
DELIVER = "deliver"


@dataclass(frozen=True)
class DueWork:
    """One row of the delivery queue: something to do at or after `due_at`."""

    id: int
    kind: str
    payload: Mapping[str, Any]
    due_at: datetime
    idempotency_key: str
    # The row this one is split from (`WorkQueue.fan_out`): queued only while that row is
    # still leased, so a parent cancelled meanwhile yields no children.
    parent: int | None = None
    attempts: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NewWork:
    """A row to queue (`WorkQueue.schedule`'s arguments, for queueing several at once)."""

    kind: str
    payload: Mapping[str, Any]
    due_at: datetime
    idempotency_key: str
    # The row this one is split from (`WorkQueue.fan_out`): queued only while that row is
    # still leased, so a parent cancelled meanwhile yields no children.
    parent: int | None = None


class WorkQueue(Protocol):
    """The `due_work` table: durable, leased, exactly-once work (docs/architecture.md, "due_work
    outbox")."""

    async def schedule(
        self, kind: str, payload: Mapping[str, Any], due_at: datetime, idempotency_key: str
    ) -> bool:
        """Queue work unless the key exists already; True when a row was added."""
        ...

    async def claim(
        self,
        now: datetime,
        *,
        limit: int,
        lease_until: datetime,
        worker: str,
        kinds: Sequence[str] | None = None,
    ) -> list[DueWork]:
        """Lease up to `limit` rows that are due (or whose lease expired), oldest first.

        `kinds` restricts the claim to those kinds (the engine claims programme work, the
        delivery worker claims `deliver` rows); None claims every kind.
        """
        ...

    async def renew(
        self, work_ids: Sequence[int], *, worker: str, lease_until: datetime
    ) -> set[int]:
        """Extend `worker`'s leases on these rows; returns the ids it still holds."""
        ...

    async def complete(self, work_id: int, *, at: datetime, result: str = "") -> None:
        """Mark a claimed row done (a row cancelled meanwhile stays cancelled)."""
        ...

    async def complete_many(self, results: Mapping[int, str], *, at: datetime) -> None:
        """Mark claimed rows done in one write: row id → result (the platform's message id)."""
        ...

    async def fan_out(
        self,
        parents: Mapping[int, str],
        children: Sequence[NewWork],
        *,
        at: datetime,
        leased_by: str | None = None,
        lease_until: datetime | None = None,
    ) -> dict[str, int]:
        """In one transaction, queue `children` (keys already queued are skipped) and mark the
        claimed `parents` done (row id → result): rows split into one row per conversation.
        A parent no longer leased (cancelled meanwhile) stays as it is and its children
        (`NewWork.parent`) are not queued; so does one leased by another worker than
        `leased_by`, when given.

        With `leased_by` and `lease_until` the children are queued claimed by that worker (a
        first attempt). Returns the children inserted: idempotency key → row id.
        """
        ...

    async def fail(
        self,
        work_id: int,
        *,
        error: str,
        at: datetime,
        retry_at: datetime | None,
        count_attempt: bool = True,
    ) -> None:
        """Record a failure: retry at `retry_at`, or mark the row failed for good when None.

        `count_attempt=False`: the platform asked to wait (rate limit); not a failed attempt.
        """
        ...

    async def waiting_until(self, idempotency_key: str) -> datetime | None:
        """When the row with this key is due, while it has not gone out yet (pending or
        leased); None when there is no such row, or it is done, failed or cancelled."""
        ...

    async def done_at(self, idempotency_key: str) -> datetime | None:
        """When the row with this key was done (a queued message: when it went out); None
        while it waits, or when there is no such row, or it failed or was cancelled."""
        ...

    async def cancel(self, work_ids: Sequence[int], *, reason: str, at: datetime) -> set[int]:
        """Stop rows that have not gone out (pending, leased, failed): status `cancelled`,
        `reason` kept as their last error; rows already done stay done. Returns the ids
        cancelled."""
        ...
