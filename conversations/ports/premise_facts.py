"""The facts a batch of queued messages' premises depend on."""

from __future__ import annotations

from typing import Protocol

from conversations.types import (
    PremiseFacts,
    PremiseQuery,
)


class Premises(Protocol):
    """What delivery asks before sending queued messages (conversations/outbox/premise.py)."""

    async def premise_facts(self, query: PremiseQuery) -> PremiseFacts:
        """The current state of every pair, person and session `query` names, and which of
        its `unpaired` people are now in a proposed or active pair: a few queries for a whole
        batch, never one per message."""
        ...
