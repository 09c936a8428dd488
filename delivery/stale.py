"""Cancel, never send, the queued messages whose premise is gone (docs/architecture.md, "A
message's premise")."""

from __future__ import annotations

import logging
from typing import Protocol

from conversations.outbox.premise import why_gone
from conversations.ports import Clock, Premises, WorkQueue
from conversations.types import PremiseFacts, PremiseQuery
from delivery.batch import Batch

log = logging.getLogger(__name__)


class StalePorts(WorkQueue, Premises, Protocol):
    """What the premise check reads (the facts) and writes (the cancelled rows)."""


async def cancel_stale(store: StalePorts, clock: Clock, batch: Batch) -> int:
    """Cancel the batch's messages whose premise is gone (the pair is no longer proposed, the
    person left, the session was reported…), each with the reason; the number cancelled.

    The facts of every premise in the batch are read in one call (a few queries), so a
    batch costs the same whether it holds one message or a hundred.
    """
    premises = {
        row_id: message.premise
        for row_id, message in batch.messages.items()
        if message.premise is not None
    }
    if not premises:
        return 0
    query = PremiseQuery.of(premises.values())
    # A premise that is only a deadline needs no facts.
    facts = await store.premise_facts(query) if query else PremiseFacts()
    now = clock.now()
    gone: dict[str, list[int]] = {}
    for row_id, premise in premises.items():
        reason = why_gone(premise, facts, now)
        if reason is not None:
            gone.setdefault(reason, []).append(row_id)
    if not gone:
        return 0
    at = clock.now()
    count = 0
    # One write per distinct reason: a batch rarely holds more than one or two.
    for reason, ids in gone.items():
        cancelled = await store.cancel(ids, reason=reason, at=at)
        count += len(cancelled)
        log.info("cancelled %d queued message(s): %s", len(cancelled), reason)
    # Dropped whether or not `cancel` changed them: a row it left alone was finished
    # meanwhile by someone else, and is not ours to send either.
    dropped = {row_id for ids in gone.values() for row_id in ids}
    batch.drop(dropped)
    for row_id in dropped:
        del batch.messages[row_id]
    return count
