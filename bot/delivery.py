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
read together up front, and where the sender can find what it already sent (Slack, by the key in
each message's metadata) the rows sent are marked done together, every `FLUSH_EVERY` sends and
at the end of the batch. A crash before that write is harmless there: the rows are claimed
again and the look-up finds them posted. Where it cannot (Teams), each row is marked done
before that recipient's next send, so a crash repeats at most the messages in flight; the sends
that finish while one such write runs share the next (`_GroupCommit`).

A message to a pair whose partners each get their own copy (Teams has no group chats; partners
on two platforms) becomes one row per conversation, so a failure on one side never resends to
the other. Where that is known before sending, the batch's pair messages are split up front in
one write, the new rows leased to this batch and sent in it (`_split_up_front`); a split found
while sending (a Slack group DM that could not be opened) is written at the end of the batch
and its rows go out in the next.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from conversations.engine import DELIVER
from conversations.outbox.codec import message_from_dict, message_to_dict
from conversations.outbox.premise import why_gone
from conversations.ports import Clock, DueWork, NewWork, Sender, SendFailed, Store
from conversations.types import (
    Address,
    Identity,
    OutgoingMessage,
    Pair,
    PremiseFacts,
    PremiseQuery,
    ToPair,
    ToPerson,
)

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
# Sends marked done in one write (senders that find what they sent). A crash makes the sender
# look up at most this many (Slack: one conversations.history call each, Tier 3).
FLUSH_EVERY = 50


@dataclass
class DeliveryStats:
    """What one pass of the worker did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    recovered: int = 0  # found already posted after a crash (Slack metadata look-up)
    fanned_out: int = 0  # rows split into one row per conversation
    cancelled: int = 0  # never sent: their premise was gone (conversations/outbox/premise.py)


class NoRoute(Exception):
    """The recipient has no identity on any platform this deployment sends to."""


class _WouldOpen(Exception):
    """Resolving needs a group conversation opened (a platform call): left to the send."""


@dataclass(frozen=True)
class Target:
    """One conversation a message goes to, and the person it reaches there (None: a group)."""

    address: Address
    person_id: int | None = None


Unreachable = Callable[[int, datetime], Awaitable[None]]


class _Lookups:
    """The pairs and identities a batch's messages go to: read for the whole batch in two
    queries up front, then from memory (with a query for anything not preloaded)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.pairs: dict[int, Pair] = {}
        self.identities: dict[int, list[Identity]] = {}

    async def preload(
        self, pair_ids: set[int], person_ids: set[int], known: Callable[[Pair], bool]
    ) -> None:
        """Read these pairs, then the identities of these people and of the partners of every
        pair not `known` (one whose conversation is stored needs no look-up)."""
        if pair_ids:
            self.pairs.update(await self.store.pairs_by_id(pair_ids))
        for pair in self.pairs.values():
            if not known(pair):
                person_ids |= {pair.mentor_id, pair.mentee_id}
        if person_ids:
            self.identities.update(await self.store.identities_of_people(person_ids))

    async def pair(self, pair_id: int) -> Pair | None:
        if pair_id not in self.pairs:
            found = await self.store.get_pair(pair_id)
            if found is None:
                return None
            self.pairs[pair_id] = found
        return self.pairs[pair_id]

    async def identities_of(self, person_id: int) -> list[Identity]:
        if person_id not in self.identities:
            self.identities[person_id] = await self.store.identities_of(person_id)
        return self.identities[person_id]


@dataclass
class _Batch:
    """A leased batch in progress: each recipient's rows not yet sent, the last renewal, and
    the rows sent but not yet marked done (row id → platform message id)."""

    queues: dict[str, list[DueWork]]
    renewed: datetime
    lookups: _Lookups
    messages: dict[int, OutgoingMessage] = field(default_factory=dict)  # decoded, by row id
    sent: dict[int, str] = field(default_factory=dict)
    split: dict[int, str] = field(default_factory=dict)  # rows fanned out → their result
    children: list[NewWork] = field(default_factory=list)  # the rows they were split into
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    commits: _GroupCommit | None = None  # rows marked done at once (senders that cannot look)


class _GroupCommit:
    """Marks sent rows done durably before their senders go on, one write for many.

    A send that finishes while the previous write runs joins the next, which covers every row
    waiting by then: a burst of sends (Teams lets a tenant's go together) costs one or two
    writes instead of one each. Each send still waits until its own row is written, so a
    crash repeats only messages in flight, as when each wrote alone.
    """

    def __init__(self, store: Store) -> None:
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
        batch = _Batch(_by_recipient(rows), self.clock.now(), _Lookups(self.store))
        await self._preload(batch, rows, now, stats)
        waiting = deque(batch.queues.values())  # recipients not started yet, in queue order
        errors: list[Exception] = []

        async def serve() -> None:
            """Take the next recipient not started yet, until none is left (or one failed)."""
            while waiting:
                try:
                    await self._deliver_in_order(batch, waiting.popleft(), now, stats)
                except Exception as error:
                    # Unexpected (a database outage…): start nothing more, let the sends in
                    # flight finish and record their outcome, then fail the tick. Rows not
                    # sent keep their lease and are retried once it expires.
                    errors.append(error)
                    waiting.clear()
                    for queue in batch.queues.values():
                        queue.clear()

        # `concurrency` long-lived servers taking recipients in turn: no task per recipient
        # (most in a big round get one message) and no waiting on the whole running set.
        servers = [asyncio.create_task(serve()) for _ in range(min(self.concurrency, len(waiting)))]
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
        self, batch: _Batch, rows: Sequence[DueWork], now: datetime, stats: DeliveryStats
    ) -> None:
        """Decode the batch's messages, read what they need in two queries (`_Lookups`), split
        the pair messages that go to each partner's own chat (`_split_up_front`), and let the
        senders look up the addresses."""
        pair_ids: set[int] = set()
        person_ids: set[int] = set()
        for row in rows:
            try:
                batch.messages[row.id] = message_from_dict(dict(row.payload))
            except (KeyError, ValueError, TypeError):
                continue  # malformed: `_deliver` fails it
        await self._cancel_stale(batch, stats)
        for message in batch.messages.values():
            if isinstance(message.to, ToPair):
                pair_ids.add(message.to.pair_id)
            elif isinstance(message.to, ToPerson):
                person_ids.add(message.to.person_id)
        await batch.lookups.preload(
            pair_ids, person_ids, known=lambda pair: self._known_conversation(pair) is not None
        )
        if pair_ids:
            await self._split_up_front(batch, rows, now, stats)
        # Then the senders look up what they need for the batch's known addresses together.
        addresses: dict[str, list[Address]] = {}
        for message in batch.messages.values():
            to = message.to
            if isinstance(to, ToPerson):
                try:
                    to = (await self._person_target(batch.lookups, to.person_id)).address
                except NoRoute:
                    continue  # `_deliver` records it
            if isinstance(to, Address) and to.platform in self.senders:
                addresses.setdefault(to.platform, []).append(to)
        for platform, known in addresses.items():
            await self.senders[platform].prepare(known)

    async def _cancel_stale(self, batch: _Batch, stats: DeliveryStats) -> None:
        """Cancel, never send, the batch's messages whose premise is gone (the pair is no
        longer proposed, the person left, the session was reported…), each with the reason.

        The facts of every premise in the batch are read in one call (a few queries), so a
        batch costs the same whether it holds one message or a hundred.
        """
        premises = {
            row_id: message.premise
            for row_id, message in batch.messages.items()
            if message.premise is not None
        }
        if not premises:
            return
        query = PremiseQuery.of(premises.values())
        # A premise that is only a deadline needs no facts.
        facts = await self.store.premise_facts(query) if query else PremiseFacts()
        now = self.clock.now()
        gone: dict[str, list[int]] = {}
        for row_id, premise in premises.items():
            reason = why_gone(premise, facts, now)
            if reason is not None:
                gone.setdefault(reason, []).append(row_id)
        if not gone:
            return
        at = self.clock.now()
        # One write per distinct reason: a batch rarely holds more than one or two.
        for reason, ids in gone.items():
            cancelled = await self.store.cancel(ids, reason=reason, at=at)
            stats.cancelled += len(cancelled)
            log.info("cancelled %d queued message(s): %s", len(cancelled), reason)
        # Dropped whether or not `cancel` changed them: a row it left alone was finished
        # meanwhile by someone else, and is not ours to send either.
        dropped = {row_id for ids in gone.values() for row_id in ids}
        for queue in batch.queues.values():
            queue[:] = [r for r in queue if r.id not in dropped]
        for row_id in dropped:
            del batch.messages[row_id]

    async def _split_up_front(
        self, batch: _Batch, rows: Sequence[DueWork], now: datetime, stats: DeliveryStats
    ) -> None:
        """Split the batch's pair messages that go to each partner's own chat (Teams has no
        group chats; partners on two platforms) before sending, in one write.

        The new rows are queued leased to this worker and sent in this batch: split while
        sending (`_fan_out`), they waited for the next claim, which read, decoded and looked
        up each again. A pair message that needs a group opened first is left to its send.
        """
        parents: dict[int, str] = {}
        children: list[tuple[NewWork, OutgoingMessage]] = []
        for row in rows:
            message = batch.messages.get(row.id)
            if message is None or not isinstance(message.to, ToPair):
                continue
            try:
                targets = await self.resolve(message, batch.lookups, may_open=False)
            except (_WouldOpen, NoRoute, ValueError):
                continue  # opened, or failed, when it is sent
            if len(targets) < 2:
                continue
            children += self._children(message, targets, now, parent=row.id)
            parents[row.id] = f"fanned out to {len(targets)}"
        if not parents:
            return
        lease_until = self.clock.now() + self.lease
        inserted = await self.store.fan_out(
            parents,
            [work for work, _ in children],
            at=self.clock.now(),
            leased_by=self.worker,
            lease_until=lease_until,
        )
        stats.fanned_out += len(parents)
        for queue in batch.queues.values():
            queue[:] = [r for r in queue if r.id not in parents]
        for work, message in children:
            row_id = inserted.get(work.idempotency_key)
            if row_id is None:
                continue  # queued before (a split redone): that row goes out on its own lease
            row = DueWork(row_id, work.kind, work.payload, work.due_at, work.idempotency_key, 1)
            batch.messages[row_id] = message
            batch.queues.setdefault(_recipient_key(row), []).append(row)

    async def _flush(self, batch: _Batch, *, quietly: bool = False) -> None:
        """Write what the batch did so far: the rows sent marked done, the rows split into
        their new rows (each in one write).

        `quietly`: the batch is already failing or stopping; a failed write is only logged
        (the rows keep their lease, are claimed again, and `find_sent` finds them posted).
        """
        sent, batch.sent = batch.sent, {}
        split, batch.split = batch.split, {}
        children, batch.children = batch.children, []
        try:
            if split:
                # Redone harmlessly after a crash: the children's keys are already queued.
                await self.store.fan_out(split, children, at=self.clock.now())
            if sent:
                await self.store.complete_many(sent, at=self.clock.now())
        except Exception:
            if not quietly:
                raise
            log.warning("could not mark %d rows done; they will be redone", len(sent) + len(split))

    async def _deliver_in_order(
        self, batch: _Batch, queue: list[DueWork], now: datetime, stats: DeliveryStats
    ) -> None:
        """One recipient's rows, one after another, each under a lease still ours."""
        while queue:
            await self._renew_if_due(batch)
            if queue:  # the renewal drops rows whose lease another worker took over
                await self._deliver(batch, queue.pop(0), now, stats)

    async def _renew_if_due(self, batch: _Batch) -> None:
        """Extend the leases of every row not yet sent, every third of a lease.

        A slow batch (rate limits, Retry-After) must not outlive its leases: another process
        would take the rest over and send them a second time.
        """
        async with batch.lock:  # one renewal at a time; the others see it done
            if self.clock.now() - batch.renewed < self.lease / 3:
                return
            batch.renewed = self.clock.now()
            await self._flush(batch)  # nor must sends wait longer than this to be marked done
            ids = [r.id for queue in batch.queues.values() for r in queue]
            held = await self.store.renew(
                ids, worker=self.worker, lease_until=batch.renewed + self.lease
            )
            for queue in batch.queues.values():
                queue[:] = [r for r in queue if r.id in held]

    async def _deliver(
        self, batch: _Batch, row: DueWork, now: datetime, stats: DeliveryStats
    ) -> None:
        target: Target | None = None
        try:
            message = batch.messages.get(row.id) or message_from_dict(dict(row.payload))
            targets = await self.resolve(message, batch.lookups)
            if len(targets) > 1:
                self._fan_out(batch, row, message, targets, now)
                stats.fanned_out += 1
                return
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
        except NoRoute as error:
            await self._failed(row, now, stats, str(error), 3600.0, False)
        except (KeyError, ValueError, TypeError) as error:  # a malformed row: never retry
            await self._failed(row, now, stats, f"malformed message: {error!r}", None, True)
        else:
            stats.sent += 1
            await self._done(batch, sender, row, delivery.message_id, now)

    async def _done(
        self, batch: _Batch, sender: Sender, row: DueWork, message_id: str, now: datetime
    ) -> None:
        """Mark a sent row done: with the batch's others where `sender` can find what it
        sent, else at once (see the module docstring)."""
        if not sender.finds_sent:
            if batch.commits is None:
                batch.commits = _GroupCommit(self.store)
            await batch.commits.complete(row.id, message_id, now)
            return
        batch.sent[row.id] = message_id
        if len(batch.sent) >= FLUSH_EVERY:
            await self._flush(batch)

    def _fan_out(
        self,
        batch: _Batch,
        row: DueWork,
        message: OutgoingMessage,
        targets: list[Target],
        now: datetime,
    ) -> None:
        """One row per conversation, so a failure on one side never resends to the other.

        Written with the batch's other splits when the batch ends (`_flush`), in one
        transaction; the new rows are claimed by the next batch.
        """
        split = self._children(message, targets, now, parent=row.id)
        batch.children += [work for work, _ in split]
        batch.split[row.id] = f"fanned out to {len(targets)}"

    @staticmethod
    def _children(
        message: OutgoingMessage, targets: list[Target], now: datetime, *, parent: int
    ) -> list[tuple[NewWork, OutgoingMessage]]:
        """The rows a message (row `parent`) splits into, one per conversation, with their
        messages."""
        children = []
        for target in targets:
            address = target.address
            key = f"{message.idempotency_key}@{address.platform}:{address.conversation_id}"
            metadata = dict(message.metadata)
            if target.person_id is not None:
                metadata["person_id"] = str(target.person_id)
            child = replace(message, to=address, idempotency_key=key, metadata=metadata)
            work = NewWork(DELIVER, message_to_dict(child), now, key, parent=parent)
            children.append((work, child))
        return children

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

    async def resolve(
        self, message: OutgoingMessage, lookups: _Lookups | None = None, *, may_open: bool = True
    ) -> list[Target]:
        """The platform conversations a message goes to (`lookups`: a batch's preloaded
        pairs and identities; without it, the store is asked). Without `may_open`, a pair
        needing a group conversation opened raises `_WouldOpen` instead of opening it."""
        lookups = lookups or _Lookups(self.store)
        to = message.to
        if isinstance(to, Address):
            person = message.metadata.get("person_id", "")
            return [Target(to, int(person) if person.isdigit() else None)]
        if isinstance(to, ToPerson):
            return [await self._person_target(lookups, to.person_id)]
        if isinstance(to, ToPair):
            pair = await lookups.pair(to.pair_id)
            if pair is None:
                raise ValueError(f"pair {to.pair_id} does not exist")
            known = self._known_conversation(pair)
            if known is not None:
                return [Target(known)]
            targets = [
                await self._person_target(lookups, p) for p in (pair.mentor_id, pair.mentee_id)
            ]
            group = await self._group(lookups, pair, targets, may_open)
            return [group] if group is not None else targets
        raise TypeError(f"unknown recipient {to!r}")

    def _known_conversation(self, pair: Pair) -> Address | None:
        """The pair's stored shared conversation on a platform we send to, if any: opened for
        both partners before, so neither needs looking up. The tenant is the token's."""
        for platform in PLATFORM_PREFERENCE:
            known = pair.conversation_ids.get(platform)
            if known and platform in self.senders:
                return Address(platform, "", known)
        return None

    async def _group(
        self, lookups: _Lookups, pair: Pair, targets: list[Target], may_open: bool = True
    ) -> Target | None:
        """The pair's shared conversation, when both are on one platform that has them
        (Slack group DMs; Teams bots cannot create group chats, docs/teams.md)."""
        first, second = (t.address for t in targets)
        if (first.platform, first.tenant_id) != (second.platform, second.tenant_id):
            return None  # a Slack person paired with a Teams person: each on their own
        known = pair.conversation_ids.get(first.platform)
        if known:
            return Target(Address(first.platform, first.tenant_id, known))
        if not self.senders[first.platform].opens_groups:
            return None
        if not may_open:
            raise _WouldOpen(f"pair {pair.id} needs a group opened on {first.platform}")
        users = []
        for target in targets:
            identities = await lookups.identities_of(target.person_id or 0)
            identity = identity_on(identities, first.platform)
            users.append(identity.user_id if identity else "")
        if not all(users):
            return None
        opened = await self.senders[first.platform].open_group(first.tenant_id, users)
        if opened is None:
            return None
        await self.store.set_pair_conversation(pair.id, first.platform, opened)
        # The pair's next rows in this batch go straight to it.
        conversations = {**pair.conversation_ids, first.platform: opened}
        lookups.pairs[pair.id] = replace(pair, conversation_ids=conversations)
        return Target(Address(first.platform, first.tenant_id, opened))

    async def _person_target(self, lookups: _Lookups, person_id: int) -> Target:
        identities = await lookups.identities_of(person_id)
        for platform in PLATFORM_PREFERENCE:
            identity = identity_on(identities, platform)
            if identity is not None and platform in self.senders:
                conversation = identity.dm_conversation_id or identity.user_id
                return Target(Address(platform, identity.tenant_id, conversation), person_id)
        for platform in PLATFORM_PREFERENCE:
            sender = self.senders.get(platform)
            # A platform with no accounts to link (the console inbox) reaches everyone: the
            # person's id is the conversation.
            if sender is not None and getattr(sender, "reaches_everyone", False):
                tenant = str(getattr(sender, "tenant_id", ""))
                return Target(Address(platform, tenant, str(person_id)), person_id)
        raise NoRoute(f"person {person_id} has no identity on {sorted(self.senders)}")


def identity_on(identities: Sequence[Identity], platform: str) -> Identity | None:
    """The identity to use for a person on `platform`, or None: the same one for their DMs and
    their pair's group conversation. One the platform confirmed (a tenant is known) beats a
    roster id; among equals the newest (identities come ordered by id) wins."""
    on = [i for i in identities if i.platform == platform]
    confirmed = [i for i in on if i.tenant_id]
    return (confirmed or on)[-1] if on else None


def _by_recipient(rows: Sequence[DueWork]) -> dict[str, list[DueWork]]:
    """The rows grouped by the recipient named in their payload, groups in queue order."""
    groups: dict[str, list[DueWork]] = {}
    for row in rows:
        groups.setdefault(_recipient_key(row), []).append(row)
    return groups


def _recipient_key(row: DueWork) -> str:
    """Who a row is for, as text: the recipient in its payload."""
    to = row.payload.get("to") if isinstance(row.payload, Mapping) else None
    # A malformed payload gets a group of its own; `_deliver` fails it for good.
    return json.dumps(to, sort_keys=True, default=str) if to else f"row:{row.id}"
