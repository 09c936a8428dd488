"""The small Protocols through which the engine reaches storage and time.

`storage/` implements them on SQLAlchemy; tests implement them in memory. Every method speaks in
the frozen dataclasses of `conversations.types.records` and `conversations.types.events`, never in
ORM rows.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from conversations.insights.windows import PublishRules
from conversations.programme.catalogue import Prompt
from conversations.types import (
    Address,
    AuditEntry,
    ConcernCounts,
    Delivery,
    Event,
    Identity,
    ImportSummary,
    NewPair,
    OutgoingMessage,
    Pair,
    PairEnding,
    PairStatus,
    PendingInput,
    Person,
    PremiseFacts,
    PremiseQuery,
    ProposalAnswer,
    PulseAnswer,
    ReportFigures,
    Role,
    RosterEntry,
    Session,
    SessionStatus,
    Status,
    Unreachable,
    UserRef,
    WaitingConcern,
)


class Clock(Protocol):
    """Where the time comes from; injected so tests travel in time without sleeping."""

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class Directory(Protocol):
    """People, their platform identities and their programme status."""

    async def get_person(self, person_id: int) -> Person | None:
        """The person with this id, or None."""
        ...

    async def person_by_email(self, email: str) -> Person | None:
        """The person with this email (case-insensitive), or None."""
        ...

    async def person_by_identity(self, user: UserRef) -> Person | None:
        """The person linked to this platform account, or None."""
        ...

    async def all_people(self) -> list[Person]:
        """Everyone in the directory, ordered by id."""
        ...

    async def set_status(
        self, person_id: int, status: Status, *, paused_until: date | None = None, at: datetime
    ) -> Person:
        """Change a person's programme status (and pause date); returns the updated person."""
        ...

    async def update_profile(
        self,
        person_id: int,
        *,
        role: Role | None = None,
        teaches: Sequence[str] | None = None,
        learns: Sequence[str] | None = None,
        timezone: str | None = None,
    ) -> Person:
        """Change the fields given (None leaves a field as it is); returns the updated person."""
        ...

    async def link_identity(self, identity: Identity) -> None:
        """Create or update how a person is reached on `identity.platform`."""
        ...

    async def identities_of(self, person_id: int) -> list[Identity]:
        """Every platform identity of one person."""
        ...

    async def identities_of_people(self, person_ids: Collection[int]) -> dict[int, list[Identity]]:
        """`identities_of` for many people in one look-up (the delivery worker's batches);
        everyone asked for is a key, with [] when they have no identity."""
        ...

    async def forget(self, person_id: int, *, at: datetime) -> None:
        """Erase a person's personal data, keeping only anonymous counts."""
        ...

    async def set_first_in_line(self, person_ids: Sequence[int], flag: bool) -> None:
        """Mark (or clear) people to be matched first in the next round."""
        ...

    async def import_roster(
        self,
        entries: Sequence[RosterEntry],
        *,
        deactivate_missing: bool,
        dry_run: bool,
        at: datetime,
    ) -> ImportSummary:
        """Create or update everyone in `entries` (by email) in one transaction.

        Entries must already be validated (`conversations.enrolment.roster_csv`). A row with a role
        enrols a
        person who is not enrolled yet; people missing from the file are reported and, with
        `deactivate_missing`, marked inactive. A dry run computes the summary and writes nothing.
        """
        ...


class AuditLog(Protocol):
    """Every admin action, for accountability."""

    async def record(self, actor: str, action: str, detail: str, *, at: datetime) -> None:
        """Append one entry."""
        ...

    async def recent(self, limit: int = 50) -> list[AuditEntry]:
        """The latest entries, newest first."""
        ...


