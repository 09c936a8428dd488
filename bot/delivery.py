"""The delivery worker: sends queued messages exactly once, with retries and backoff.

Rows of kind `deliver` in `due_work` hold one `OutgoingMessage` each. A batch is leased, each
message is sent outside any transaction, and the row is marked done with the platform's message
id. A crash leaves the lease to expire, so another process (or the restart) sends it.

Up to `concurrency` recipients are served at once: a send waits a network round trip (and the
platform's pacing), and sending strictly one after another kept a 10,000-pair round far above
the platforms' rate-limit floor (benchmarks/README.md, fan-out). Rows stay independent: each is
completed or failed on its own. Rows for one recipient go one after another, in queue order, so
a conversation never sees its messages reordered.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from conversations.codec import message_from_dict, message_to_dict
from conversations.domain import Identity, Pair
from conversations.engine import DELIVER
from conversations.ports import Clock, DueWork, Sender, SendFailed, Store
from conversations.types import Address, OutgoingMessage, ToPair, ToPerson

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 8
BASE_BACKOFF = 5.0  # seconds; doubles per attempt, with jitter, capped at an hour
PLATFORM_PREFERENCE = ("slack", "teams", "console")
# Recipients served at once. The platform senders pace themselves (Teams per tenant and per
# conversation, Slack's Tier 3 opens) or answer 429, so this only has to cover the round trip:
# 8 × a 250 ms send is 32 sends a second, above Teams' 30 per tenant. It also bounds how many
# database connections delivery holds at once (SQLAlchemy's pool has 5 + 10 overflow), so
# requests being acked by the same process still find one.
CONCURRENCY = 8


@dataclass
class DeliveryStats:
    """What one pass of the worker did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    recovered: int = 0  # found already posted after a crash (Slack metadata look-up)
    fanned_out: int = 0  # rows split into one row per conversation


class NoRoute(Exception):
    """The recipient has no identity on any platform this deployment sends to."""


@dataclass(frozen=True)
class Target:
    """One conversation a message goes to, and the person it reaches there (None: a group)."""

    address: Address
    person_id: int | None = None


Unreachable = Callable[[int, datetime], Awaitable[None]]


