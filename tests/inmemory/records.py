"""Three small ports in memory: `AuditLog`, `Concerns` and `Premises` (as
`storage.sql_audit`, `storage.sql_concerns` and `storage.sql_premises`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from conversations.types import (
    AuditEntry,
    ConcernCounts,
    PremiseFacts,
    PremiseQuery,
    SessionFact,
    WaitingConcern,
)
from tests.inmemory.tables import ConcernRow, Tables


class FakeAuditLog(Tables):
    """Who did what, append-only."""

    async def record(self, actor: str, action: str, detail: str, *, at: datetime) -> None:
        """Append one entry."""
        self.audit_log.append(AuditEntry(actor, action, detail, at))

    async def recent(self, limit: int = 50) -> list[AuditEntry]:
        """The latest entries, newest first (by time, then by order written)."""
        order = sorted(range(len(self.audit_log)), key=lambda n: (self.audit_log[n].at, n))
        return [self.audit_log[n] for n in reversed(order)][:limit]


class FakeConcerns(Tables):
    """Confidential concerns: counted, never listed; one that reached nobody is passed on."""

    def _waiting(self, concern: ConcernRow) -> bool:
        return not concern.sent_to and concern.sender_id is not None

    async def add_concern(
        self,
        sender_id: int,
        pair_id: int | None,
        text: str,
        sent_to: Sequence[int],
        *,
        at: datetime,
    ) -> int:
        """Store one concern and whom it went to; its id."""
        concern_id = self.next_id("concerns")
        self.concerns[concern_id] = ConcernRow(
            concern_id, sender_id, pair_id, text, list(sent_to), at
        )
        return concern_id

    async def concerns_raised_by(self, sender_id: int, since: datetime) -> int:
        """How many concerns this person raised at or after `since`."""
        return sum(
            1 for c in self.concerns.values() if c.sender_id == sender_id and c.raised_at >= since
        )

    async def concern_counts(self) -> ConcernCounts:
        """Concerns raised, and those waiting (reached nobody, sender not forgotten)."""
        waiting = sum(1 for c in self.concerns.values() if self._waiting(c))
        return ConcernCounts(raised=len(self.concerns), undelivered=waiting)

    async def undelivered_concerns(self) -> list[WaitingConcern]:
        """The waiting concerns, oldest first."""
        return [
            WaitingConcern(c.id, c.sender_id, c.pair_id, c.text, c.raised_at)
            for _, c in sorted(self.concerns.items())
            if self._waiting(c) and c.sender_id is not None
        ]

    async def mark_concern_sent(self, concern_id: int, sent_to: Sequence[int]) -> bool:
        """Record whom a waiting concern went to; False when it was not waiting any more."""
        concern = self.concerns.get(concern_id)
        if concern is None or not self._waiting(concern):
            return False
        concern.sent_to = list(sent_to)
        return True


class FakePremises(Tables):
    """What the delivery worker asks before sending a batch."""

    async def premise_facts(self, query: PremiseQuery) -> PremiseFacts:
        """The state now of every pair, person and session `query` names, and which of its
        `unpaired` people are in a proposed or active pair."""
        if not query:
            return PremiseFacts()
        pairs = {i: self.pairs[i].status for i in query.pair_ids if i in self.pairs}
        people = {i: self.people[i].status for i in query.person_ids if i in self.people}
        sessions = {
            key: SessionFact(s.status, s.due_date, s.reported_by is not None)
            for key in query.sessions
            if (s := self.sessions.get(key)) is not None
        }
        in_open = {
            who for p in self.pairs.values() if p.status.open for who in (p.mentor_id, p.mentee_id)
        }
        return PremiseFacts(pairs, people, sessions, frozenset(query.unpaired & in_open))
