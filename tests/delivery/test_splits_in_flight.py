"""A split found while sending, on a real store, while the batch goes on around it: a lease
renewal running meanwhile keeps the new rows, and what fails after the split is not counted
against the row that was split."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence

import pytest

from conversations.ports import SendFailed
from conversations.types import Address, Delivery, OutgoingMessage, ToPair, ToPerson
from delivery.worker import Deliverer
from storage.store import SqlStore
from tests.delivery.support import NOW, ChatPlatform, message, queue, setup
from tests.fakes import FakeClock


class SplitDuringRenewal(ChatPlatform):
    """A pair's group DM cannot be opened (the split is found at the send), and the open only
    answers once a lease renewal is waiting on storage. Every send takes a minute, so the
    batch renews its leases after the first one."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock, groups=False)
        self.renewing = asyncio.Event()  # a renewal is waiting on storage
        self.split = asyncio.Event()  # the split's rows are admitted to the batch

    async def open_group(self, tenant_id: str, user_ids: Sequence[str]) -> str | None:
        await self.renewing.wait()
        return None

    async def send(self, message: OutgoingMessage, address: Address) -> Delivery:
        self.clock.advance(minutes=1)
        return await super().send(message, address)

    async def prepare(self, addresses: Sequence[Address]) -> None:
        await super().prepare(addresses)
        if self.renewing.is_set():  # the split's own rows, prepared once admitted
            self.split.set()


async def test_a_renewal_in_flight_keeps_the_rows_a_split_admits_meanwhile(
    store: SqlStore,
) -> None:
    ana, _, pair_id = await setup(store)
    clock = FakeClock(NOW)
    chat = SplitDuringRenewal(clock)
    await queue(store, message(ToPair(pair_id), "nudge:1"))
    for n in (1, 2):
        await queue(store, message(ToPerson(ana), f"note:{n}"))
    real_renew = store.renew

    async def renew(ids, *, worker, lease_until):  # type: ignore[no-untyped-def]
        if not chat.split.is_set():  # the first renewal waits until the split is in
            chat.renewing.set()
            await chat.split.wait()
        return await real_renew(ids, worker=worker, lease_until=lease_until)

    store.renew = renew  # type: ignore[method-assign]
    worker = Deliverer(store, {"slack": chat}, clock, random.Random(1), concurrency=2)
    async with asyncio.timeout(10):  # a guard only: the events above order everything
        stats = await worker.deliver_due(NOW)
    assert chat.split.is_set()  # the split happened while the renewal waited
    assert (stats.fanned_out, stats.sent) == (1, 4)
    assert sorted(key for _, key in chat.posted) == [
        "note:1",
        "note:2",
        "nudge:1@slack:DANA",
        "nudge:1@slack:DFE",
    ]
    counts = await store.queue_counts()
    assert (counts["done"], counts["leased"]) == (5, 0)  # none left waiting for its lease


class PrepareFails(ChatPlatform):
    """The pair's group DM cannot be opened; looking up the split's addresses fails once."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock, groups=False)
        self.fail_next_prepare = False

    async def open_group(self, tenant_id: str, user_ids: Sequence[str]) -> str | None:
        self.fail_next_prepare = True  # the next look-up is the split's
        return None

    async def prepare(self, addresses: Sequence[Address]) -> None:
        if self.fail_next_prepare:
            self.fail_next_prepare = False
            raise SendFailed("lookup failed", permanent=True)
        await super().prepare(addresses)


async def test_a_failure_after_a_split_is_not_counted_against_the_row_split(
    store: SqlStore, caplog: pytest.LogCaptureFixture
) -> None:
    _, _, pair_id = await setup(store)
    clock = FakeClock(NOW)
    chat = PrepareFails(clock)
    await queue(store, message(ToPair(pair_id), "nudge:1"))
    worker = Deliverer(store, {"slack": chat}, clock, random.Random(1))
    with caplog.at_level(logging.WARNING, logger="delivery.worker"):
        # The split is written (the row is done), then its look-up fails: the pass fails as
        # on any unexpected error, not the row split, which has nothing left to do.
        with pytest.raises(SendFailed, match="lookup failed"):
            await worker.deliver_due(NOW)
    assert "giving up" not in caplog.text
    assert await store.failed_work() == []
    assert await store.done_at("nudge:1") == NOW
    assert (await store.queue_counts())["leased"] == 2  # the split's rows, still ours
    clock.advance(minutes=3)  # their lease runs out: they go out, each once
    stats = await worker.deliver_due(clock.now())
    assert (stats.sent, stats.failed, stats.retried, stats.fanned_out) == (2, 0, 0, 0)
    assert sorted(chat.posted) == [("DANA", "nudge:1@slack:DANA"), ("DFE", "nudge:1@slack:DFE")]
