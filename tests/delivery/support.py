"""What the delivery tests share: a chat platform that records what arrived and fails on
demand, two people and their pair on a real store, and queued messages."""

from __future__ import annotations

from collections.abc import Sequence

from conversations.outbox.codec import message_to_dict
from conversations.ports import DELIVER, SendFailed
from conversations.types import (
    Address,
    Delivery,
    Identity,
    NewPair,
    OutgoingMessage,
    PairStatus,
    RosterEntry,
    Text,
)
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
