"""A leased batch's bookkeeping (`delivery.batch.Batch`): what a lease renewal keeps."""

from __future__ import annotations

from conversations.ports import DELIVER, DueWork
from conversations.types import Address, OutgoingMessage, Text
from delivery.batch import Batch
from delivery.routing import Lookups
from tests.delivery.support import NOW
from tests.fakes import FakeStore


def row(row_id: int, conversation: str) -> tuple[DueWork, OutgoingMessage]:
    """A row to one conversation, with its message."""
    to = Address("slack", "T1", conversation)
    message = OutgoingMessage(
        to=to, kind="test", fallback_text="hi", blocks=(Text("hi"),), idempotency_key=f"k{row_id}"
    )
    payload = {"to": {"platform": "slack", "conversation_id": conversation}}
    return DueWork(row_id, DELIVER, payload, NOW, f"k{row_id}", attempts=1), message


def test_a_renewal_drops_only_the_rows_it_asked_about_and_no_longer_holds() -> None:
    (a, _), (b, _), (c, _) = row(1, "DA"), row(2, "DB"), row(3, "DA")
    batch = Batch.of([a, b, c], NOW, Lookups(FakeStore()))
    asked = batch.unsent()
    # While the renewal waits for storage, another server splits a row: its new rows are
    # leased to this batch and admitted, unasked.
    child = row(4, "DB")
    batch.admit([child])
    batch.keep_only({1}, asked=asked)  # rows 2 and 3 were taken over by another worker
    assert batch.unsent() == [1, 4]
    assert batch.messages[4] == child[1]