@dataclass(frozen=True)
class DueWork:
    """One row of the delivery queue: something to do at or after `due_at`."""

    id: int
    kind: str
    payload: Mapping[str, Any]
    due_at: datetime
    idempotency_key: str
    # The row this one is split from (`WorkQueue.fan_out`): queued only while that row is
    # still leased, so a parent cancelled meanwhile yields no children.
    parent: int | None = None
    attempts: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NewWork:
    """A row to queue (`WorkQueue.schedule`'s arguments, for queueing several at once)."""

    kind: str
    payload: Mapping[str, Any]
    due_at: datetime
    idempotency_key: str
    # The row this one is split from (`WorkQueue.fan_out`): queued only while that row is
    # still leased, so a parent cancelled meanwhile yields no children.
    parent: int | None = None


class WorkQueue(Protocol):
    """The `due_work` table: durable, leased, exactly-once work (docs/architecture.md, "due_work
    outbox")."""

    async def schedule(
        self, kind: str, payload: Mapping[str, Any], due_at: datetime, idempotency_key: str
    ) -> bool:
        """Queue work unless the key exists already; True when a row was added."""
        ...

    async def claim(
        self,
        now: datetime,
        *,
        limit: int,
        lease_until: datetime,
        worker: str,
        kinds: Sequence[str] | None = None,
    ) -> list[DueWork]:
        """Lease up to `limit` rows that are due (or whose lease expired), oldest first.

        `kinds` restricts the claim to those kinds (the engine claims programme work, the
        delivery worker claims `deliver` rows); None claims every kind.
        """
        ...

    async def renew(
        self, work_ids: Sequence[int], *, worker: str, lease_until: datetime
    ) -> set[int]:
        """Extend `worker`'s leases on these rows; returns the ids it still holds."""
        ...

    async def complete(self, work_id: int, *, at: datetime, result: str = "") -> None:
        """Mark a claimed row done (a row cancelled meanwhile stays cancelled)."""
        ...

    async def complete_many(self, results: Mapping[int, str], *, at: datetime) -> None:
        """Mark claimed rows done in one write: row id → result (the platform's message id)."""
        ...

    async def fan_out(
        self,
        parents: Mapping[int, str],
        children: Sequence[NewWork],
        *,
        at: datetime,
        leased_by: str | None = None,
        lease_until: datetime | None = None,
    ) -> dict[str, int]:
        """In one transaction, queue `children` (keys already queued are skipped) and mark the
        claimed `parents` done (row id → result): rows split into one row per conversation.
        A parent no longer leased (cancelled meanwhile) stays as it is and its children
        (`NewWork.parent`) are not queued.

        With `leased_by` and `lease_until` the children are queued claimed by that worker (a
        first attempt). Returns the children inserted: idempotency key → row id.
        """
        ...

    async def fail(
        self,
        work_id: int,
        *,
        error: str,
        at: datetime,
        retry_at: datetime | None,
        count_attempt: bool = True,
    ) -> None:
        """Record a failure: retry at `retry_at`, or mark the row failed for good when None.

        `count_attempt=False`: the platform asked to wait (rate limit); not a failed attempt.
        """
        ...

    async def waiting_until(self, idempotency_key: str) -> datetime | None:
        """When the row with this key is due, while it has not gone out yet (pending or
        leased); None when there is no such row, or it is done, failed or cancelled."""
        ...

    async def done_at(self, idempotency_key: str) -> datetime | None:
        """When the row with this key was done (a queued message: when it went out); None
        while it waits, or when there is no such row, or it failed or was cancelled."""
        ...

    async def cancel(self, work_ids: Sequence[int], *, reason: str, at: datetime) -> set[int]:
        """Stop rows that have not gone out (pending, leased, failed): status `cancelled`,
        `reason` kept as their last error; rows already done stay done. Returns the ids
        cancelled."""
        ...


class PairConflict(Exception):
    """Someone in a pair to be stored is already in an open pair (another process got there
    first, or the data changed since the proposal was computed)."""

    def __init__(self, person_ids: Sequence[int]) -> None:
        super().__init__(f"cannot be paired as asked: {sorted(person_ids)}")
        self.person_ids = tuple(sorted(person_ids))


