"""`Outbox`: how the engine queues a message for later (docs/architecture.md, "A scheduled
message"): under its idempotency key, or at a person's next delivery slot; and when and
under which key a welcome is queued."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from conversations.config import AppConfig
from conversations.outbox.codec import message_to_dict
from conversations.outbox.timing import next_slot, zone
from conversations.ports import DELIVER, Clock, WorkQueue
from conversations.types import OutgoingMessage, Person


@dataclass(frozen=True)
class Outbox:
    """Puts messages on the durable queue; a key already queued is skipped."""

    queue_port: WorkQueue
    config: AppConfig
    clock: Clock

    async def queue(self, outgoing: Sequence[OutgoingMessage], due_at: datetime) -> int:
        """Put messages on the delivery queue; a key already queued is skipped."""
        added = 0
        for message in outgoing:
            if not message.idempotency_key:
                raise ValueError(f"queued message {message.kind!r} has no idempotency key")
            added += await self.queue_port.schedule(
                DELIVER, message_to_dict(message), due_at, message.idempotency_key
            )
        return added

    async def for_person(self, person: Person, message: OutgoingMessage) -> int:
        """Queue a scheduled message for the person's next delivery slot (quiet hours)."""
        tz = zone(person.timezone, self.config.programme.timezone)
        due = next_slot(self.clock.now(), tz, self.config.programme)
        return await self.queue([message], due)

    def welcome_due(self, person: Person) -> datetime:
        """When the person's welcome goes out: the first delivery hour in their zone after
        they were enrolled (after now, for someone with no enrolment time)."""
        tz = zone(person.timezone, self.config.programme.timezone)
        return next_slot(person.enrolled_at or self.clock.now(), tz, self.config.programme)


def welcome_key(person: Person) -> str:
    """The queued welcome's key: by the enrolment, so someone who leaves and is enrolled
    again is welcomed again."""
    stamp = person.enrolled_at.strftime("%Y%m%dT%H%M%S") if person.enrolled_at else "0"
    return f"welcome:{person.id}:{stamp}"
