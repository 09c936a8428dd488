"""The `WorkQueue` port's contract (and the queue figures of `Reports`) on every store
(`any_store`): keys, leases, completion, failure, cancelling and fan-out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from conversations.ports import NewWork, Store
from tests.storage.contract import T0

MINUTE = timedelta(minutes=1)
LEASE = T0 + 5 * MINUTE


async def _claim(
    store: Store,
    at: datetime = T0,
    *,
    limit: int = 10,
    worker: str = "w1",
    kinds: Sequence[str] | None = None,
) -> list[str]:
    """The keys of the rows `worker` claims at `at`."""
    rows = await store.claim(at, limit=limit, lease_until=LEASE, worker=worker, kinds=kinds)
    return [row.idempotency_key for row in rows]


async def test_a_key_is_queued_once_whatever_became_of_it(any_store: Store) -> None:
    assert await any_store.schedule("deliver", {"n": 1}, T0, "k1")
    assert not await any_store.schedule("deliver", {"n": 2}, T0, "k1")
    [row] = await any_store.claim(T0, limit=5, lease_until=LEASE, worker="w1")
    assert (row.kind, dict(row.payload), row.attempts) == ("deliver", {"n": 1}, 1)
    await any_store.complete(row.id, at=T0, result="ts1")
    assert not await any_store.schedule("deliver", {"n": 3}, T0, "k1")
    assert await any_store.done_at("k1") == T0
    assert await any_store.waiting_until("k1") is None


async def test_claim_takes_due_rows_oldest_first_by_kind_and_limit(any_store: Store) -> None:
    await any_store.schedule("deliver", {}, T0 + MINUTE, "late")
    await any_store.schedule("deliver", {}, T0 - MINUTE, "early")
    await any_store.schedule("nudge", {}, T0 - 2 * MINUTE, "work")
    await any_store.schedule("deliver", {}, T0 + 9 * MINUTE, "future")
    assert await _claim(any_store, T0 + MINUTE, limit=0) == []
    assert await _claim(any_store, T0 + MINUTE, kinds=["deliver"], limit=1) == ["early"]
    assert await _claim(any_store, T0 + MINUTE) == ["work", "late"]
    assert await _claim(any_store, T0 + MINUTE) == []
    assert await any_store.waiting_until("future") == T0 + 9 * MINUTE
    assert await any_store.waiting_until("early") == T0 - MINUTE  # leased: not out yet


async def test_an_expired_lease_is_claimed_again_and_renew_keeps_only_ones_own(
    any_store: Store,
) -> None:
    await any_store.schedule("deliver", {}, T0, "k")
    [row] = await any_store.claim(T0, limit=5, lease_until=LEASE, worker="w1")
    assert await _claim(any_store, LEASE, worker="w2") == []  # not expired yet at its end
    assert await any_store.renew([row.id], worker="w1", lease_until=LEASE + MINUTE) == {row.id}
    [again] = await any_store.claim(
        LEASE + 2 * MINUTE, limit=5, lease_until=LEASE + 9 * MINUTE, worker="w2"
    )
    assert (again.id, again.attempts) == (row.id, 2)
    assert await any_store.renew([row.id], worker="w1", lease_until=LEASE) == set()
    assert await any_store.renew([row.id], worker="w2", lease_until=LEASE) == {row.id}
    assert await any_store.renew([], worker="w2", lease_until=LEASE) == set()


async def test_failures_retry_or_end_and_a_rate_limit_is_no_attempt(any_store: Store) -> None:
    await any_store.schedule("deliver", {}, T0, "k")
    [row] = await any_store.claim(T0, limit=5, lease_until=LEASE, worker="w1")
    await any_store.fail(row.id, error="429", at=T0, retry_at=T0 + MINUTE, count_attempt=False)
    assert await any_store.waiting_until("k") == T0 + MINUTE
    [row] = await any_store.claim(T0 + MINUTE, limit=5, lease_until=LEASE, worker="w1")
    assert row.attempts == 1
    await any_store.fail(row.id, error="boom", at=T0 + MINUTE, retry_at=T0 + 2 * MINUTE)
    [row] = await any_store.claim(T0 + 2 * MINUTE, limit=5, lease_until=LEASE, worker="w1")
    assert row.attempts == 2
    await any_store.fail(row.id, error="gone", at=T0 + 3 * MINUTE, retry_at=None)
    assert await any_store.waiting_until("k") is None and await any_store.done_at("k") is None
    [failed] = await any_store.failed_work()
    assert (failed.idempotency_key, failed.extra["last_error"]) == ("k", "gone")
    assert failed.extra["done_at"] == T0 + 3 * MINUTE
    await any_store.fail(row.id, error="again", at=T0, retry_at=T0)  # not leased: no change
    assert (await any_store.queue_counts())["failed"] == 1


async def test_cancel_stops_unsent_rows_only_and_they_stay_cancelled(any_store: Store) -> None:
    for key in ("pending", "leased", "done"):
        await any_store.schedule("deliver", {"text": key}, T0, key)
    rows = await any_store.claim(T0, limit=2, lease_until=LEASE, worker="w1")
    ids = {row.idempotency_key: row.id for row in rows}
    await any_store.complete(ids["pending"], at=T0, result="x")  # the first claimed: done
    done_id, leased_id = ids["pending"], ids["leased"]
    [pending] = await any_store.claim(T0, limit=5, lease_until=LEASE, worker="w1")
    cancelled = await any_store.cancel(
        [done_id, leased_id, pending.id, 999], reason="premise gone", at=T0 + MINUTE
    )
    assert cancelled == {leased_id, pending.id}
    await any_store.complete(leased_id, at=T0 + MINUTE, result="late")
    await any_store.fail(pending.id, error="late", at=T0 + MINUTE, retry_at=None)
    counts = await any_store.queue_counts()
    assert counts == {"pending": 0, "leased": 0, "done": 1, "failed": 0, "cancelled": 2}
    latest = await any_store.cancelled_work(limit=1)
    assert [(dict(w.payload), w.extra["last_error"]) for w in latest] == [({}, "premise gone")]
    assert latest[0].id == max(leased_id, pending.id)
    assert await any_store.done_at("pending") == T0


async def test_fan_out_completes_parents_and_queues_children_of_kept_ones(
    any_store: Store,
) -> None:
    await any_store.schedule("deliver", {}, T0, "p1")
    await any_store.schedule("deliver", {}, T0, "p2")
    await any_store.schedule("deliver", {}, T0, "seen")
    rows = await any_store.claim(T0, limit=3, lease_until=LEASE, worker="w1")
    p1, p2, seen = (row.id for row in rows)
    await any_store.cancel([p2], reason="forgotten", at=T0)
    children = [
        NewWork("deliver", {"to": "a"}, T0, "p1:a", parent=p1),
        NewWork("deliver", {"to": "b"}, T0, "p1:b", parent=p1),
        NewWork("deliver", {"to": "c"}, T0, "p2:c", parent=p2),
        NewWork("deliver", {"to": "d"}, T0, "seen", parent=p1),  # a key queued before
    ]
    inserted = await any_store.fan_out(
        {p1: "split", p2: "split"}, children, at=T0, leased_by="w1", lease_until=LEASE
    )
    assert set(inserted) == {"p1:a", "p1:b"}
    assert await any_store.done_at("p1") == T0 and await any_store.done_at("p2") is None
    assert await _claim(any_store, T0) == []  # the children are leased to w1 already
    assert await any_store.renew(list(inserted.values()), worker="w1", lease_until=LEASE) == set(
        inserted.values()
    )
    # A child naming no parent is queued only when every parent was kept.
    orphan = [NewWork("deliver", {}, T0, "orphan")]
    assert await any_store.fan_out({p2: "x"}, orphan, at=T0) == {}
    free = await any_store.fan_out({seen: "x"}, orphan, at=T0)
    assert list(free) == ["orphan"]
    assert await any_store.waiting_until("orphan") == T0


async def test_fan_out_leaves_a_parent_another_worker_leased_since(any_store: Store) -> None:
    await any_store.schedule("deliver", {"n": 1}, T0, "p")
    [mine] = await any_store.claim(T0, limit=5, lease_until=LEASE, worker="w1")
    # w1 stalls past its lease; w2 claims the row again and now holds it.
    [theirs] = await any_store.claim(
        LEASE + MINUTE, limit=5, lease_until=LEASE + 9 * MINUTE, worker="w2"
    )
    assert theirs.id == mine.id
    children = [NewWork("deliver", {"to": "a"}, T0, "p:a", parent=mine.id)]
    inserted = await any_store.fan_out(
        {mine.id: "split"}, children, at=T0, leased_by="w1", lease_until=LEASE + 2 * MINUTE
    )
    assert inserted == {}  # nothing queued from a row that is no longer w1's
    assert await any_store.done_at("p") is None and await any_store.waiting_until("p:a") is None
    # w2's lease is untouched: it still holds the row and can split (or send) it.
    held = await any_store.renew([mine.id], worker="w2", lease_until=LEASE + 9 * MINUTE)
    assert held == {mine.id}
    again = await any_store.fan_out(
        {mine.id: "split"}, children, at=T0, leased_by="w2", lease_until=LEASE + 9 * MINUTE
    )
    assert list(again) == ["p:a"] and await any_store.done_at("p") == T0
