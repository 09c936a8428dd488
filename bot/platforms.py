"""Which chat platforms this deployment talks to, from the environment."""

from __future__ import annotations

from bot.settings import Settings
from conversations.ports import Sender


def configured_senders(settings: Settings) -> list[Sender]:
    """The senders of every platform whose credentials are set.

    Slack and Teams senders arrive with their adapters; until then nothing is configured and
    queued messages wait.
    """
    del settings
    return []
