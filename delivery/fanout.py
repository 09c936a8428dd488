"""One row per conversation: a message to a pair whose partners each get their own copy.

Teams has no group chats, and partners on two platforms share no conversation, so such a
message becomes one row per conversation and a failure on one side never resends to the other
(docs/architecture.md, "The `due_work` outbox"). There is one way to split, wherever the need is
found: `fan_out` queues the rows in one transaction that also marks the parent done, leased to
the worker that split them, so they go out in the same batch under the same lease rules as any
claimed row. Where the need is known before sending (`known_splits`: a sender that cannot open
groups, partners on two platforms), the batch's splits share that one write; a split found
while sending (a Slack group DM that could not be opened) writes its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from conversations.outbox.codec import message_to_dict
from conversations.ports import DELIVER, DueWork, NewWork, WorkQueue
from conversations.types import OutgoingMessage, ToPair
from delivery.routing import Lookups, NoRoute, Router, Target, WouldOpen


@dataclass(frozen=True)
class Split:
    """A claimed row whose message goes to several conversations, and those conversations."""

    row: DueWork
    message: OutgoingMessage
    targets: list[Target]


async def known_splits(
    rows: Sequence[DueWork],
    messages: Mapping[int, OutgoingMessage],
    router: Router,
    lookups: Lookups,
) -> list[Split]:
    """The rows whose pair message already resolves to several conversations, found without
    any platform call. A pair message that needs a group opened first, or that cannot be
    routed, is left to its send."""
    splits = []
    for row in rows:
        message = messages.get(row.id)
        if message is None or not isinstance(message.to, ToPair):
            continue
        try:
            targets = await router.resolve(message, lookups, may_open=False)
        except (WouldOpen, NoRoute, ValueError):
            continue  # opened, or failed, when it is sent
        if len(targets) >= 2:
            splits.append(Split(row, message, targets))
    return splits


async def fan_out(
    queue: WorkQueue,
    splits: Sequence[Split],
    *,
    due: datetime,
    at: datetime,
    worker: str,
    lease_until: datetime,
) -> list[tuple[DueWork, OutgoingMessage]]:
    """Queue each split's rows, leased to `worker`, and mark the split rows done, in one write.

    Returns the rows queued now with their messages. A key queued before (a split redone after
    a crash) is not queued twice: that row goes out on its own lease.
    """
    parents: dict[int, str] = {}
    children: list[tuple[NewWork, OutgoingMessage]] = []
    for split in splits:
        children += split_message(split.message, split.targets, due, parent=split.row.id)
        parents[split.row.id] = f"fanned out to {len(split.targets)}"
    inserted = await queue.fan_out(
        parents,
        [work for work, _ in children],
        at=at,
        leased_by=worker,
        lease_until=lease_until,
    )
    rows = []
    for work, message in children:
        row_id = inserted.get(work.idempotency_key)
        if row_id is not None:
            # Queued claimed, as a first attempt (what storage records for it).
            row = DueWork(
                row_id, work.kind, work.payload, work.due_at, work.idempotency_key, work.parent, 1
            )
            rows.append((row, message))
    return rows


def split_message(
    message: OutgoingMessage, targets: Sequence[Target], due: datetime, *, parent: int
) -> list[tuple[NewWork, OutgoingMessage]]:
    """The rows a message (row `parent`) splits into, one per conversation, with their
    messages: keyed `KEY@PLATFORM:CONVERSATION`, each naming the person it reaches."""
    children = []
    for target in targets:
        address = target.address
        key = f"{message.idempotency_key}@{address.platform}:{address.conversation_id}"
        metadata = dict(message.metadata)
        if target.person_id is not None:
            metadata["person_id"] = str(target.person_id)
        child = replace(message, to=address, idempotency_key=key, metadata=metadata)
        work = NewWork(DELIVER, message_to_dict(child), due, key, parent=parent)
        children.append((work, child))
    return children
