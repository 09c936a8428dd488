"""Typed lines the bot waits for (`pending_inputs`, one per person), over the `WaitingLines`
port. A concern half-told is *kept*: no later question may take over its words
(docs/architecture.md, "An inbound message")."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from conversations.ports import WaitingLines
from conversations.types import PendingInput

CONCERN_TEXT = "concern.text"  # a concern's words, typed after `concern` or its button
# Kinds nothing may take over once asked for: a concern half-told must never become a pulse
# comment or an end-of-pairing reason.
KEPT = frozenset({CONCERN_TEXT})


async def expect_line(
    waiting: WaitingLines,
    person_id: int,
    kind: str,
    context: Mapping[str, int | str],
    until: datetime,
    now: datetime,
) -> bool:
    """Wait for this person's next typed line as an answer of `kind` (until `until`),
    replacing an earlier question. False, and nothing changes, while they are in the middle
    of telling me a concern: a later question must never capture those words."""
    asked = await waiting.take_pending_input(person_id, now)
    if asked is not None and asked.kind in KEPT and asked.kind != kind:
        await waiting.set_pending_input(person_id, asked.kind, asked.context, asked.expires_at)
        return False
    await waiting.set_pending_input(person_id, kind, context, until)
    return True


async def drop_line(
    waiting: WaitingLines, person_id: int, kind: str, now: datetime
) -> PendingInput | None:
    """Stop waiting for a typed line of `kind`; what was waited for (None: not that).
    Anything else waited for keeps waiting: skipping a pulse comment must not drop a
    concern being written."""
    asked = await waiting.take_pending_input(person_id, now)
    if asked is not None and asked.kind != kind:
        await waiting.set_pending_input(person_id, asked.kind, asked.context, asked.expires_at)
        return None
    return asked
