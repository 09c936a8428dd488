"""A leased batch in progress: each recipient's rows not yet sent, in queue order, and what
has been sent but not yet written (docs/architecture.md, "The `due_work` outbox")."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from conversations.ports import DueWork, WorkQueue
from conversations.types import OutgoingMessage
from delivery.routing import Lookups


@dataclass
class Batch:
    """Each recipient's rows not yet sent (by recipient key, in queue order), the recipients
    not started yet, the last renewal, and the rows sent but not yet marked done (row id →
    platform message id). A recipient's queue leaves `queues` once served to the end."""

    queues: dict[str, list[DueWork]]
    renewed: datetime
    lookups: Lookups
    waiting: deque[str] = field(default_factory=deque)  # recipient keys, in queue order
    messages: dict[int, OutgoingMessage] = field(default_factory=dict)  # decoded, by row id
    sent: dict[int, str] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    commits: GroupCommit | None = None  # rows marked done at once (senders that cannot look)

    @classmethod
    def of(cls, rows: Sequence[DueWork], renewed: datetime, lookups: Lookups) -> Batch:
        """The claimed rows grouped by the recipient named in their payload."""
        queues: dict[str, list[DueWork]] = {}
        for row in rows:
            queues.setdefault(recipient_key(row), []).append(row)
        return cls(queues, renewed, lookups, waiting=deque(queues))

    def unsent(self) -> list[int]:
        """The ids of every row still waiting to be sent."""
        return [r.id for queue in self.queues.values() for r in queue]

    def keep_only(self, held: Collection[int], *, asked: Collection[int]) -> None:
        """Drop the rows a renewal asked about (`asked`) and no longer holds (`held`): their
        lease is no longer ours. Rows admitted while it ran (a split's, leased to this batch)
        were not asked about and stay."""
        self.drop(set(asked) - set(held))

    def drop(self, ids: Collection[int]) -> None:
        """Drop these rows from the recipients' queues (cancelled, or split)."""
        for queue in self.queues.values():
            queue[:] = [r for r in queue if r.id not in ids]

    def stop(self) -> None:
        """Start nothing more: every queue emptied, no recipient waiting."""
        self.waiting.clear()
        for queue in self.queues.values():
            queue.clear()

    def admit(self, rows: Sequence[tuple[DueWork, OutgoingMessage]]) -> None:
        """Add rows leased to this batch (a split's) after their recipients' queued rows; a
        recipient with none queued waits its turn after the others."""
        for row, message in rows:
            self.messages[row.id] = message
            key = recipient_key(row)
            if key not in self.queues:
                self.queues[key] = []
                self.waiting.append(key)
            self.queues[key].append(row)


class GroupCommit:
    """Marks sent rows done durably before their senders go on, one write for many.

    A send that finishes while the previous write runs joins the next, which covers every row
    waiting by then: a burst of sends (Teams lets a tenant's go together) costs one or two
    writes instead of one each. Each send still waits until its own row is written, so a
    crash repeats only messages in flight, as when each wrote alone.
    """

    def __init__(self, store: WorkQueue) -> None:
        self._store = store
        self._waiting: dict[int, str] = {}  # row id → platform message id, for the next write
        self._next: asyncio.Future[None] | None = None  # settles when the next write is done
        self._writing = asyncio.Lock()

    async def complete(self, row_id: int, result: str, at: datetime) -> None:
        """Return once `row_id` is marked done; raise what its write raised."""
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
        written = self._next
        self._waiting[row_id] = result
        async with self._writing:
            if not written.done():  # nobody wrote our row while we queued for the lock
                rows, self._waiting, self._next = self._waiting, {}, None
                try:
                    await self._store.complete_many(rows, at=at)
                except BaseException as error:
                    # Every row of this write fails with it (each sender's own outcome). A
                    # cancelled write is a failure too: those rows are left to their leases.
                    written.set_exception(
                        error if isinstance(error, Exception) else RuntimeError(repr(error))
                    )
                    written.exception()  # ours is raised here; the others raise it below
                    raise
                written.set_result(None)
        await written


def recipient_key(row: DueWork) -> str:
    """Who a row is for, as text: the recipient in its payload."""
    to = row.payload.get("to") if isinstance(row.payload, Mapping) else None
    # A malformed payload gets a group of its own; the worker fails it for good.
    return json.dumps(to, sort_keys=True, default=str) if to else f"row:{row.id}"
