"""What a batch reads on a real store: its pairs and people once, the senders'
addresses before sending, and its messages' premises in one check."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta

from conversations.outbox import premise
from conversations.types import (
    Address,
    PremiseFacts,
    PremiseQuery,
    SessionStatus,
    Status,
    ToPair,
    ToPerson,
)
from delivery.stats import DeliveryStats
from delivery.worker import Deliverer
from storage.store import SqlStore
from tests.delivery.support import NOW, ChatPlatform, message, queue, setup
from tests.fakes import FakeClock


async def test_a_batch_reads_its_pairs_and_people_once_not_per_row(store: SqlStore) -> None:
    ana, femi, pair_id = await setup(store)
    clock = FakeClock(NOW)
    chat = ChatPlatform(clock)
    await queue(store, message(ToPair(pair_id), "intro:1"))
    for n in range(3):
        await queue(store, message(ToPerson(ana), f"note:{n}"))
        await queue(store, message(ToPerson(femi), f"memo:{n}"))
    one_by_one: list[str] = []
    real_get_pair, real_identities_of = store.get_pair, store.identities_of

    async def get_pair(pair_id: int) -> object:
        one_by_one.append("get_pair")
        return await real_get_pair(pair_id)

    async def identities_of(person_id: int) -> object:
        one_by_one.append("identities_of")
        return await real_identities_of(person_id)

    store.get_pair = get_pair  # type: ignore[assignment,method-assign]
    store.identities_of = identities_of  # type: ignore[assignment,method-assign]
    stats = await Deliverer(store, {"slack": chat}, clock, random.Random(1)).deliver_due(NOW)
    assert stats.sent == 7
    assert one_by_one == []  # all from the batch's two look-ups


async def test_senders_are_given_each_batchs_addresses_before_sending(store: SqlStore) -> None:
    ana, femi, _ = await setup(store)
    clock = FakeClock(NOW)
    chat = ChatPlatform(clock)
    await queue(store, message(ToPerson(ana), "note:1"))
    await queue(store, message(Address("slack", "T1", "DFE"), "note:2"))
    await Deliverer(store, {"slack": chat}, clock, random.Random(1)).deliver_due(NOW)
    (prepared,) = chat.prepared
    assert sorted(a.conversation_id for a in prepared) == ["DANA", "DFE"]
    assert femi  # reached by the address in the message itself


async def test_messages_whose_premise_is_gone_are_cancelled_in_one_check_per_batch(
    store: SqlStore,
) -> None:
    ana, femi, pair_id = await setup(store)
    await store.create_sessions(pair_id, [date(2027, 3, 1), date(2027, 3, 29), date(2027, 4, 26)])
    await store.report_session(pair_id, 1, status=SessionStatus.MET, by=ana, at=NOW)
    # Marked missed by the bot for lack of an answer: a late "we met" is still welcome.
    await store.report_session(pair_id, 3, status=SessionStatus.MISSED, by=None, at=NOW)
    await store.set_status(ana, Status.ENROLLED, at=NOW)
    await store.set_status(femi, Status.LEFT, at=NOW)
    clock = FakeClock(NOW)
    chat = ChatPlatform(clock)
    cases = {
        "intro": premise.pair_active(pair_id),  # holds
        "preview": premise.pair_proposed(pair_id),
        "welcome-ana": premise.taking_part(ana),  # holds
        "welcome-femi": premise.taking_part(femi),
        "ask-1": premise.session_open(pair_id, 1, date(2027, 3, 1)),
        "ask-2": premise.session_open(pair_id, 2, date(2027, 3, 29)),  # holds
        "ask-3": premise.session_open(pair_id, 3, date(2027, 4, 26)),  # holds
        "ask-2-old-date": premise.session_open(pair_id, 2, date(2027, 3, 22)),
        "ask-9": premise.session_open(pair_id, 9, date(2027, 3, 1)),
        "unmatched-ana": premise.still_unmatched(ana),
        "gone-pair": premise.pair_exists(pair_id + 100),
    }
    for key, condition in cases.items():
        await queue(store, replace(message(ToPerson(ana), key), premise=condition))
    checks: list[int] = []
    real_facts = store.premise_facts

    async def premise_facts(query: PremiseQuery) -> PremiseFacts:
        checks.append(len(query.pair_ids) + len(query.person_ids) + len(query.sessions))
        return await real_facts(query)

    store.premise_facts = premise_facts  # type: ignore[method-assign]
    stats = await Deliverer(store, {"slack": chat}, clock, random.Random(1)).deliver_due(NOW)
    assert len(checks) == 1  # the whole batch in one call, not one per message
    assert sorted(key for _, key in chat.posted) == ["ask-2", "ask-3", "intro", "welcome-ana"]
    assert stats.sent == 4 and stats.cancelled == 7
    reasons = {w.idempotency_key: w.extra["last_error"] for w in await store.cancelled_work()}
    gone = "premise gone"
    assert reasons == {
        "preview": f"{gone}: pair {pair_id} is active, no longer proposed",
        "welcome-femi": f"{gone}: person {femi} no longer takes part (left)",
        "ask-1": f"{gone}: session 1 of pair {pair_id} is already reported (met)",
        "ask-2-old-date": f"{gone}: session 2 of pair {pair_id} moved to 2027-03-29",
        "ask-9": f"{gone}: session 9 of pair {pair_id} no longer exists",
        "unmatched-ana": f"{gone}: person {ana} has a partner now",
        "gone-pair": f"{gone}: pair {pair_id + 100} no longer exists",
    }
    assert (await store.queue_counts())["cancelled"] == 7
    # Nothing is left to claim: a cancelled row is never retried.
    assert (
        await Deliverer(store, {"slack": chat}, clock, random.Random(1)).deliver_due(
            NOW + timedelta(days=1)
        )
        == DeliveryStats()
    )


async def test_a_reply_past_its_deadline_is_cancelled_without_asking_storage(
    store: SqlStore,
) -> None:
    ana, _, _ = await setup(store)
    clock = FakeClock(NOW)
    chat = ChatPlatform(clock)
    late = premise.by_then(None, NOW - timedelta(minutes=1))
    fresh = premise.by_then(None, NOW + timedelta(minutes=9))
    await queue(store, replace(message(ToPerson(ana), "reply:late"), premise=late))
    await queue(store, replace(message(ToPerson(ana), "reply:fresh"), premise=fresh))
    asked: list[PremiseQuery] = []
    real_facts = store.premise_facts

    async def premise_facts(query: PremiseQuery) -> PremiseFacts:
        asked.append(query)
        return await real_facts(query)

    store.premise_facts = premise_facts  # type: ignore[method-assign]
    stats = await Deliverer(store, {"slack": chat}, clock, random.Random(1)).deliver_due(NOW)
    assert [key for _, key in chat.posted] == ["reply:fresh"]
    assert stats.sent == 1 and stats.cancelled == 1
    assert asked == []  # a deadline needs no facts
    (cancelled,) = await store.cancelled_work()
    assert cancelled.idempotency_key == "reply:late"
    assert "stale" in cancelled.extra["last_error"]
