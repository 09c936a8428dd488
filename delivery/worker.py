"""The delivery worker: sends queued messages exactly once, with retries and backoff.

Rows of kind `deliver` in `due_work` hold one `OutgoingMessage` each. A batch is leased, each
message is sent outside any transaction, and the row is marked done with the platform's message
id. A crash leaves the lease to expire, so another process (or the restart) sends it.

Up to `concurrency` recipients are served at once: a send waits a network round trip (and the
platform's pacing), and sending strictly one after another kept a 10,000-pair round far above
the platforms' rate-limit floor (benchmarks/README.md, fan-out). Rows stay independent: each
row's outcome is its own, and a failure never holds another back. Rows for one recipient go one
after another, in queue order, so a conversation never sees its messages reordered.

A batch costs few queries, not several a row: the pairs and identities its messages go to are
read together up front (`routing.Lookups`), and where the sender can find what it already sent
(Slack, by the key in each message's metadata) the rows sent are marked done together, every
`FLUSH_EVERY` sends and at the end of the batch. A crash before that write is harmless there:
the rows are claimed again and the look-up finds them posted. Where it cannot (Teams), each row
is marked done before that recipient's next send, so a crash repeats at most the messages in
flight; the sends that finish while one such write runs share the next (`batch.GroupCommit`).

A message to a pair whose partners each get their own copy becomes one row per conversation
(`fanout`), leased to this batch and sent in it: split before sending where that is known (one
write for the batch), or when its send finds it (a Slack group DM that could not be opened).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from conversations.outbox.codec import message_from_dict
from conversations.ports import DELIVER, Clock, Directory, DueWork, Pairs, Sender, SendFailed
from conversations.types import Address, OutgoingMessage, ToPair, ToPerson
from delivery.batch import Batch, GroupCommit
from delivery.fanout import Split, fan_out, known_splits
from delivery.routing import Lookups, NoRoute, Router, Target
from delivery.stale import StalePorts, cancel_stale
from delivery.stats import DeliveryStats

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 8
BASE_BACKOFF = 5.0  # seconds; doubles per attempt, with jitter, capped at an hour
# Recipients served at once. The platform senders pace themselves (Teams per tenant and per
# conversation, Slack's Tier 3 opens) or answer 429, so this only has to cover the round trip:
# 8 × a 250 ms send is 32 sends a second, above Teams' 30 per tenant. It also bounds how many
# database connections delivery holds at once (SQLAlchemy's pool has 5 + 10 overflow), so
# requests being acked by the same process still find one.
CONCURRENCY = 8
# Sends marked done in one write (senders that find what they sent). A crash makes the sender
# look up at most this many (Slack: one conversations.history call each, Tier 3).
FLUSH_EVERY = 50

Unreachable = Callable[[int, datetime], Awaitable[None]]


class DeliveryPorts(StalePorts, Pairs, Directory, Protocol):
    """What the worker uses of storage: the queue, premise facts, pairs and identities."""


class Deliverer:
    """Claims due `deliver` rows and sends them through the platform senders."""

    def __init__(
        self,
        store: DeliveryPorts,
        senders: Mapping[str, Sender],
        clock: Clock,
        rng: random.Random,
        *,
        worker: str = "delivery",
        batch: int = 100,
        on_unreachable: Unreachable | None = None,
        lease: timedelta = LEASE,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self.store = store
        self.senders = dict(senders)
        self.router = Router(store, self.senders)  # sees senders registered later too
        self.clock = clock
        self.rng = rng
        self.worker = worker
        self.batch = batch
        self.on_unreachable = on_unreachable
        self.lease = lease
        self.concurrency = max(1, concurrency)

    async def deliver_due(self, now: datetime | None = None) -> DeliveryStats:
        """Send everything due by `now`, batch after batch, until nothing is left."""
        now = now or self.clock.now()
        stats = DeliveryStats()
        while True:
            rows = await self.store.claim(
                now,
                limit=self.batch,
                # From the clock, not `now`: a long pass must not hand out leases already over.
                lease_until=self.clock.now() + self.lease,
                worker=self.worker,
                kinds=[DELIVER],
            )
            if not rows:  # not `< batch`: what came due meanwhile (a retry at once) goes too
                return stats
            await self._deliver_batch(rows, now, stats)

    async def resolve(
        self, message: OutgoingMessage, lookups: Lookups | None = None, *, may_open: bool = True
    ) -> list[Target]:
        """The platform conversations a message goes to (`routing.Router.resolve`; without
        `lookups`, the store is asked)."""
        lookups = lookups or Lookups(self.store)
        return await self.router.resolve(message, lookups, may_open=may_open)

    async def _deliver_batch(
        self, rows: list[DueWork], now: datetime, stats: DeliveryStats
    ) -> None:
        """Send a leased batch, up to `concurrency` recipients at once."""
        batch = Batch.of(rows, self.clock.now(), Lookups(self.store))
        await self._preload(batch, rows, now, stats)
        errors: list[Exception] = []

        async def serve() -> None:
            """Take the next recipient not started yet, until none is left (or one failed)."""
            while batch.waiting:
                key = batch.waiting.popleft()
                try:
                    await self._deliver_in_order(batch, batch.queues[key], now, stats)
                except Exception as error:
                    # Unexpected (a database outage…): start nothing more, let the sends in
                    # flight finish and record their outcome, then fail the tick. Rows not
                    # sent keep their lease and are retried once it expires.
                    errors.append(error)
                    batch.stop()
                # Served to the end: a split's row for this recipient now starts a new queue.
                del batch.queues[key]

        # `concurrency` long-lived servers taking recipients in turn: no task per recipient
        # (most in a big round get one message) and no waiting on the whole running set.
        width = min(self.concurrency, len(batch.waiting))
        servers = [asyncio.create_task(serve()) for _ in range(width)]
        try:
            await asyncio.gather(*servers)
        except asyncio.CancelledError:
            # Shutdown: the rows in flight are left to their leases, as a serial worker's was.
            for server in servers:
                server.cancel()
            await asyncio.gather(*servers, return_exceptions=True)
            await self._flush(batch, quietly=True)
            raise
        await self._flush(batch, quietly=bool(errors))
        if errors:
            raise errors[0]

    async def _preload(
        self, batch: Batch, rows: Sequence[DueWork], now: datetime, stats: DeliveryStats
    ) -> None:
        """Decode the batch's messages, cancel those whose premise is gone, read what the rest
        need in two queries (`Lookups`), split the pair messages known to go to each partner's
        own chat, and let the senders look up the addresses."""
        pair_ids: set[int] = set()
        person_ids: set[int] = set()
        for row in rows:
            try:
                batch.messages[row.id] = message_from_dict(dict(row.payload))
            except (KeyError, ValueError, TypeError):
                continue  # malformed: `_deliver` fails it
        stats.cancelled += await cancel_stale(self.store, self.clock, batch)
        for message in batch.messages.values():
            if isinstance(message.to, ToPair):
                pair_ids.add(message.to.pair_id)
            elif isinstance(message.to, ToPerson):
                person_ids.add(message.to.person_id)
        await batch.lookups.preload(
            pair_ids,
            person_ids,
            known=lambda pair: self.router.known_conversation(pair) is not None,
        )
        if pair_ids:
            splits = await known_splits(rows, batch.messages, self.router, batch.lookups)
            await self._split(batch, splits, now, stats)
        await self._prepare(batch, batch.messages.values())

    async def _prepare(self, batch: Batch, messages: Iterable[OutgoingMessage]) -> None:
        """Let the senders look up together what sending these messages will need."""
        addresses: dict[str, list[Address]] = {}
        for message in messages:
            to = message.to
            if isinstance(to, ToPerson):
                try:
                    to = (await self.router.person_target(batch.lookups, to.person_id)).address
                except NoRoute:
                    continue  # `_deliver` records it
            if isinstance(to, Address) and to.platform in self.senders:
                addresses.setdefault(to.platform, []).append(to)
        for platform, known in addresses.items():
            await self.senders[platform].prepare(known)

    async def _split(
        self, batch: Batch, splits: Sequence[Split], now: datetime, stats: DeliveryStats
    ) -> list[OutgoingMessage]:
        """One row per conversation for each split row (`fanout.fan_out`, one write), the new
        rows sent in this batch; their messages."""
        if not splits:
            return []
        at = self.clock.now()
        rows = await fan_out(
            self.store,
            splits,
            due=now,
            at=at,
            worker=self.worker,
            lease_until=at + self.lease,
        )
        stats.fanned_out += len(splits)
        batch.drop({split.row.id for split in splits})
        batch.admit(rows)
        return [message for _, message in rows]

    async def _flush(self, batch: Batch, *, quietly: bool = False) -> None:
        """Mark the rows sent so far done, in one write.

        `quietly`: the batch is already failing or stopping; a failed write is only logged
        (the rows keep their lease, are claimed again, and `find_sent` finds them posted).
        """
        sent, batch.sent = batch.sent, {}
        try:
            if sent:
                await self.store.complete_many(sent, at=self.clock.now())
        except Exception:
            if not quietly:
                raise
            log.warning("could not mark %d rows done; they will be redone", len(sent))

    async def _deliver_in_order(
        self, batch: Batch, queue: list[DueWork], now: datetime, stats: DeliveryStats
    ) -> None:
        """One recipient's rows, one after another, each under a lease still ours."""
        while queue:
            await self._renew_if_due(batch)
            if queue:  # the renewal drops rows whose lease another worker took over
                await self._deliver(batch, queue.pop(0), now, stats)

    async def _renew_if_due(self, batch: Batch) -> None:
        """Extend the leases of every row not yet sent, every third of a lease.

        A slow batch (rate limits, Retry-After) must not outlive its leases: another process
        would take the rest over and send them a second time.
        """
        async with batch.lock:  # one renewal at a time; the others see it done
            if self.clock.now() - batch.renewed < self.lease / 3:
                return
            batch.renewed = self.clock.now()
            await self._flush(batch)  # nor must sends wait longer than this to be marked done
            # Another server may split a row while this waits (`_deliver`): its new rows are
            # admitted unasked, leased to us, and must not be dropped as if lost.
            asked = batch.unsent()
            held = await self.store.renew(
                asked, worker=self.worker, lease_until=batch.renewed + self.lease
            )
            batch.keep_only(held, asked=asked)

    async def _deliver(
        self, batch: Batch, row: DueWork, now: datetime, stats: DeliveryStats
    ) -> None:
        target: Target | None = None
        try:
            message = batch.messages.get(row.id) or message_from_dict(dict(row.payload))
            targets = await self.router.resolve(message, batch.lookups)
            if len(targets) == 1:
                target = targets[0]
                sender = self.senders[target.address.platform]
                if row.attempts > 1:
                    # Leased before: the platform may have taken the send just before a crash.
                    found = await sender.find_sent(message, target.address)
                    if found is not None:
                        await self._done(batch, sender, row, found.message_id, now)
                        stats.recovered += 1
                        return
                delivery = await sender.send(message, target.address)
        except SendFailed as error:
            if error.unreachable and target is not None and target.person_id is not None:
                await self._unreachable(row, now, stats, target.person_id, error.reason)
                return
            # The platform said when to come back (429, Retry-After): waiting as told is not a
            # failed attempt, or a long rate-limit storm would use up MAX_ATTEMPTS.
            told = error.retry_after is not None
            await self._failed(
                row, now, stats, error.reason, error.retry_after, error.permanent, counts=not told
            )
            return
        except NoRoute as error:
            await self._failed(row, now, stats, str(error), 3600.0, False)
            return
        except (KeyError, ValueError, TypeError) as error:  # a malformed row: never retry
            await self._failed(row, now, stats, f"malformed message: {error!r}", None, True)
            return
        if target is None:
            # Found while sending (a group DM could not be opened): split as up front. Outside
            # the handlers above: the split marks this row done, so what fails after it (the
            # senders' `prepare`) is not this row's failure and fails the pass instead.
            split = await self._split(batch, [Split(row, message, targets)], now, stats)
            await self._prepare(batch, split)
            return
        stats.sent += 1
        await self._done(batch, sender, row, delivery.message_id, now)

    async def _done(
        self, batch: Batch, sender: Sender, row: DueWork, message_id: str, now: datetime
    ) -> None:
        """Mark a sent row done: with the batch's others where `sender` can find what it
        sent, else at once (see the module docstring)."""
        if not sender.finds_sent:
            if batch.commits is None:
                batch.commits = GroupCommit(self.store)
            await batch.commits.complete(row.id, message_id, now)
            return
        batch.sent[row.id] = message_id
        if len(batch.sent) >= FLUSH_EVERY:
            await self._flush(batch)

    async def _unreachable(
        self, row: DueWork, now: datetime, stats: DeliveryStats, person_id: int, reason: str
    ) -> None:
        await self.store.fail(row.id, error=f"unreachable: {reason}", at=now, retry_at=None)
        stats.failed += 1
        if self.on_unreachable is not None:
            await self.on_unreachable(person_id, now)

    async def _failed(
        self,
        row: DueWork,
        now: datetime,
        stats: DeliveryStats,
        reason: str,
        retry_after: float | None,
        permanent: bool,
        *,
        counts: bool = True,
    ) -> None:
        if permanent or (counts and row.attempts >= MAX_ATTEMPTS):
            log.warning(
                "giving up on %s after %d attempts: %s", row.idempotency_key, row.attempts, reason
            )
            await self.store.fail(row.id, error=reason, at=now, retry_at=None)
            stats.failed += 1
            return
        if retry_after is None:
            # Exponential backoff with full jitter, so many failed rows don't retry in lockstep.
            retry_after = self.rng.uniform(0, min(BASE_BACKOFF * 2**row.attempts, 3600.0))
        await self.store.fail(
            row.id,
            error=reason,
            at=now,
            retry_at=now + timedelta(seconds=retry_after),
            count_attempt=counts,
        )
        stats.retried += 1
