"""Marking sends done on a real store: at once where the platform cannot look (sends
finishing together share a write), together where it can (a crash before the write is
harmless)."""

from __future__ import annotations

import asyncio
import random

import pytest

from conversations.types import Address, Delivery, OutgoingMessage, ToPerson
from delivery.worker import Deliverer
from storage.store import SqlStore
from tests.delivery.support import NOW, ChatPlatform, message, queue, setup
from tests.fakes import FakeClock


class NoLookupPlatform(ChatPlatform):
    """Teams-like: cannot find what it sent. Records how many rows were done at each send."""

    finds_sent = False

    def __init__(self, clock: FakeClock, store: SqlStore) -> None:
        super().__init__(clock)
        self.store = store
        self.done_at_send: list[int] = []

    async def send(self, message: OutgoingMessage, address: Address) -> Delivery:
        self.done_at_send.append((await self.store.queue_counts())["done"])
        return await super().send(message, address)

    async def find_sent(self, message: OutgoingMessage, address: Address) -> Delivery | None:
        return None


async def test_without_a_look_up_each_send_is_marked_done_before_the_next(
    store: SqlStore,
) -> None:
    ana, _, _ = await setup(store)
    clock = FakeClock(NOW)
    chat = NoLookupPlatform(clock, store)
    for n in range(3):
        await queue(store, message(ToPerson(ana), f"note:{n}"))
    stats = await Deliverer(store, {"slack": chat}, clock, random.Random(1)).deliver_due(NOW)
    assert stats.sent == 3
    # A crash can only repeat the message in flight: the ones before it are already done.
    assert chat.done_at_send == [0, 1, 2]


class TogetherPlatform(NoLookupPlatform):
    """Teams-like, with sends held until `width` are in flight, so they finish together (as a
    burst the tenant's pacer lets go at once). Records, per key, which messages were durably
    done when it was sent."""

    def __init__(self, clock: FakeClock, store: SqlStore, width: int) -> None:
        super().__init__(clock, store)
        self.together = asyncio.Barrier(width)
        self.durable: set[str] = set()  # message ids whose rows a write marked done
        self.durable_at_send: dict[str, set[str]] = {}  # key → keys durable when it was sent

    async def send(self, message: OutgoingMessage, address: Address) -> Delivery:
        keys = {self.posted[int(i.split("-")[1]) - 1][1] for i in self.durable}
        self.durable_at_send[message.idempotency_key] = keys
        await self.together.wait()
        return await super().send(message, address)


def recording_writes(store: SqlStore, chat: TogetherPlatform, fail: bool = False) -> list[int]:
    """Wrap `complete_many`: the size of each write, and the message ids made durable."""
    writes: list[int] = []
    real = store.complete_many

    async def complete_many(results: dict[int, str], *, at: object) -> None:
        writes.append(len(results))
        if fail:
            raise ConnectionError("the database went away")
        await real(results, at=at)  # type: ignore[arg-type]
        chat.durable |= set(results.values())

    store.complete_many = complete_many  # type: ignore[method-assign]
    return writes


async def test_sends_finishing_together_share_a_write_and_each_waits_for_its_own(
    store: SqlStore,
) -> None:
    clock = FakeClock(NOW)
    chat = TogetherPlatform(clock, store, width=4)
    for n in range(2):
        for c in range(4):
            await queue(store, message(Address("slack", "T1", f"D{c}"), f"note:{c}:{n}"))
    writes = recording_writes(store, chat)
    worker = Deliverer(store, {"slack": chat}, clock, random.Random(1), concurrency=4)
    stats = await worker.deliver_due(NOW)
    assert stats.sent == 8 and (await store.queue_counts())["done"] == 8
    assert sum(writes) == 8 and len(writes) < 8  # the first send's write, then the rest's
    for c in range(4):  # nobody's second message went before their first was durably done
        assert f"note:{c}:0" in chat.durable_at_send[f"note:{c}:1"]


async def test_a_failed_shared_write_fails_every_send_in_it_and_loses_none(
    store: SqlStore,
) -> None:
    clock = FakeClock(NOW)
    chat = TogetherPlatform(clock, store, width=4)
    for c in range(4):
        await queue(store, message(Address("slack", "T1", f"D{c}"), f"note:{c}"))
    recording_writes(store, chat, fail=True)
    worker = Deliverer(store, {"slack": chat}, clock, random.Random(1), concurrency=4)
    with pytest.raises(ConnectionError):  # the failed write fails the pass
        await worker.deliver_due(NOW)
    assert (await store.queue_counts())["done"] == 0  # none marked done without its write
    del store.complete_many  # the database is back
    clock.advance(minutes=3)  # the leases run out
    chat.together = asyncio.Barrier(1)
    stats = await worker.deliver_due(clock.now())
    # Teams cannot look, so the four in flight at the failure go again; nothing is lost.
    assert stats.sent == 4 and (await store.queue_counts())["done"] == 4
    assert len(chat.posted) == 8


async def test_sends_marked_done_together_survive_a_crash_before_the_write(
    store: SqlStore,
) -> None:
    """Where the platform can find what it sent, a batch's sends are marked done in one write;
    when that write never happens, the rows come back and the look-up finds them posted."""
    ana, femi, _ = await setup(store)
    clock = FakeClock(NOW)
    chat = ChatPlatform(clock)
    for n in range(3):
        await queue(store, message(ToPerson(ana), f"note:{n}"))
        await queue(store, message(ToPerson(femi), f"memo:{n}"))
    real_complete_many = store.complete_many
    writes: list[int] = []

    async def crash(results: object, *, at: object) -> None:
        raise ConnectionError("the database went away")

    store.complete_many = crash  # type: ignore[method-assign]
    worker = Deliverer(store, {"slack": chat}, clock, random.Random(1))
    try:
        await worker.deliver_due(NOW)
    except ConnectionError:
        pass
    else:
        raise AssertionError("the failed write must fail the pass")

    async def counting(results: dict[int, str], *, at: object) -> None:
        writes.append(len(results))
        await real_complete_many(results, at=at)  # type: ignore[arg-type]

    store.complete_many = counting  # type: ignore[method-assign]
    assert len(chat.posted) == 6 and (await store.queue_counts())["done"] == 0
    clock.advance(minutes=3)  # the leases run out; the rows are claimed again
    stats = await worker.deliver_due(clock.now())
    assert (stats.sent, stats.recovered) == (0, 6)
    assert len(chat.posted) == 6  # nothing sent twice
    assert writes == [6]  # one write for the whole batch
    assert (await store.queue_counts())["done"] == 6
