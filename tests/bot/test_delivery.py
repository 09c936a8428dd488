"""The delivery worker on a real store: one row per conversation, group conversations for a
pair on one platform, the crash look-up, retries with backoff, and malformed rows."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta

import pytest

from conversations.outbox import premise
from conversations.outbox.codec import message_to_dict
from conversations.ports import DELIVER, NewWork, SendFailed
from conversations.types import (
    Address,
    Delivery,
    Identity,
    NewPair,
    OutgoingMessage,
    PairStatus,
    PremiseFacts,
    PremiseQuery,
    RosterEntry,
    SessionStatus,
    Status,
    Text,
    ToPair,
    ToPerson,
)
from delivery.stats import DeliveryStats
from delivery.worker import MAX_ATTEMPTS, Deliverer
from storage.store import SqlStore
from tests.fakes import FakeClock, utc

NOW = utc(2027, 2, 1, 10)


class ChatPlatform:
    """A platform with group conversations that can fail on demand, recording what arrived."""

    platform = "slack"
    finds_sent = True
    opens_groups = True  # with `groups=False`, opening answers None as a failed open would

    def __init__(self, clock: FakeClock, *, groups: bool = True) -> None:
        self.clock = clock
        self.groups = groups
        self.posted: list[tuple[str, str]] = []  # (conversation, key)
        self.failures: dict[str, list[SendFailed]] = {}  # conversation -> errors to raise
        self.opened: list[tuple[str, ...]] = []
        self.prepared: list[list[Address]] = []  # the addresses of each batch

    async def send(self, message: OutgoingMessage, address: Address) -> Delivery:
        queue = self.failures.get(address.conversation_id)
        if queue:
            raise queue.pop(0)
        self.posted.append((address.conversation_id, message.idempotency_key))
        return Delivery("slack", f"ts-{len(self.posted)}", address, self.clock.now())

    async def find_sent(self, message: OutgoingMessage, address: Address) -> Delivery | None:
        for n, (conversation, key) in enumerate(self.posted, start=1):
            if (conversation, key) == (address.conversation_id, message.idempotency_key):
                return Delivery("slack", f"ts-{n}", address, self.clock.now())
        return None

    async def prepare(self, addresses: Sequence[Address]) -> None:
        self.prepared.append(list(addresses))

    async def open_group(self, tenant_id: str, user_ids: Sequence[str]) -> str | None:
        if not self.groups:
            return None
        self.opened.append(tuple(user_ids))
        return "G-" + "-".join(user_ids)


async def setup(store: SqlStore) -> tuple[int, int, int]:
    entries = [
        RosterEntry(2, "ana@x.com", "Ana", 2, role=None),
        RosterEntry(3, "femi@x.com", "Femi", 7, role=None),
    ]
    await store.import_roster(entries, deactivate_missing=False, dry_run=False, at=NOW)
    ana = await store.person_by_email("ana@x.com")
    femi = await store.person_by_email("femi@x.com")
    assert ana and femi
    await store.link_identity(Identity(ana.id, "slack", "T1", "UANA", dm_conversation_id="DANA"))
    await store.link_identity(Identity(femi.id, "slack", "T1", "UFEMI", dm_conversation_id="DFE"))
    (pair,) = await store.publish_round(
        [NewPair(ana.id, femi.id, 1.0)], status=PairStatus.ACTIVE, at=NOW
    )
    return ana.id, femi.id, pair.id


async def queue(store: SqlStore, message: OutgoingMessage) -> None:
    await store.schedule(DELIVER, message_to_dict(message), NOW, message.idempotency_key)


def message(to: object, key: str) -> OutgoingMessage:
    return OutgoingMessage(
        to=to,
        kind="test",
        fallback_text="hi",
        blocks=(Text("hi"),),  # type: ignore[arg-type]
        idempotency_key=key,
    )


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
