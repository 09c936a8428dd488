"""Confidential concerns in the real tables: stored apart, counted, and erased by `forget`."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.models import ConcernRow
from storage.store import SqlStore
from tests.storage.test_storage_erasure import T0, _pair, _people


async def _rows(store: SqlStore) -> list[ConcernRow]:
    async with store._sessions() as session:
        return list(await session.scalars(select(ConcernRow).order_by(ConcernRow.id)))


async def test_concerns_are_stored_with_whom_they_went_to_and_counted(store: SqlStore) -> None:
    ids = await _people(store)
    assert (await store.concern_counts()).raised == 0
    first = await store.add_concern(ids["ana"], None, "worried", [ids["bo"]], at=T0)
    second = await store.add_concern(ids["bo"], None, "nobody to tell", [], at=T0)
    assert second > first
    counts = await store.concern_counts()
    assert (counts.raised, counts.undelivered) == (2, 1)
    row = (await _rows(store))[0]
    assert (row.sender_id, row.text, row.sent_to, row.recipients) == (
        ids["ana"],
        "worried",
        [ids["bo"]],
        1,
    )
    assert row.raised_at == T0
    assert await store.concerns_raised_by(ids["ana"], T0) == 1
    assert await store.concerns_raised_by(ids["ana"], T0 + timedelta(seconds=1)) == 0
    assert await store.concerns_raised_by(ids["femi"], T0) == 0


async def test_forget_erases_the_senders_concerns_and_scrubs_others_naming_them(
    store: SqlStore,
) -> None:
    ids = await _people(store)
    pair = await _pair(store, ids["ana"], ids["femi"], [])
    await store.add_concern(ids["ana"], pair, "Femi was rude", [ids["bo"]], at=T0)
    await store.add_concern(ids["ana"], None, "and nobody reads this", [], at=T0)
    await store.add_concern(ids["femi"], pair, "I worry about Ana's workload", [], at=T0)
    await store.add_concern(ids["bo"], None, "Ana Lopez said something odd", [], at=T0)
    await store.add_concern(ids["bo"], None, "Ana Diaz is lovely", [], at=T0)
    await store.forget(ids["ana"], at=T0)
    rows = await _rows(store)
    assert [(r.sender_id, r.pair_id, r.text) for r in rows[:2]] == [(None, None, "")] * 2
    pseudonym = f"forgotten-{ids['ana']}@invalid"
    # Within Ana's pair her first name is enough; elsewhere only her full name counts.
    assert rows[2].text == f"I worry about {pseudonym}'s workload"
    assert rows[3].text == f"{pseudonym} said something odd"
    assert rows[4].text == "Ana Diaz is lovely"
    # A forgotten sender's concern no longer waits for anyone: its text is gone.
    counts = await store.concern_counts()
    assert (counts.raised, counts.undelivered) == (5, 3)


async def test_waiting_concerns_are_listed_oldest_first_and_marked_sent_once(
    store: SqlStore,
) -> None:
    ids = await _people(store)
    pair = await _pair(store, ids["ana"], ids["femi"], [])
    await store.add_concern(ids["ana"], None, "delivered", [ids["bo"]], at=T0)
    first = await store.add_concern(ids["ana"], pair, "waits", [], at=T0)
    second = await store.add_concern(ids["bo"], None, "waits too", [], at=T0 + timedelta(hours=1))
    forgotten = await store.add_concern(ids["femi"], None, "gone", [], at=T0)
    await store.forget(ids["femi"], at=T0)
    waiting = await store.undelivered_concerns()
    assert [(w.id, w.sender_id, w.text, w.raised_at) for w in waiting] == [
        (first, ids["ana"], "waits", T0),
        (second, ids["bo"], "waits too", T0 + timedelta(hours=1)),
    ]
    assert waiting[0].pair_id == pair and waiting[1].pair_id is None
    assert await store.mark_concern_sent(first, [ids["bo"]]) is True
    # A second process that also passed it on finds it no longer waiting.
    assert await store.mark_concern_sent(first, [ids["bo"]]) is False
    assert await store.mark_concern_sent(forgotten, [ids["bo"]]) is False
    assert [w.id for w in await store.undelivered_concerns()] == [second]
    row = next(r for r in await _rows(store) if r.id == first)
    assert (row.sent_to, row.recipients, row.text) == ([ids["bo"]], 1, "waits")
    assert (await store.concern_counts()).undelivered == 1
