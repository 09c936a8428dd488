"""Raw facts that storage gathers for the insights (see `conversations.insights.summary`).

They carry person ids where the privacy rules need to count distinct people, and display names
only where admins are meant to see a name (pairs at risk, unreachable people).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class ParticipantFact:
    """One enrolled person: only what the role and department breakdown needs."""

    person_id: int
    role: str | None
    department: str


@dataclass(frozen=True)
class CycleSessions:
    """Session counts of one matching round (`cycle` None: pairs made outside a round)."""

    cycle: int | None
    due: int  # sessions whose due date has come
    held: int  # reported met
    missed: int  # reported not met, or marked missed
    unanswered: int  # due, nobody answered did-you-meet yet


@dataclass(frozen=True)
class PulseFact:
    """One pulse answer. `respondent` is None once that person asked to be forgotten."""

    respondent: int | None
    side: str
    rating: int | None
    met: bool | None
    answered_at: datetime
    track: str | None
    session_number: int
    cycle: int | None = None  # the pair's round; None when paired by hand or the pair is gone
    changed_at: datetime | None = None  # when a second tap last changed the rating
    comment: str | None = None  # the "one thing", only when its author agreed to share it
    comment_at: datetime | None = None  # when it was written or shared; None: with the answer


@dataclass(frozen=True)
class RoundSession:
    """One pair of a matching round and one of its sessions (`number` None: it has none)."""

    pair_id: int
    cycle: int
    pair_status: str
    number: int | None
    status: str | None
    due_date: date | None


@dataclass(frozen=True)
class PairHealth:
    """One open pair's session record, with the partners' display names (never departments)."""

    pair_id: int
    mentor: str
    mentee: str
    status: str
    cycle: int | None
    created_at: datetime
    held: int
    missed: int  # not held: a partner said they couldn't meet, or nobody reported it
    unanswered: int
    not_reported: int = 0  # of `missed`, those nobody reported (the bot marked them)


@dataclass(frozen=True)
class Participation:
    """One person's side in one pair that got going (active or ended)."""

    person_id: int
    side: str
    cycle: int
    enrolled_now: bool


@dataclass(frozen=True)
class PromptFact:
    """A catalogue prompt and how many pairs were given it."""

    prompt_id: int
    track: str
    text: str
    source: str
    deliveries: int
    kind: str = "topic"  # or "prep": the junior's private preparation prompt


@dataclass(frozen=True)
class FailedWork:
    """A queued message or job that gave up."""

    work_id: int
    kind: str
    attempts: int
    error: str
    due_at: datetime


@dataclass(frozen=True)
class Unreachable:
    """Someone enrolled whom the bot cannot message (name only)."""

    name: str
    reason: str


@dataclass(frozen=True)
class InsightsData:
    """Everything the dashboard is computed from."""

    participants: tuple[ParticipantFact, ...] = ()
    matched_people: int = 0  # enrolled people in a proposed or active pair
    pair_statuses: Mapping[str, int] = field(default_factory=dict)
    cycles: tuple[CycleSessions, ...] = ()
    pairs: tuple[PairHealth, ...] = ()
    participation: tuple[Participation, ...] = ()
    prompts: tuple[PromptFact, ...] = ()
    queue: Mapping[str, int] = field(default_factory=dict)
    retrying: int = 0  # pending rows that failed at least once
    failed: tuple[FailedWork, ...] = ()
    unreachable: tuple[Unreachable, ...] = ()
    messages_sent: int = 0


@dataclass(frozen=True)
class SpokeOpenly:
    """The published windows added up: what `report` and the dashboard show."""

    respondents: int = 0  # people behind the counts (windows with a value only)
    yes: int = 0
    mostly: int = 0
    no: int = 0
    hidden: int = 0  # closed windows published without a value (fewer than k answered)
    late: int = 0  # answers given after their window was published
    # When the next window holding answers closes (programme time zone), if one is still open.
    closes: date | None = None

    @property
    def share(self) -> float | None:
        """The share who could speak openly (yes or mostly), None before any value."""
        return (self.yes + self.mostly) / self.respondents if self.respondents else None

    def text(self, k: int) -> str:
        """One line: 'Could speak openly: 85% (12 yes, 5 mostly, 3 not really; 20 answers)',
        or why there is no figure: the round is not closed yet, or too few answered."""
        if self.share is None:
            if self.closes is not None:
                when = f"{self.closes:%a} {self.closes.day} {self.closes:%b %Y}"
                return (
                    f"Could speak openly: round not closed yet (closes {when}; shown then if "
                    f"{k} or more people answered)"
                )
            if self.hidden:
                return (
                    f"Could speak openly: fewer than {k} people answered, so no figure is "
                    "shown (it never is for fewer)"
                )
            return (
                f"Could speak openly: no answers yet (shown once a round closes with "
                f"{k} or more people answering)"
            )
        return (
            f"Could speak openly: {self.share:.0%} ({self.yes} yes, {self.mostly} mostly, "
            f"{self.no} not really; {self.respondents} answers)"
        )
