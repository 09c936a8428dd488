"""The prompts admins added and the topics each pair was given."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from conversations.types import Prompt


class PromptLog(Protocol):
    """Prompts admins added, and the topic each session was given."""

    async def admin_prompts(self) -> list[Prompt]:
        """Prompts admins added, oldest first."""
        ...

    async def add_prompt(self, track: str, text: str, session_number: int | None) -> Prompt:
        """Store a prompt an admin added."""
        ...

    async def used_prompt_keys(self, pair_id: int) -> frozenset[str]:
        """Keys of every prompt the pair was given."""
        ...

    async def record_prompt(
        self, pair_id: int, session_number: int, prompt: Prompt, at: datetime
    ) -> str:
        """Give `prompt` as a session's topic unless it has one; the key given."""
        ...

    async def session_prompt(self, pair_id: int, session_number: int) -> str | None:
        """The key of the topic the pair was given for a session, or None (not yet)."""
        ...
