"""The due_work queue: dedup, claim order and limit, leases, retries, concurrency."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from conversations.ports import NewWork
from storage.models import DueWorkRow
from storage.store import SqlStore

T0 = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
NEW_YORK = ZoneInfo("America/New_York")


async def test_schedule_deduplicates_by_key(store: SqlStore) -> None:
    assert await store.schedule("deliver", {"n": 1}, T0, "intro:1") is True
    assert await store.schedule("deliver", {"n": 2}, T0 + MIN, "intro:1") is False
    [work] = await store.claim(T0, limit=10, lease_until=T0 + MIN, worker="w1")
    assert work.payload == {"n": 1} and work.attempts == 1 and work.idempotency_key == "intro:1"
    assert work.due_at == T0 and work.due_at.tzinfo is not None


async def test_claim_takes_due_rows_oldest_first_up_to_the_limit(store: SqlStore) -> None:
    for minutes in (5, 1, 3, 9):
        await store.schedule("deliver", {}, T0 + minutes * MIN, f"k{minutes}")
    # A due time given in another zone is the same instant.
    await store.schedule("deliver", {}, (T0 + 2 * MIN).astimezone(NEW_YORK), "k2")
    now = T0 + 6 * MIN
    first = await store.claim(now, limit=2, lease_until=now + MIN, worker="w1")
    assert [w.idempotency_key for w in first] == ["k1", "k2"]
    rest = await store.claim(now, limit=10, lease_until=now + MIN, worker="w1")
    assert [w.idempotency_key for w in rest] == ["k3", "k5"]  # k9 is not due yet
    assert await store.claim(now, limit=10, lease_until=now + MIN, worker="w1") == []
    assert await store.queue_counts() == {
        "pending": 1,
        "leased": 4,
        "done": 0,
        "failed": 0,
        "cancelled": 0,
    }


async def test_cancel_stops_unsent_rows_for_good_and_leaves_sent_ones(store: SqlStore) -> None:
    for key in ("sent", "leased", "pending", "failed", "later"):
        await store.schedule("deliver", {"k": key}, T0 + (MIN if key == "later" else 0 * MIN), key)
    sent, leased, pending, failed = await store.claim(T0, limit=4, lease_until=T0 + MIN, worker="w")
    await store.complete(sent.id, at=T0, result="ts=1")
    await store.fail(pending.id, error="429", at=T0, retry_at=T0 + MIN)
    await store.fail(failed.id, error="channel_not_found", at=T0, retry_at=None)
    ids = [sent.id, leased.id, pending.id, failed.id]

    cancelled = await store.cancel(ids, reason="cancelled: premise gone", at=T0 + MIN)

    assert cancelled == {leased.id, pending.id, failed.id}  # the sent row stays done
    counts = await store.queue_counts()
    assert counts == {"pending": 1, "leased": 0, "done": 1, "failed": 0, "cancelled": 3}
    # The worker that held the lease no longer does: it must not send the row.
    assert await store.renew([leased.id], worker="w", lease_until=T0 + 2 * MIN) == set()
    [later] = await store.claim(T0 + 9 * MIN, limit=10, lease_until=T0 + 10 * MIN, worker="w")
    assert later.idempotency_key == "later"  # cancelled rows are never claimed again
    async with store._sessions() as session:
        rows = {r.id: r for r in await session.scalars(select(DueWorkRow))}
    assert {rows[i].last_error for i in cancelled} == {"cancelled: premise gone"}
    assert rows[sent.id].status == "done" and rows[sent.id].result == "ts=1"
    assert await store.cancel([sent.id, leased.id], reason="again", at=T0) == set()


async def test_expired_lease_is_reclaimed(store: SqlStore) -> None:
    await store.schedule("deliver", {}, T0, "k")
    [crashed] = await store.claim(T0, limit=1, lease_until=T0 + MIN, worker="w1")
    assert await store.claim(T0 + MIN, limit=1, lease_until=T0 + 2 * MIN, worker="w2") == []
    [redo] = await store.claim(T0 + 2 * MIN, limit=1, lease_until=T0 + 3 * MIN, worker="w2")
    assert redo.id == crashed.id and redo.attempts == 2


async def test_complete_and_fail_with_and_without_retry(store: SqlStore) -> None:
    for key in ("ok", "retry", "dead"):
        await store.schedule("deliver", {}, T0, key)
    ok, retry, dead = await store.claim(T0, limit=3, lease_until=T0 + MIN, worker="w")
    await store.complete(ok.id, at=T0, result="ts=1")
    await store.fail(retry.id, error="429", at=T0, retry_at=T0 + 10 * MIN)
    await store.fail(dead.id, error="channel_not_found", at=T0, retry_at=None)

    assert await store.queue_counts() == {
        "pending": 1,
        "leased": 0,
        "done": 1,
        "failed": 1,
        "cancelled": 0,
    }
    assert await store.claim(T0 + 9 * MIN, limit=5, lease_until=T0 + 20 * MIN, worker="w") == []
    [again] = await store.claim(T0 + 10 * MIN, limit=5, lease_until=T0 + 20 * MIN, worker="w")
    assert again.id == retry.id and again.attempts == 2
    [failed] = await store.failed_work()
    assert failed.id == dead.id and failed.extra["last_error"] == "channel_not_found"
    assert failed.extra["done_at"] == T0


async def test_rows_are_completed_and_split_in_one_write_each(store: SqlStore) -> None:
    for key in ("a", "b", "pair"):
        await store.schedule("deliver", {"to": key}, T0, key)
    claimed = {w.idempotency_key: w.id for w in await store.claim(
        T0, limit=10, lease_until=T0 + MIN, worker="w1"
    )}  # fmt: skip
    await store.complete_many({claimed["a"]: "ts-1", claimed["b"]: "ts-2"}, at=T0)
    children = [NewWork("deliver", {"to": side}, T0, f"pair@{side}") for side in ("x", "y")]
    await store.fan_out({claimed["pair"]: "fanned out to 2"}, children, at=T0)
    # Redone after a crash: the children exist already and are not queued twice.
    await store.fan_out({claimed["pair"]: "fanned out to 2"}, children, at=T0)
    assert await store.queue_counts() == {
        "pending": 2,
        "leased": 0,
        "done": 3,
        "failed": 0,
        "cancelled": 0,
    }
    async with store._sessions() as session:
        results = dict(
            (await session.execute(select(DueWorkRow.idempotency_key, DueWorkRow.result))).all()
        )
    assert results["a"] == "ts-1" and results["pair"] == "fanned out to 2"
    ready = await store.claim(T0, limit=10, lease_until=T0 + MIN, worker="w1")
    assert sorted(w.idempotency_key for w in ready) == ["pair@x", "pair@y"]


async def test_concurrent_claimers_never_share_a_row(store: SqlStore) -> None:
    for i in range(200):
        await store.schedule("deliver", {"i": i}, T0, f"k{i}")

    async def drain(worker: str) -> list[int]:
        claimed: list[int] = []
        while batch := await store.claim(T0, limit=7, lease_until=T0 + MIN, worker=worker):
            claimed += [w.id for w in batch]
        return claimed

    results = await asyncio.gather(*(drain(f"w{n}") for n in range(4)))
    everything = [work_id for claimed in results for work_id in claimed]
    assert len(everything) == len(set(everything)) == 200


async def test_claim_skips_rows_locked_by_another_claimer(store: SqlStore, db_backend: str) -> None:
    if db_backend != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers instead")
    await store.schedule("deliver", {}, T0, "first")
    await store.schedule("deliver", {}, T0 + MIN, "second")
    async with store._sessions() as holder, holder.begin():
        # Another replica is mid-claim and holds the oldest row.
        await holder.execute(
            select(DueWorkRow.id).where(DueWorkRow.idempotency_key == "first").with_for_update()
        )
        claim = store.claim(T0 + MIN, limit=5, lease_until=T0 + 2 * MIN, worker="w2")
        claimed = await asyncio.wait_for(claim, timeout=10)
    assert [w.idempotency_key for w in claimed] == ["second"]


async def test_a_row_cancelled_under_a_workers_lease_stays_cancelled(store: SqlStore) -> None:
    """`forget` cancels (and strips) rows a worker has already claimed: the worker finishing
    afterwards must neither complete nor retry them, nor split a pair message into children
    that carry the full payload again."""
    for key in ("sent", "retried", "dead", "pair", "other"):
        await store.schedule("deliver", {"to": "Ana Lopez", "k": key}, T0, key)
    rows = await store.claim(T0, limit=10, lease_until=T0 + MIN, worker="w1")
    claimed = {w.idempotency_key: w.id for w in rows}
    gone = [claimed[k] for k in ("sent", "retried", "dead", "pair")]
    assert await store.cancel(gone, reason="cancelled: forgotten", at=T0) == set(gone)

    await store.complete(claimed["sent"], at=T0 + MIN, result="ts=1")
    await store.fail(claimed["retried"], error="429 for U0ANA", at=T0, retry_at=T0 + MIN)
    await store.fail(claimed["dead"], error="not_in_channel U0ANA", at=T0, retry_at=None)
    children = [
        NewWork("deliver", {"to": "Ana Lopez", "side": side}, T0, f"{key}@{side}", parent=parent)
        for key, parent in (("pair", claimed["pair"]), ("other", claimed["other"]))
        for side in ("x", "y")
    ]
    inserted = await store.fan_out(
        {claimed["pair"]: "fanned out to 2", claimed["other"]: "fanned out to 2"},
        children,
        at=T0,
        leased_by="w1",
        lease_until=T0 + MIN,
    )

    # Only the row still leased was split.
    assert sorted(inserted) == ["other@x", "other@y"]
    async with store._sessions() as session:
        found = {r.idempotency_key: r for r in await session.scalars(select(DueWorkRow))}
    for key in ("sent", "retried", "dead", "pair"):
        assert found[key].status == "cancelled", key
        assert found[key].last_error == "cancelled: forgotten", key
        assert found[key].result is None, key
    assert found["other"].status == "done" and found["other"].result == "fanned out to 2"
    assert "pair@x" not in found and "pair@y" not in found
    # Nothing comes back: the cancelled rows are never claimed again.
    later = await store.claim(T0 + 9 * MIN, limit=10, lease_until=T0 + 10 * MIN, worker="w2")
    assert sorted(w.idempotency_key for w in later) == ["other@x", "other@y"]


async def test_a_split_without_parent_ids_queues_nothing_once_a_parent_is_cancelled(
    store: SqlStore,
) -> None:
    await store.schedule("deliver", {"to": "pair"}, T0, "pair")
    [row] = await store.claim(T0, limit=1, lease_until=T0 + MIN, worker="w1")
    await store.cancel([row.id], reason="cancelled: forgotten", at=T0)
    children = [NewWork("deliver", {"to": side}, T0, f"pair@{side}") for side in ("x", "y")]
    assert await store.fan_out({row.id: "fanned out to 2"}, children, at=T0) == {}
    assert (await store.queue_counts())["cancelled"] == 1
    assert (await store.queue_counts())["pending"] == 0


async def test_completing_a_row_whose_lease_was_taken_over_still_marks_it_done(
    store: SqlStore,
) -> None:
    """Exactly-once relies on idempotency keys, not on who holds the lease: a slow worker
    finishing a row another worker reclaimed marks it done, as before."""
    await store.schedule("deliver", {}, T0, "k")
    [slow] = await store.claim(T0, limit=1, lease_until=T0 + MIN, worker="w1")
    [_] = await store.claim(T0 + 2 * MIN, limit=1, lease_until=T0 + 3 * MIN, worker="w2")
    await store.complete(slow.id, at=T0 + 2 * MIN, result="ts=1")
    assert (await store.queue_counts())["done"] == 1
