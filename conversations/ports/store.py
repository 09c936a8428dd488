"""`Store`: every storage port on one object (what `storage.store.SqlStore` implements)."""

from __future__ import annotations

from typing import Protocol

from conversations.ports.answers import Answers
from conversations.ports.audit import AuditLog
from conversations.ports.concern_box import Concerns
from conversations.ports.directory import Directory
from conversations.ports.pair_book import Pairs
from conversations.ports.premise_facts import Premises
from conversations.ports.prompt_log import PromptLog
from conversations.ports.queue import WorkQueue
from conversations.ports.reports import Reports
from conversations.ports.sessions import Sessions
from conversations.ports.waiting import WaitingLines


class Store(
    Directory,
    AuditLog,
    WorkQueue,
    Pairs,
    Sessions,
    PromptLog,
    Answers,
    WaitingLines,
    Reports,
    Premises,
    Concerns,
    Protocol,
):
    """Everything the engine needs from storage, for the composition root and SQL tests; a
    handler asks for the ports it uses (`conversations.context.Context`)."""