class Pairs(Protocol):
    """Mentor/mentee pairs and the matching rounds they were published in."""

    async def publish_round(
        self, pairs: Sequence[NewPair], *, status: PairStatus, at: datetime
    ) -> list[Pair]:
        """Start the next matching round and store its pairs, all or nothing.

        Raises PairConflict (storing nothing) when anyone in the batch is already in an open
        pair, a mentee appears twice, or someone is on both sides — checked inside the
        transaction so two processes publishing at once cannot both succeed. (A mentor may
        appear several times: the matcher already applied `mentees_per_mentor`.)
        """
        ...

    async def add_pair(
        self, pair: NewPair, *, status: PairStatus, at: datetime, mentor_capacity: int
    ) -> Pair:
        """Store one pair made by hand in the current round (PairConflict as above)."""
        ...

    async def get_pair(self, pair_id: int) -> Pair | None:
        """The pair with this id, or None."""
        ...

    async def pairs_by_id(self, pair_ids: Collection[int]) -> dict[int, Pair]:
        """The pairs with these ids, in one look-up; ids with no pair are left out."""
        ...

    async def pairs_of(self, person_id: int) -> list[Pair]:
        """Every pair the person was ever in, newest first."""
        ...

    async def open_pairs(self) -> list[Pair]:
        """Pairs that are proposed or active, oldest first."""
        ...

    async def pair_history(self) -> frozenset[tuple[int, int]]:
        """(mentor_id, mentee_id) of every pair ever stored except declined ones."""
        ...

    async def declined_pairs(self) -> frozenset[tuple[int, int]]:
        """(mentor_id, mentee_id) of every pair declined, or ended early (never again)."""
        ...

    async def set_pair_status(self, pair_id: int, status: PairStatus, *, at: datetime) -> Pair:
        """Change a pair's status (`ended_at` is set when it ends or is declined)."""
        ...

    async def end_pair(
        self, pair_id: int, *, side: str, cause: str, hold: bool, at: datetime
    ) -> Pair | None:
        """End an open pair early, recording who ended it (`side`: 'mentor' | 'mentee'), the
        `cause` ('ended' | 'left' | 'unreachable' | 'forgotten') and whether the senior is held
        for review. None when it is unknown or no longer open (ended once, whoever races)."""
        ...

    async def pair_endings(self, *, awaiting_review: bool = False) -> list[PairEnding]:
        """Pairs that ended early, oldest first (only those awaiting review, if asked)."""
        ...

    async def release_hold(self, person_id: int, *, at: datetime) -> int:
        """Clear the review holds on a senior; returns how many there were."""
        ...

    async def answer_proposal(
        self,
        pair_id: int,
        person_id: int,
        *,
        accept: bool,
        needs_mentor: bool,
        needs_mentee: bool,
        at: datetime,
    ) -> ProposalAnswer:
        """One partner's Accept or decline of a proposed pair, atomically.

        Accepting records that partner's acceptance and, once everyone needed
        (`needs_mentor`, `needs_mentee`) has accepted, makes the pair active (`activated`
        only for the one answer that did). Declining makes it declined. A pair no longer
        proposed, or an answer already given, changes nothing (`changed` False). Raises
        PairNotFound for an unknown pair and ValueError for someone not in it.
        """
        ...

    async def set_pair_conversation(
        self, pair_id: int, platform: str, conversation_id: str
    ) -> None:
        """Remember the pair's shared conversation on a platform (a Slack group DM)."""
        ...


