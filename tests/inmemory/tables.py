"""The rows every in-memory port reads and writes: one `Tables` object per fake store.

Each port's fake (`tests.inmemory.*`) is a mixin over these tables, the way each
`storage/sql_*.py` repository works on the same database: a pair written by the pairs fake is
what the premises fake and the reports fake read.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Collection, Iterator
from datetime import datetime
from typing import Any

from conversations.insights.openness import OpenWindow
from conversations.insights.windows import PublishedWindow, WindowKey
from conversations.types import AuditEntry, Identity, Pair, PendingInput, Person, Session


class PersonNotFound(LookupError):
    """No person has the id given (as `storage.base.PersonNotFound`: a LookupError)."""


class PairNotFound(LookupError):
    """No pair has the id given (as `storage.sql_pairs.PairNotFound`: a LookupError)."""


@dataclasses.dataclass
class WorkRow:
    """One row of the `due_work` queue."""

    id: int
    kind: str
    payload: dict[str, Any]
    due_at: datetime
    key: str
    status: str = "pending"
    attempts: int = 0
    lease_until: datetime | None = None
    leased_by: str = ""
    last_error: str = ""
    result: str = ""
    done_at: datetime | None = None


@dataclasses.dataclass
class EndingRow:
    """Who ended a pair early, why, and whether its senior is held for review."""

    pair_id: int
    side: str
    cause: str
    ended_at: datetime
    held: bool
    released_at: datetime | None = None


@dataclasses.dataclass
class PromptRow:
    """A prompt: an admin's (`source` 'admin') or a catalogue entry once given to a pair."""

    id: int
    key: str
    track: str
    text: str
    source: str


@dataclasses.dataclass
class DeliveryRow:
    """A prompt given to a pair as a session's topic."""

    id: int
    pair_id: int
    prompt_id: int
    session: int
    delivered_at: datetime


@dataclasses.dataclass
class PulseRow:
    """One person's pulse for one session of a pair."""

    person_id: int
    pair_id: int
    session: int
    side: str
    rating: int | None
    created_at: datetime
    changed_at: datetime | None = None
    comment: str | None = None
    comment_consent: bool = False
    comment_at: datetime | None = None


@dataclasses.dataclass
class ConcernRow:
    """A confidential concern; `sender_id`, `pair_id` and `text` go when its sender is
    forgotten."""

    id: int
    sender_id: int | None
    pair_id: int | None
    text: str
    sent_to: list[int]
    raised_at: datetime


class Tables:
    """Every table of the fake store, each a dict or list keyed as its SQL counterpart."""

    def __init__(self, *, delivering: Collection[str] | None = None) -> None:
        self.people: dict[int, Person] = {}
        self.identities: list[Identity] = []
        self.audit_log: list[AuditEntry] = []
        self.work: dict[int, WorkRow] = {}
        self.pending: dict[int, PendingInput] = {}
        self.pairs: dict[int, Pair] = {}
        self.cycles: list[datetime] = []  # when each round started; its number is index + 1
        self.endings: dict[int, EndingRow] = {}
        self.sessions: dict[tuple[int, int], Session] = {}
        self.prompts: dict[int, PromptRow] = {}
        self.deliveries: list[DeliveryRow] = []
        self.pulses: dict[tuple[int, int, int], PulseRow] = {}
        # (person id, pair id, question) → (answer, side, created at)
        self.surveys: dict[tuple[int, int, str], tuple[str, str, datetime]] = {}
        self.concerns: dict[int, ConcernRow] = {}
        self.updated_at: dict[int, datetime] = {}
        # Pulse and "spoke openly" windows once published (`published_aggregates`).
        self.published: dict[WindowKey, PublishedWindow] = {}
        self.published_open: dict[tuple[str, str], OpenWindow] = {}
        # The platforms this deployment delivers on (None: any linked account counts).
        self.delivering = frozenset(delivering) if delivering is not None else None
        self._counters: dict[str, Iterator[int]] = {}

    def next_id(self, table: str) -> int:
        """The next id of `table`, from 1 (each table numbers its rows, as SQL does)."""
        return next(self._counters.setdefault(table, itertools.count(1)))

    def person(self, person_id: int) -> Person:
        """The person with this id; PersonNotFound otherwise."""
        if person_id not in self.people:
            raise PersonNotFound(f"no person with id {person_id}")
        return self.people[person_id]

    def pair(self, pair_id: int) -> Pair:
        """The pair with this id; PairNotFound otherwise."""
        if pair_id not in self.pairs:
            raise PairNotFound(f"no pair with id {pair_id}")
        return self.pairs[pair_id]

    # --- helpers for tests -----------------------------------------------------------------

    def add(self, email: str, level: int, **fields: Any) -> Person:
        """Put someone in the directory directly (no roster needed)."""
        person = Person(
            id=self.next_id("people"),
            email=email.strip().lower(),
            name=fields.pop("name", ""),
            level=level,
            **fields,
        )
        self.people[person.id] = person
        return person

    def queued(self, kind: str = "deliver") -> list[dict[str, Any]]:
        """The payloads of every queued row of `kind`, in queue order."""
        return [w.payload for w in self.work.values() if w.kind == kind]

    def rows(self, kind: str | None = None, status: str | None = None) -> list[WorkRow]:
        """Queue rows of `kind` and `status` (None: any), in id order."""
        return [
            w
            for w in self.work.values()
            if (kind is None or w.kind == kind) and (status is None or w.status == status)
        ]
