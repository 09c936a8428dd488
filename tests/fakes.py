"""In-memory implementations of the engine's ports, for fast unit tests of `conversations/`.

They follow the Protocol docstrings in `conversations.ports`; the storage tests hold the SQL
implementation to the same behaviour on real databases.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import os
import sys
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from conversations.insights.windows import PublishRules
from conversations.ports import DueWork, NewWork
from conversations.types import (
    AuditEntry,
    ConcernCounts,
    Identity,
    ImportSummary,
    PendingInput,
    Person,
    ReportFigures,
    Role,
    RosterEntry,
    Status,
    UserRef,
    WaitingConcern,
)


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now


@dataclasses.dataclass
class _Work:
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
    done_at: datetime | None = None


class FakeStore:
    """A dict-backed `conversations.ports.Store`."""

    def __init__(self) -> None:
        self.people: dict[int, Person] = {}
        self.identities: list[Identity] = []
        self.audit_log: list[AuditEntry] = []
        self.work: dict[int, _Work] = {}
        self.pending: dict[int, PendingInput] = {}
        # Concerns: id → [sender (None once forgotten), pair, text, sent to].
        self.concerns: dict[int, list[Any]] = {}
        self._ids = itertools.count(1)

    # --- helpers for tests -----------------------------------------------------------------

    def add(self, email: str, level: int, **fields: Any) -> Person:
        person = Person(
            id=next(self._ids),
            email=email.casefold(),
            name=fields.pop("name", ""),
            level=level,
            **fields,
        )
        self.people[person.id] = person
        return person

    def queued(self, kind: str = "deliver") -> list[dict[str, Any]]:
        return [w.payload for w in self.work.values() if w.kind == kind]

    # --- Directory ---------------------------------------------------------------------------

    async def get_person(self, person_id: int) -> Person | None:
        return self.people.get(person_id)

    async def person_by_email(self, email: str) -> Person | None:
        return next((p for p in self.people.values() if p.email == email.casefold()), None)

    async def person_by_identity(self, user: UserRef) -> Person | None:
        for identity in self.identities:
            if (identity.platform, identity.user_id) == (user.platform, user.user_id) and (
                identity.tenant_id in ("", user.tenant_id)
            ):
                return self.people.get(identity.person_id)
        return None

    async def all_people(self) -> list[Person]:
        return [self.people[k] for k in sorted(self.people)]

    async def set_status(
        self, person_id: int, status: Status, *, paused_until: date | None = None, at: datetime
    ) -> Person:
        person = self.people[person_id]
        enrolled_at = person.enrolled_at
        if status.enrolled and not person.status.enrolled:
            enrolled_at = at
        paused_since = person.paused_since
        if status is Status.PAUSED and person.status is not Status.PAUSED:
            paused_since = at.date()
        elif status is not Status.PAUSED:
            paused_since = None
        person = dataclasses.replace(
            person,
            status=status,
            paused_until=paused_until,
            enrolled_at=enrolled_at,
            paused_since=paused_since,
        )
        self.people[person_id] = person
        return person

    async def set_first_in_line(self, person_ids: Sequence[int], flag: bool) -> None:
        for person_id in person_ids:
            self.people[person_id] = dataclasses.replace(self.people[person_id], first_in_line=flag)

    # --- the parts of Pairs and Lifecycle enrolment touches (this store holds no pairs) ------

    async def pairs_of(self, person_id: int) -> list[Any]:
        return []

    async def pair_endings(self, *, awaiting_review: bool = False) -> list[Any]:
        return []

    async def set_pending_input(
        self, person_id: int, kind: str, context: Mapping[str, Any], expires_at: datetime
    ) -> None:
        self.pending[person_id] = PendingInput(kind, dict(context), expires_at)

    async def take_pending_input(self, person_id: int, now: datetime) -> PendingInput | None:
        waiting = self.pending.pop(person_id, None)
        return waiting if waiting is not None and waiting.expires_at > now else None

    async def clear_pending_input(self, person_id: int) -> None:
        self.pending.pop(person_id, None)

    async def update_profile(
        self,
        person_id: int,
        *,
        role: Role | None = None,
        teaches: Sequence[str] | None = None,
        learns: Sequence[str] | None = None,
        timezone: str | None = None,
    ) -> Person:
        person = self.people[person_id]
        changes: dict[str, Any] = {}
        if role is not None:
            changes["role"] = role
        if teaches is not None:
            changes["teaches"] = tuple(teaches)
        if learns is not None:
            changes["learns"] = tuple(learns)
        if timezone is not None:
            changes["timezone"] = timezone
        person = dataclasses.replace(person, **changes)
        self.people[person_id] = person
        return person

    async def link_identity(self, identity: Identity) -> None:
        self.identities = [
            i
            for i in self.identities
            if (i.platform, i.tenant_id, i.user_id)
            != (identity.platform, identity.tenant_id, identity.user_id)
        ]
        self.identities.append(identity)

    async def identities_of(self, person_id: int) -> list[Identity]:
        return [i for i in self.identities if i.person_id == person_id]

    async def identities_of_people(self, person_ids: Collection[int]) -> dict[int, list[Identity]]:
        return {person_id: await self.identities_of(person_id) for person_id in person_ids}

    async def forget(self, person_id: int, *, at: datetime) -> None:
        person = self.people[person_id]
        self.people[person_id] = dataclasses.replace(
            person,
            email=f"forgotten-{person_id}@invalid",
            name="",
            title="",
            department="",
            timezone="",
            teaches=(),
            learns=(),
            status=Status.LEFT,
        )
        self.identities = [i for i in self.identities if i.person_id != person_id]
        for concern in self.concerns.values():
            if concern[0] == person_id:
                concern[:3] = [None, None, ""]

    async def import_roster(
        self,
        entries: Sequence[RosterEntry],
        *,
        deactivate_missing: bool,
        dry_run: bool,
        at: datetime,
    ) -> ImportSummary:
        raise NotImplementedError("roster imports are tested against the SQL store")

    # --- Concerns ----------------------------------------------------------------------------

    async def add_concern(
        self,
        sender_id: int,
        pair_id: int | None,
        text: str,
        sent_to: Sequence[int],
        *,
        at: datetime,
    ) -> int:
        concern_id = next(self._ids)
        self.concerns[concern_id] = [sender_id, pair_id, text, list(sent_to)]
        return concern_id

    async def concerns_raised_by(self, sender_id: int, since: datetime) -> int:
        # The fake keeps no times: every concern counts as recent.
        return sum(1 for c in self.concerns.values() if c[0] == sender_id)

    async def concern_counts(self) -> ConcernCounts:
        waiting = sum(1 for c in self.concerns.values() if not c[3] and c[0] is not None)
        return ConcernCounts(raised=len(self.concerns), undelivered=waiting)

    async def undelivered_concerns(self) -> list[WaitingConcern]:
        # The fake keeps no times: every concern counts as raised at the epoch.
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        return [
            WaitingConcern(concern_id, c[0], c[1], c[2], epoch)
            for concern_id, c in sorted(self.concerns.items())
            if not c[3] and c[0] is not None
        ]

    async def mark_concern_sent(self, concern_id: int, sent_to: Sequence[int]) -> bool:
        concern = self.concerns.get(concern_id)
        if concern is None or concern[3] or concern[0] is None:
            return False
        concern[3] = list(sent_to)
        return True

    # --- AuditLog ----------------------------------------------------------------------------

    async def record(self, actor: str, action: str, detail: str, *, at: datetime) -> None:
        self.audit_log.append(AuditEntry(actor, action, detail, at))

    async def recent(self, limit: int = 50) -> list[AuditEntry]:
        return list(reversed(self.audit_log))[:limit]

    # --- WorkQueue ---------------------------------------------------------------------------

    async def schedule(
        self, kind: str, payload: Mapping[str, Any], due_at: datetime, idempotency_key: str
    ) -> bool:
        if any(w.key == idempotency_key for w in self.work.values()):
            return False
        work_id = next(self._ids)
        self.work[work_id] = _Work(work_id, kind, dict(payload), due_at, idempotency_key)
        return True

    async def claim(
        self,
        now: datetime,
        *,
        limit: int,
        lease_until: datetime,
        worker: str,
        kinds: Sequence[str] | None = None,
    ) -> list[DueWork]:
        due = [
            w
            for w in self.work.values()
            if (kinds is None or w.kind in kinds)
            and (
                (w.status == "pending" and w.due_at <= now)
                or (w.status == "leased" and w.lease_until is not None and w.lease_until < now)
            )
        ]
        due.sort(key=lambda w: (w.due_at, w.id))
        claimed = []
        for w in due[:limit]:
            w.status, w.lease_until, w.attempts = "leased", lease_until, w.attempts + 1
            w.leased_by = worker
            claimed.append(DueWork(w.id, w.kind, w.payload, w.due_at, w.key, w.attempts))
        return claimed

    async def renew(
        self, work_ids: Sequence[int], *, worker: str, lease_until: datetime
    ) -> set[int]:
        held = set()
        for work_id in work_ids:
            w = self.work[work_id]
            if w.status == "leased" and w.leased_by == worker:
                w.lease_until = lease_until
                held.add(work_id)
        return held

    async def complete(self, work_id: int, *, at: datetime, result: str = "") -> None:
        if self.work[work_id].status == "leased":  # a cancelled row stays cancelled
            self.work[work_id].status = "done"
            self.work[work_id].done_at = at

    async def complete_many(self, results: Mapping[int, str], *, at: datetime) -> None:
        for work_id, result in results.items():
            await self.complete(work_id, at=at, result=result)

    async def fan_out(
        self,
        parents: Mapping[int, str],
        children: Sequence[NewWork],
        *,
        at: datetime,
        leased_by: str | None = None,
        lease_until: datetime | None = None,
    ) -> dict[str, int]:
        inserted = {}
        kept = {p for p in parents if self.work[p].status == "leased"}
        for child in children:
            if (child.parent not in kept) if child.parent is not None else kept != set(parents):
                continue
            if await self.schedule(child.kind, child.payload, child.due_at, child.idempotency_key):
                work_id = max(self.work)
                inserted[child.idempotency_key] = work_id
                if leased_by is not None and lease_until is not None:
                    w = self.work[work_id]
                    w.status, w.lease_until, w.leased_by, w.attempts = (
                        "leased",
                        lease_until,
                        leased_by,
                        1,
                    )
        await self.complete_many(parents, at=at)
        return inserted

    async def fail(
        self,
        work_id: int,
        *,
        error: str,
        at: datetime,
        retry_at: datetime | None,
        count_attempt: bool = True,
    ) -> None:
        w = self.work[work_id]
        if w.status != "leased":  # a cancelled row stays cancelled
            return
        w.last_error = error
        if not count_attempt:
            w.attempts -= 1
        if retry_at is None:
            w.status = "failed"
        else:
            w.status, w.due_at = "pending", retry_at

    async def waiting_until(self, idempotency_key: str) -> datetime | None:
        for w in self.work.values():
            if w.key == idempotency_key and w.status in ("pending", "leased"):
                return w.due_at
        return None

    async def done_at(self, idempotency_key: str) -> datetime | None:
        for w in self.work.values():
            if w.key == idempotency_key and w.status == "done":
                return w.done_at
        return None

    async def cancel(self, work_ids: Sequence[int], *, reason: str, at: datetime) -> set[int]:
        cancelled = set()
        for work_id in work_ids:
            w = self.work.get(work_id)
            if w is not None and w.status in ("pending", "leased", "failed"):
                w.status, w.last_error, w.lease_until = "cancelled", reason, None
                w.payload = {}
                cancelled.add(work_id)
        return cancelled

    # --- Reports -----------------------------------------------------------------------------

    async def figures(self, rules: PublishRules | None = None) -> ReportFigures:
        enrolled = [p for p in self.people.values() if p.status.enrolled]
        by_role: dict[str, int] = {}
        for p in enrolled:
            key = p.role.value if p.role else "unassigned"
            by_role[key] = by_role.get(key, 0) + 1
        sent = sum(1 for w in self.work.values() if w.kind == "deliver" and w.status == "done")
        return ReportFigures(participants=len(enrolled), messages_sent=sent, by_role=by_role)


def utc(*args: int) -> datetime:
    """A UTC datetime, for brevity in tests."""
    return datetime(*args, tzinfo=UTC)


@contextlib.asynccontextmanager
async def start_server(
    workdir: Path, db_url: str, env: Mapping[str, str] | None = None
) -> AsyncIterator[str]:
    """Run the real `mentorbot serve` (`tests.serving`); yields its base URL."""
    from tests.serving import serve

    async with serve(workdir, db_url, env) as served:
        yield served.url


async def run_cli(
    workdir: Path, db_url: str, *args: str, env: Mapping[str, str] | None = None
) -> str:
    """Run `mentorbot ARGS` as a subprocess; returns stdout, fails the test on exit != 0."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--config",
        str(workdir / "app.yaml"),
        *args,
        cwd=workdir,
        env={**os.environ, "DATABASE_URL": db_url, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()