class Lifecycle(Protocol):
    """Sessions, prompts given, pulse and survey answers, and typed answers awaited."""

    async def create_sessions(self, pair_id: int, due_dates: Sequence[date]) -> list[Session]:
        """Create sessions 1..N with these due dates unless they exist; returns all of them."""
        ...

    async def sessions_of(self, pair_id: int) -> list[Session]:
        """A pair's sessions in order."""
        ...

    async def get_session(self, pair_id: int, number: int) -> Session | None:
        """One session of a pair, or None."""
        ...

    async def report_session(
        self, pair_id: int, number: int, *, status: SessionStatus, by: int | None, at: datetime
    ) -> tuple[Session, bool]:
        """Record whether a session happened (first report wins; "met" beats "missed")."""
        ...

    async def move_session(self, pair_id: int, number: int, due_date: date) -> Session:
        """Move a session that has not happened yet to a new date."""
        ...

    async def shift_sessions(self, pair_id: int, since: date, days: int) -> list[Session]:
        """Move every session still to come, due on or after `since`, by `days` days."""
        ...

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

    async def save_pulse(self, answer: PulseAnswer, *, at: datetime) -> None:
        """Store a rating (a second tap changes it)."""
        ...

    async def set_pulse_comment(
        self,
        person_id: int,
        pair_id: int,
        session_number: int,
        comment: str,
        *,
        consent: bool,
        at: datetime,
    ) -> None:
        """Attach the free-text "one thing" to a person's pulse, given at `at`."""
        ...

    async def set_comment_consent(
        self, person_id: int, pair_id: int, session_number: int, consent: bool, *, at: datetime
    ) -> None:
        """Let the programme team read a comment anonymously (from `at`), or take that back."""
        ...

    async def get_pulse(
        self, person_id: int, pair_id: int, session_number: int
    ) -> PulseAnswer | None:
        """One person's pulse for a session, or None."""
        ...

    async def save_survey_answer(
        self, person_id: int, pair_id: int, question: str, answer: str, side: str, *, at: datetime
    ) -> None:
        """Store (or change) one check-in or closing answer."""
        ...

    async def survey_answers(self, pair_id: int) -> dict[tuple[int, str], str]:
        """A pair's check-in, closing and missed-session answers by (person id, question)."""
        ...

    async def set_pending_input(
        self, person_id: int, kind: str, context: Mapping[str, int | str], expires_at: datetime
    ) -> None:
        """Wait for this person's next typed message."""
        ...

    async def take_pending_input(self, person_id: int, now: datetime) -> PendingInput | None:
        """What the bot waits for from this person (removing it); None when nothing/expired."""
        ...

    async def clear_pending_input(self, person_id: int) -> None:
        """Stop waiting for a typed answer from this person."""
        ...


class Reports(Protocol):
    """Aggregate figures for admins."""

    async def figures(self, rules: PublishRules | None = None) -> ReportFigures:
        """The headline programme figures; pulse figures only from windows published under
        `rules` (none without), see `conversations.insights.windows`."""
        ...

    async def queue_counts(self) -> dict[str, int]:
        """Delivery queue rows by status (pending, leased, done, failed)."""
        ...

    async def failed_work(self, limit: int = 50) -> list[DueWork]:
        """Rows that failed for good, latest first; `extra` holds last_error and done_at."""
        ...

    async def cancelled_work(self, limit: int = 50) -> list[DueWork]:
        """Rows cancelled because their premise was gone (or a person was forgotten), latest
        first; `extra` holds last_error (the reason) and done_at."""
        ...

    async def unreachable(self) -> Sequence[Unreachable]:
        """Everyone the bot cannot message, with why: the platform refused them, or they
        take part without an account on any platform this deployment delivers on."""
        ...


class AdminLinks(Protocol):
    """Links an admin receives in chat (the web side makes and checks them)."""

    async def dashboard(self, now: datetime, admin: str) -> str | None:
        """A single-use, short-lived link to the dashboard for the admin `admin` (their email,
        kept with the link for the audit log), or None when the dashboard is not configured."""
        ...

    async def export(self, now: datetime, admin: str) -> str | None:
        """A single-use, short-lived link to download the CSV export, or None."""
        ...

    def chart(self, now: datetime) -> str | None:
        """A reusable link to the meeting-rate and pulse chart (an image), or None."""
        ...


class Premises(Protocol):
    """What delivery asks before sending queued messages (conversations/outbox/premise.py)."""

    async def premise_facts(self, query: PremiseQuery) -> PremiseFacts:
        """The current state of every pair, person and session `query` names, and which of
        its `unpaired` people are now in a proposed or active pair: a few queries for a whole
        batch, never one per message."""
        ...


