"""A pair's messages on a real store: one shared conversation where the platform has
them, else one row per conversation, split before or while sending and sent in the same
batch."""

from __future__ import annotations

import random
from datetime import timedelta

from conversations.outbox.codec import message_to_dict
from conversations.ports import DELIVER, NewWork, SendFailed
from conversations.types import Address, ToPair
from delivery.worker import Deliverer
from storage.store import SqlStore
from tests.delivery.support import NOW, ChatPlatform, message, queue, setup
from tests.fakes import FakeClock


async def test_a_pair_on_one_platform_shares_one_conversation(store: SqlStore) -> None:
    _, _, pair_id = await setup(store)
    clock = FakeClock(NOW)
    chat = ChatPlatform(clock)
    worker = Deliverer(store, {"slack": chat}, clock, random.Random(1))
    await queue(store, message(ToPair(pair_id), "intro:1"))
    await queue(store, message(ToPair(pair_id), "prompt:1"))
    stats = await worker.deliver_due(NOW)
    assert stats.sent == 2
    assert chat.posted == [("G-UANA-UFEMI", "intro:1"), ("G-UANA-UFEMI", "prompt:1")]
    assert chat.opened == [("UANA", "UFEMI")]  # opened once, then cached in the database
    pair = await store.get_pair(pair_id)
    assert pair is not None and pair.conversation_ids == {"slack": "G-UANA-UFEMI"}


async def test_without_groups_each_partner_gets_a_row_of_their_own(store: SqlStore) -> None:
    _, _, pair_id = await setup(store)
    clock = FakeClock(NOW)
    chat = ChatPlatform(clock, groups=False)
    # Femi's side fails once: Ana's copy must not be sent again when Femi's is retried.
    chat.failures["DFE"] = [SendFailed("ratelimited", retry_after=30)]
    worker = Deliverer(store, {"slack": chat}, clock, random.Random(1))
    await queue(store, message(ToPair(pair_id), "nudge:1"))
    first = await worker.deliver_due(NOW)
    assert (first.fanned_out, first.sent, first.retried) == (1, 1, 1)
    again = await worker.deliver_due(NOW + timedelta(seconds=31))
    assert again.sent == 1
    assert sorted(chat.posted) == [("DANA", "nudge:1@slack:DANA"), ("DFE", "nudge:1@slack:DFE")]


async def test_a_split_found_while_sending_goes_out_in_the_same_batch(store: SqlStore) -> None:
    _, _, pair_id = await setup(store)
    clock = FakeClock(NOW)
    chat = ChatPlatform(clock, groups=False)  # the group DM cannot be opened: found at the send
    worker = Deliverer(store, {"slack": chat}, clock, random.Random(1))
    await queue(store, message(ToPair(pair_id), "nudge:1"))
    claims: list[int] = []
    real_claim = store.claim

    async def claim(*args, **kwargs):  # type: ignore[no-untyped-def]
        rows = await real_claim(*args, **kwargs)
        claims.append(len(rows))
        return rows

    store.claim = claim  # type: ignore[method-assign]
    stats = await worker.deliver_due(NOW)
    assert (stats.fanned_out, stats.sent) == (1, 2)
    assert claims == [1, 0]  # the new rows were leased to the batch that split them
    assert chat.prepared[-1] == [Address("slack", "T1", "DANA"), Address("slack", "T1", "DFE")]
    assert sorted(chat.posted) == [("DANA", "nudge:1@slack:DANA"), ("DFE", "nudge:1@slack:DFE")]
    assert (await store.queue_counts())["done"] == 3


async def test_where_groups_cannot_exist_a_pair_is_split_and_sent_in_the_same_batch(
    store: SqlStore,
) -> None:
    _, _, pair_id = await setup(store)
    clock = FakeClock(NOW)
    chat = ChatPlatform(clock)
    chat.opens_groups = False  # as Teams: the split needs no platform call
    chat.failures["DFE"] = [SendFailed("ratelimited", retry_after=30)]
    worker = Deliverer(store, {"slack": chat}, clock, random.Random(1))
    await queue(store, message(ToPair(pair_id), "nudge:1"))
    first = await worker.deliver_due(NOW)
    # One pass: split, then both sides tried (one claim, not a second for the new rows).
    assert (first.fanned_out, first.sent, first.retried) == (1, 1, 1)
    assert chat.opened == [] and chat.prepared[-1] == [
        Address("slack", "T1", "DANA"),
        Address("slack", "T1", "DFE"),
    ]
    assert await store.queue_counts() == {
        "pending": 1,
        "leased": 0,
        "done": 2,
        "failed": 0,
        "cancelled": 0,
    }
    again = await worker.deliver_due(NOW + timedelta(seconds=31))
    assert again.sent == 1 and again.fanned_out == 0
    assert sorted(chat.posted) == [("DANA", "nudge:1@slack:DANA"), ("DFE", "nudge:1@slack:DFE")]


async def test_rows_split_up_front_and_left_by_a_crash_are_sent_once_their_lease_ends(
    store: SqlStore,
) -> None:
    _, _, pair_id = await setup(store)
    clock = FakeClock(NOW)
    await queue(store, message(ToPair(pair_id), "nudge:1"))
    (row,) = await store.claim(NOW, limit=10, lease_until=NOW + timedelta(minutes=2), worker="a")
    children = [
        NewWork(
            DELIVER,
            message_to_dict(message(Address("slack", "T1", d), f"nudge:1@{d}")),
            NOW,
            f"nudge:1@{d}",
        )
        for d in ("DANA", "DFE")
    ]
    inserted = await store.fan_out(
        {row.id: "fanned out to 2"},
        children,
        at=NOW,
        leased_by="a",
        lease_until=NOW + timedelta(minutes=2),
    )
    assert sorted(inserted) == ["nudge:1@DANA", "nudge:1@DFE"]
    # Worker "a" dies here. Nobody else may take the new rows while its lease lasts…
    chat = ChatPlatform(clock)
    worker = Deliverer(store, {"slack": chat}, clock, random.Random(1), worker="b")
    assert (await worker.deliver_due(NOW + timedelta(minutes=1))).sent == 0
    # …and then they go, each once, looked for first (their first attempt was "a"'s).
    stats = await worker.deliver_due(NOW + timedelta(minutes=3))
    assert stats.sent == 2 and sorted(k for _, k in chat.posted) == ["nudge:1@DANA", "nudge:1@DFE"]
    # Splitting again (a parent redone) queues nothing twice.
    assert await store.fan_out({row.id: "fanned out to 2"}, children, at=NOW) == {}
