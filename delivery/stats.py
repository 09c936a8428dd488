"""What one pass of the delivery worker did."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DeliveryStats:
    """What one pass of the worker did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    recovered: int = 0  # found already posted after a crash (Slack metadata look-up)
    fanned_out: int = 0  # rows split into one row per conversation
    cancelled: int = 0  # never sent: their premise was gone (conversations/outbox/premise.py)
