"""The values matching takes and returns (re-exported by `conversations.matching.best_pairs`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from conversations.config import MatchingConfig
from conversations.types.records import Person


@dataclass(frozen=True)
class MatchInput:
    """Everything one matching round needs. Pure data: no store, no clock."""

    people: Sequence[Person]  # the whole directory (needed for manager chains)
    config: MatchingConfig
    start_date: date  # UTC offsets are taken on this date (DST included)
    default_timezone: str  # for people whose timezone is blank
    history: frozenset[tuple[int, int]] = frozenset()  # (mentor_id, mentee_id), any order
    busy: frozenset[int] = frozenset()  # ids already in an active pair
    declined: frozenset[tuple[int, int]] = frozenset()  # (mentor_id, mentee_id) declined
    # ids left out of the previous round: first in line, matched before any score counts
    priority: frozenset[int] = frozenset()
    # seniors whose junior ended their pairing: left out until an admin reviews (`release`)
    held: frozenset[int] = frozenset()


@dataclass(frozen=True)
class ProposedPair:
    """One proposed pair, with its score and the reasons behind it in words."""

    mentor: Person
    mentee: Person
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Unmatched:
    """Eligible this round but left without a partner, and why: `reason` for the person
    (kind, never naming anyone else nor revealing anyone's decision), `detail` for the admins
    when it says more. `first_in_line`: going first next round can help them (someone who
    fits them exists); False when nobody enrolled could be their partner."""

    person: Person
    reason: str
    detail: str = ""
    first_in_line: bool = True

    @property
    def for_admin(self) -> str:
        """The admins' version of the reason."""
        return self.detail or self.reason


@dataclass(frozen=True)
class Excluded:
    """Not eligible this round (paused, left, no role, already paired…), and why."""

    person: Person
    reason: str


@dataclass(frozen=True)
class MatchResult:
    """A round's proposal: every eligible person is in `pairs` or `unmatched`, exactly once."""

    pairs: tuple[ProposedPair, ...]
    unmatched: tuple[Unmatched, ...]
    excluded: tuple[Excluded, ...]
    total_score: float
    # False when a safety cap cut the exact search short; `notes` says which, in words
    exact: bool = True
    notes: tuple[str, ...] = ()
