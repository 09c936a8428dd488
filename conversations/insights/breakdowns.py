"""k-anonymous breakdowns: a figure per group, shown only for groups of at least `k` people
(`privacy.min_group_size`); smaller groups merge into "other" or are withheld."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from conversations.types import PulseFact

OTHER = "other"
NO_DEPARTMENT = "(no department)"
NO_TRACK = "(no prompt)"
SIDES = {"mentor": "junior mentors", "mentee": "senior leaders"}
K = TypeVar("K", bound=Hashable)


# --- k-anonymity -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """One group of a breakdown: who is in it (distinct people) and what it adds up to."""

    label: str
    people: frozenset[int] = frozenset()
    ratings: tuple[int, ...] = ()
    parts: Mapping[str, int] = field(default_factory=dict)  # e.g. people per role

    @property
    def size(self) -> int:
        """How many distinct people the group holds (what k is compared with)."""
        return len(self.people)

    @property
    def average(self) -> float | None:
        """The mean rating, None without ratings."""
        return sum(self.ratings) / len(self.ratings) if self.ratings else None

    def merged(self, other: Tally, label: str) -> Tally:
        """Both groups as one; people are a union, so someone in both counts once."""
        parts = dict(self.parts)
        for key, count in other.parts.items():
            parts[key] = parts.get(key, 0) + count
        return Tally(label, self.people | other.people, self.ratings + other.ratings, parts)


@dataclass(frozen=True)
class Breakdown:
    """A k-anonymous breakdown: the groups shown, largest first, "other" last."""

    groups: tuple[Tally, ...]
    merged: int = 0  # how many groups went into "other"
    suppressed: bool = False  # everything together is under k: nothing is shown


def k_anonymous(tallies: Iterable[Tally], k: int) -> Breakdown:
    """Apply the privacy rule so that no group under `k` people is shown *or derivable*.

    Groups under `k` merge into "other". A small "other" is not simply hidden: the total (shown
    elsewhere) minus the groups shown would give it away. Instead the smallest shown group joins
    "other" until "other" reaches `k`; when every group has joined and the whole is still under
    `k`, nothing is shown. A group that is itself labelled "other" joins the merged group, so
    one label never stands for two different sets of people. A group of answers from forgotten
    people only (no one to count) joins "other" too, for the same reason as a small one.
    """
    kept: list[Tally] = []
    other = Tally(OTHER)
    merged = 0
    for tally in tallies:
        if tally.size >= k and tally.label != OTHER:
            kept.append(tally)
        elif tally.size or tally.ratings:
            other = other.merged(tally, OTHER)
            merged += 1
    kept.sort(key=lambda t: (-t.size, t.label))
    while (other.size or other.ratings) and other.size < k and kept:
        other = other.merged(kept.pop(), OTHER)
        merged += 1
    if not (other.size or other.ratings):
        return Breakdown(tuple(kept))
    if other.size >= k:
        return Breakdown((*kept, other), merged)
    return Breakdown((), merged, suppressed=True)


def _by(
    pulses: Iterable[PulseFact], label_of: Callable[[PulseFact], K]
) -> dict[K, tuple[frozenset[int], tuple[int, ...]]]:
    """Rated pulse answers grouped by `label_of`: the group's respondents and its ratings.

    A forgotten respondent counts as nobody. That keeps the rule conservative: a group made up
    of forgotten people's answers is never shown.
    """
    people: dict[K, set[int]] = {}
    ratings: dict[K, list[int]] = {}
    for pulse in pulses:
        if pulse.rating is None:
            continue
        label = label_of(pulse)
        ratings.setdefault(label, []).append(pulse.rating)
        members = people.setdefault(label, set())
        if pulse.respondent is not None:
            members.add(pulse.respondent)
    return {label: (frozenset(people[label]), tuple(ratings[label])) for label in ratings}


def rating_breakdown(
    pulses: Iterable[PulseFact], k: int, label_of: Callable[[PulseFact], str]
) -> Breakdown:
    """Average rating per group (track, side…), k-anonymous on distinct respondents."""
    groups = _by(pulses, label_of)
    return k_anonymous((Tally(label, who, ratings) for label, (who, ratings) in groups.items()), k)
