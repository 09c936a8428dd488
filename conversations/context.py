"""What a handler works with: `Context` (the ports, configuration, time, chance and the
outbox) and `Turn` (the event being answered). Handlers take these, never the `Engine`, so
the engine can import every handler while no handler imports the engine
(docs/architecture.md, "An inbound message")."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from conversations.config import AppConfig
from conversations.data.catalogue import configured_prompts
from conversations.outbox.queueing import Outbox
from conversations.ports import (
    AdminLinks,
    Answers,
    AuditLog,
    Clock,
    Concerns,
    Directory,
    Pairs,
    PromptLog,
    Reports,
    Sessions,
    Store,
    WaitingLines,
    WorkQueue,
)
from conversations.types import Address, Person, Prompt


@dataclass(frozen=True)
class Turn:
    """One event being handled: who sent it, where to answer, and when."""

    person: Person | None
    reply_to: Address
    now: datetime
    is_admin: bool


@dataclass(frozen=True)
class Context:
    """The engine's world for one process: each storage role as its own field (in production
    all the same `SqlStore`), so a handler shows which ones it reads and writes."""

    people: Directory
    pairs: Pairs
    sessions: Sessions
    prompt_log: PromptLog
    answers: Answers
    waiting: WaitingLines
    queue: WorkQueue
    audit: AuditLog
    reports: Reports
    concerns: Concerns
    config: AppConfig
    clock: Clock
    rng: random.Random
    outbox: Outbox
    # The shipped catalogue plus app.yaml's own prompts; `prompt add` ones live in the store.
    prompts: tuple[Prompt, ...]
    worker: str = "engine"
    links: AdminLinks | None = None  # signed dashboard/export links, when the web is configured

    @classmethod
    def of(
        cls,
        store: Store,
        config: AppConfig,
        clock: Clock,
        rng: random.Random,
        *,
        worker: str = "engine",
        links: AdminLinks | None = None,
    ) -> Context:
        """Every port from the one store that implements them all."""
        return cls(
            people=store,
            pairs=store,
            sessions=store,
            prompt_log=store,
            answers=store,
            waiting=store,
            queue=store,
            audit=store,
            reports=store,
            concerns=store,
            config=config,
            clock=clock,
            rng=rng,
            outbox=Outbox(store, config, clock),
            prompts=configured_prompts(config),
            worker=worker,
            links=links,
        )
