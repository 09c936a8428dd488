"""The delivery worker: sends queued messages exactly once, with retries and backoff.

Rows of kind `deliver` in `due_work` hold one `OutgoingMessage` each. A batch is leased, each
message is sent outside any transaction, and the row is marked done with the platform's message
id. A crash leaves the lease to expire, so another process (or the restart) sends it.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from conversations.codec import message_from_dict
from conversations.engine import DELIVER
from conversations.ports import Clock, DueWork, Sender, SendFailed, Store
from conversations.types import Address, OutgoingMessage, ToPair, ToPerson

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 8
BASE_BACKOFF = 5.0  # seconds; doubles per attempt, with jitter, capped at an hour
PLATFORM_PREFERENCE = ("slack", "teams", "console")


@dataclass
class DeliveryStats:
    """What one pass of the worker did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0


class NoRoute(Exception):
    """The recipient has no identity on any platform this deployment sends to."""


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
    ) -> None:
        self.store = store
        self.senders = dict(senders)
        self.clock = clock
        self.rng = rng
        self.worker = worker
        self.batch = batch

    async def deliver_due(self, now: datetime | None = None) -> DeliveryStats:
        """Send everything due by `now`, batch after batch, until nothing is left."""
        now = now or self.clock.now()
        stats = DeliveryStats()
        while True:
            rows = await self.store.claim(
                now,
                limit=self.batch,
                lease_until=now + LEASE,
                worker=self.worker,
                kinds=[DELIVER],
            )
            for row in rows:
                await self._deliver(row, now, stats)
            if len(rows) < self.batch:
                return stats

    async def _deliver(self, row: DueWork, now: datetime, stats: DeliveryStats) -> None:
        try:
            message = message_from_dict(dict(row.payload))
            addresses = await self.resolve(message)
            ids = []
            for address in addresses:
                delivery = await self.senders[address.platform].send(message, address)
                ids.append(delivery.message_id)
        except SendFailed as error:
            await self._failed(row, now, stats, error.reason, error.retry_after, error.permanent)
        except NoRoute as error:
            await self._failed(row, now, stats, str(error), 3600.0, False)
        except (KeyError, ValueError, TypeError) as error:  # a malformed row: never retry
            await self._failed(row, now, stats, f"malformed message: {error!r}", None, True)
        else:
            await self.store.complete(row.id, at=now, result=",".join(ids))
            stats.sent += 1

    async def _failed(
        self,
        row: DueWork,
        now: datetime,
        stats: DeliveryStats,
        reason: str,
        retry_after: float | None,
        permanent: bool,
    ) -> None:
        if permanent or row.attempts >= MAX_ATTEMPTS:
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
            row.id, error=reason, at=now, retry_at=now + timedelta(seconds=retry_after)
        )
        stats.retried += 1

    async def resolve(self, message: OutgoingMessage) -> list[Address]:
        """The platform conversations a message goes to."""
        to = message.to
        if isinstance(to, Address):
            return [to]
        if isinstance(to, ToPerson):
            return [await self._person_address(to.person_id)]
        if isinstance(to, ToPair):
            # Each partner's own conversation with the bot (Teams cannot make group chats; a
            # Slack group DM per pair arrives with the Slack adapter).
            pair = await self.store.get_pair(to.pair_id)
            if pair is None:
                raise ValueError(f"pair {to.pair_id} does not exist")
            return [await self._person_address(p) for p in (pair.mentor_id, pair.mentee_id)]
        raise TypeError(f"unknown recipient {to!r}")

    async def _person_address(self, person_id: int) -> Address:
        identities = {i.platform: i for i in await self.store.identities_of(person_id)}
        for platform in PLATFORM_PREFERENCE:
            identity = identities.get(platform)
            if identity is not None and platform in self.senders:
                conversation = identity.dm_conversation_id or identity.user_id
                return Address(platform, identity.tenant_id, conversation)
        raise NoRoute(f"person {person_id} has no identity on {sorted(self.senders)}")