class Concerns(Protocol):
    """Confidential concerns (`concern`): kept apart from everything admins browse, read only
    by the people they were sent to; `forget` erases the sender's text and identity."""

    async def add_concern(
        self,
        sender_id: int,
        pair_id: int | None,
        text: str,
        sent_to: Sequence[int],
        *,
        at: datetime,
    ) -> int:
        """Store one concern and whom it is sent to (person ids, maybe none); its id."""
        ...

    async def concerns_raised_by(self, sender_id: int, since: datetime) -> int:
        """How many concerns this person raised at or after `since` (a flood guard)."""
        ...

    async def concern_counts(self) -> ConcernCounts:
        """How many concerns were raised, and how many reached nobody (senders forgotten
        since are not counted as waiting: their text is gone)."""
        ...

    async def undelivered_concerns(self) -> list[WaitingConcern]:
        """The concerns that reached nobody and can still be passed on (their sender is not
        forgotten), oldest first: the only read of a concern's words, for `redeliver`."""
        ...

    async def mark_concern_sent(self, concern_id: int, sent_to: Sequence[int]) -> bool:
        """Record that a waiting concern was passed on to `sent_to`; False when it was no
        longer waiting (another process passed it on first)."""
        ...


class Store(
    Directory, AuditLog, WorkQueue, Pairs, Lifecycle, Reports, Premises, Concerns, Protocol
):
    """Everything the engine needs from storage."""


class SendFailed(Exception):
    """A platform refused or failed a send. Adapters raise it; the delivery worker decides.

    `retry_after` (seconds) comes from the platform (Slack 429, Teams 429) when it said so;
    `permanent` means retrying cannot help (a malformed message); `unreachable` means the person
    can no longer be reached there (account deactivated, bot uninstalled).
    """

    def __init__(
        self,
        reason: str,
        *,
        retry_after: float | None = None,
        permanent: bool = False,
        unreachable: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.permanent = permanent
        self.unreachable = unreachable


class HandleEvent(Protocol):
    """`Engine.handle`, as the adapters call it."""

    async def __call__(
        self, event: Event, *, person: Person | None = None
    ) -> list[OutgoingMessage]:
        """Answer one event (`person`: the sender, when the adapter already looked them up)."""
        ...


class Sender(Protocol):
    """One platform's way of sending a message to a conversation."""

    platform: str
    # True when `find_sent` really looks (Slack, the console). The delivery worker then marks
    # sends done in groups: a crash before a group is written is recovered by the look-up, not
    # repeated. False (Teams): every send is marked done before the next one starts.
    finds_sent: bool
    # False where `open_group` always answers None (Teams, the console): the delivery worker
    # then splits a pair's messages into one per partner up front, without asking.
    opens_groups: bool

    async def send(self, message: OutgoingMessage, address: Address) -> Delivery:
        """Post (or, with `message.replaces`, update) a message; raise SendFailed on failure."""
        ...

    async def find_sent(self, message: OutgoingMessage, address: Address) -> Delivery | None:
        """Look for `message` (by its idempotency key) among what was posted to `address`.

        The delivery worker asks before re-sending a row whose lease expired: the platform may
        have accepted the send just before a crash. None when it is not there, or when the
        platform offers no way to look (Teams: at most that one in-flight message can repeat).
        """
        ...

    async def prepare(self, addresses: Sequence[Address]) -> None:
        """Look up together what sending to these addresses will need (the delivery worker
        calls it with each batch's addresses before sending them); a no-op where a send
        looks nothing up."""
        ...

    async def open_group(self, tenant_id: str, user_ids: Sequence[str]) -> str | None:
        """Open (or find) one conversation with all these users and the bot; its id.

        None where bots cannot create group conversations (Teams): then a pair's messages go
        to each partner's own chat.
        """
        ...
