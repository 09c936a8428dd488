"""Failures on a real store: a send taken before a crash is found not repeated, retries
back off then give up, a malformed row fails at once, and a slow batch keeps its leases."""

from __future__ import annotations

import random
from datetime import timedelta

from conversations.ports import DELIVER, SendFailed
from conversations.types import Address, Delivery, OutgoingMessage, ToPerson
from delivery.worker import MAX_ATTEMPTS, Deliverer
from storage.store import SqlStore
from tests.delivery.support import NOW, ChatPlatform, message, queue, setup
from tests.fakes import FakeClock


async def test_a_send_accepted_before_a_crash_is_found_not_repeated(store: SqlStore) -> None:
    ana, _, _ = await setup(store)
    clock = FakeClock(NOW)
    chat = ChatPlatform(clock)
    await queue(store, message(ToPerson(ana), "welcome:1"))
    # A worker leases the row and the platform takes the message, then the process dies
    # before the row is marked done.
    (row,) = await store.claim(NOW, limit=10, lease_until=NOW + timedelta(minutes=2), worker="a")
    await chat.send(message(ToPerson(ana), "welcome:1"), Address("slack", "T1", "DANA"))
    # After the lease expires another worker picks it up and looks before sending.
    later = NOW + timedelta(minutes=3)
    stats = await Deliverer(store, {"slack": chat}, clock, random.Random(1)).deliver_due(later)
    assert (stats.recovered, stats.sent) == (1, 0)
    assert chat.posted == [("DANA", "welcome:1")]
    assert row.attempts == 1


async def test_failures_back_off_then_give_up_and_report(store: SqlStore) -> None:
    ana, _, _ = await setup(store)
    clock = FakeClock(NOW)
    chat = ChatPlatform(clock)
    chat.failures["DANA"] = [SendFailed("internal_error") for _ in range(MAX_ATTEMPTS)]
    worker = Deliverer(store, {"slack": chat}, clock, random.Random(1))
    await queue(store, message(ToPerson(ana), "welcome:1"))
    when = NOW
    for _ in range(MAX_ATTEMPTS):
        await worker.deliver_due(when)
        when += timedelta(hours=2)  # past any backoff (capped at an hour)
    (failed,) = await store.failed_work()
    assert failed.extra["last_error"] == "internal_error" and chat.posted == []


async def test_a_malformed_row_fails_at_once(store: SqlStore) -> None:
    await setup(store)
    clock = FakeClock(NOW)
    await store.schedule(DELIVER, {"to": {"kind": "nowhere"}}, NOW, "bad:1")
    stats = await Deliverer(
        store, {"slack": ChatPlatform(clock)}, clock, random.Random(1)
    ).deliver_due(NOW)
    assert stats.failed == 1
    (failed,) = await store.failed_work()
    assert failed.extra["last_error"].startswith("malformed message")


class SlowPlatform(ChatPlatform):
    """Every send takes a minute of (simulated) time: a batch outlives its first leases."""

    async def send(self, message: OutgoingMessage, address: Address) -> Delivery:
        self.clock.advance(minutes=1)
        return await super().send(message, address)


async def test_a_slow_batch_keeps_its_leases_and_never_sends_what_another_took(
    store: SqlStore,
) -> None:
    ana, _, _ = await setup(store)
    clock = FakeClock(NOW)
    chat = SlowPlatform(clock)
    for n in range(6):
        await queue(store, message(ToPerson(ana), f"note:{n}"))
    worker = Deliverer(store, {"slack": chat}, clock, random.Random(1), worker="a")
    original = store.renew
    taken_by_b: list[str] = []

    async def renew_watched(ids, *, worker, lease_until):  # type: ignore[no-untyped-def]
        # Process b looks for expired leases at every renewal: while a renews in time (every
        # 40 s of a 2-minute lease, with 1-minute sends) there is nothing for it to take.
        assert await store.claim(clock.now(), limit=10, lease_until=clock.now(), worker="b") == []
        if len(chat.posted) == 3 and not taken_by_b:
            # Now a stalls past its lease (a long pause): b takes a row over.
            later = clock.now() + timedelta(minutes=5)
            rows = await store.claim(later, limit=1, lease_until=later, worker="b")
            taken_by_b.extend(r.idempotency_key for r in rows)
        return await original(ids, worker=worker, lease_until=lease_until)

    store.renew = renew_watched  # type: ignore[method-assign]
    stats = await worker.deliver_due(NOW)
    assert len(taken_by_b) == 1 and stats.sent == 5
    sent_keys = [key for _, key in chat.posted]
    assert taken_by_b[0] not in sent_keys and len(sent_keys) == len(set(sent_keys))