@dataclass
class _Batch:
    """A leased batch in progress: each recipient's rows not yet sent, and the last renewal."""

    queues: dict[str, list[DueWork]]
    renewed: datetime
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Deliverer:
    """Claims due `deliver` rows and sends them through the platform senders."""

    def __init__(
        self,
        store: Store,
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
            if not rows:  # not `< batch`: fanned-out rows are due now and must go too
                return stats
            await self._deliver_batch(rows, now, stats)

    async def _deliver_batch(
        self, rows: list[DueWork], now: datetime, stats: DeliveryStats
    ) -> None:
        """Send a leased batch, up to `concurrency` recipients at once."""
        batch = _Batch(_by_recipient(rows), self.clock.now())
        waiting = list(batch.queues)  # recipients not started yet, in queue order
        running: set[asyncio.Task[None]] = set()
        error: BaseException | None = None
        try:
            while waiting or running:
                while waiting and len(running) < self.concurrency and error is None:
                    queue = batch.queues[waiting.pop(0)]
                    send = self._deliver_in_order(batch, queue, now, stats)
                    running.add(asyncio.create_task(send))
                if not running:
                    break
                done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    failed = task.exception()  # read every one, or asyncio logs it as lost
                    if error is None and failed is not None:
                        # Unexpected (a database outage…): start nothing more, let the sends
                        # in flight finish and record their outcome, then fail the tick. Rows
                        # not sent keep their lease and are retried once it expires.
                        error = failed
                        for queue in batch.queues.values():
                            queue.clear()
        except asyncio.CancelledError:
            # Shutdown: the rows in flight are left to their leases, as a serial worker's was.
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            raise
        if error is not None:
            raise error

    async def _deliver_in_order(
        self, batch: _Batch, queue: list[DueWork], now: datetime, stats: DeliveryStats
    ) -> None:
        """One recipient's rows, one after another, each under a lease still ours."""
        while queue:
            await self._renew_if_due(batch)
            if queue:  # the renewal drops rows whose lease another worker took over
                await self._deliver(queue.pop(0), now, stats)

    async def _renew_if_due(self, batch: _Batch) -> None:
        """Extend the leases of every row not yet sent, every third of a lease.

        A slow batch (rate limits, Retry-After) must not outlive its leases: another process
        would take the rest over and send them a second time.
        """
        async with batch.lock:  # one renewal at a time; the others see it done
            if self.clock.now() - batch.renewed < self.lease / 3:
                return
            batch.renewed = self.clock.now()
            ids = [r.id for queue in batch.queues.values() for r in queue]
            held = await self.store.renew(
                ids, worker=self.worker, lease_until=batch.renewed + self.lease
            )
            for queue in batch.queues.values():
                queue[:] = [r for r in queue if r.id in held]

    async def _deliver(self, row: DueWork, now: datetime, stats: DeliveryStats) -> None:
        target: Target | None = None
        try:
            message = message_from_dict(dict(row.payload))
            targets = await self.resolve(message)
            if len(targets) > 1:
                await self._fan_out(row, message, targets, now)
                stats.fanned_out += 1
                return
            target = targets[0]
            sender = self.senders[target.address.platform]
            if row.attempts > 1:
                # Leased before: the platform may have taken the send just before a crash.
                found = await sender.find_sent(message, target.address)
                if found is not None:
                    await self.store.complete(row.id, at=now, result=found.message_id)
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
        except NoRoute as error:
            await self._failed(row, now, stats, str(error), 3600.0, False)
        except (KeyError, ValueError, TypeError) as error:  # a malformed row: never retry
            await self._failed(row, now, stats, f"malformed message: {error!r}", None, True)
        else:
            await self.store.complete(row.id, at=now, result=delivery.message_id)
            stats.sent += 1

    async def _fan_out(
        self, row: DueWork, message: OutgoingMessage, targets: list[Target], now: datetime
    ) -> None:
        """One row per conversation, so a failure on one side never resends to the other."""
        for target in targets:
            address = target.address
            key = f"{message.idempotency_key}@{address.platform}:{address.conversation_id}"
            metadata = dict(message.metadata)
            if target.person_id is not None:
                metadata["person_id"] = str(target.person_id)
            child = replace(message, to=address, idempotency_key=key, metadata=metadata)
            await self.store.schedule(DELIVER, message_to_dict(child), now, key)
        await self.store.complete(row.id, at=now, result=f"fanned out to {len(targets)}")

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

    async def resolve(self, message: OutgoingMessage) -> list[Target]:
        """The platform conversations a message goes to."""
        to = message.to
        if isinstance(to, Address):
            person = message.metadata.get("person_id", "")
            return [Target(to, int(person) if person.isdigit() else None)]
        if isinstance(to, ToPerson):
            return [await self._person_target(to.person_id)]
        if isinstance(to, ToPair):
            pair = await self.store.get_pair(to.pair_id)
            if pair is None:
                raise ValueError(f"pair {to.pair_id} does not exist")
            for platform in PLATFORM_PREFERENCE:
                known = pair.conversation_ids.get(platform)
                if known and platform in self.senders:
                    # Opened for both partners before: no need to look them up again (two
                    # queries saved on every message to a pair). The tenant is the token's.
                    return [Target(Address(platform, "", known))]
            targets = [await self._person_target(p) for p in (pair.mentor_id, pair.mentee_id)]
            group = await self._group(pair, targets)
            return [group] if group is not None else targets
        raise TypeError(f"unknown recipient {to!r}")

    async def _group(self, pair: Pair, targets: list[Target]) -> Target | None:
        """The pair's shared conversation, when both are on one platform that has them
        (Slack group DMs; Teams bots cannot create group chats, DESIGN §5)."""
        first, second = (t.address for t in targets)
        if (first.platform, first.tenant_id) != (second.platform, second.tenant_id):
            return None  # a Slack person paired with a Teams person: each on their own
        known = pair.conversation_ids.get(first.platform)
        if known:
            return Target(Address(first.platform, first.tenant_id, known))
        users = []
        for target in targets:
            identity = await self._identity(target.person_id or 0, first.platform)
            users.append(identity.user_id if identity else "")
        if not all(users):
            return None
        opened = await self.senders[first.platform].open_group(first.tenant_id, users)
        if opened is None:
            return None
        await self.store.set_pair_conversation(pair.id, first.platform, opened)
        return Target(Address(first.platform, first.tenant_id, opened))

    async def _identity(self, person_id: int, platform: str) -> Identity | None:
        identities = await self.store.identities_of(person_id)
        return next((i for i in identities if i.platform == platform), None)

    async def _person_target(self, person_id: int) -> Target:
        identities = {i.platform: i for i in await self.store.identities_of(person_id)}
        for platform in PLATFORM_PREFERENCE:
            identity = identities.get(platform)
            if identity is not None and platform in self.senders:
                conversation = identity.dm_conversation_id or identity.user_id
                return Target(Address(platform, identity.tenant_id, conversation), person_id)
        raise NoRoute(f"person {person_id} has no identity on {sorted(self.senders)}")


def _by_recipient(rows: Sequence[DueWork]) -> dict[str, list[DueWork]]:
    """The rows grouped by the recipient named in their payload, groups in queue order."""
    groups: dict[str, list[DueWork]] = {}
    for row in rows:
        to = row.payload.get("to") if isinstance(row.payload, Mapping) else None
        # A malformed payload gets a group of its own; `_deliver` fails it for good.
        key = json.dumps(to, sort_keys=True, default=str) if to else f"row:{row.id}"
        groups.setdefault(key, []).append(row)
    return groups
