"""What a proposed partner may see before both have said yes.

Inclusion topics can hint at who someone is ("Race & ethnicity at work", "LGBTQ+ inclusion"),
so before both partners consent they are shown only as "perspectives on inclusion"; technology
topics are shown by name. Any track other than technology, and any label the catalogue does
not ship, counts as inclusion: when unsure, say less. After the introduction the partners see
the topics they share (they chose to share them at sign-up, and the sign-up says so).
"""

from __future__ import annotations

from collections.abc import Iterable

from conversations.data.catalogue import is_technology
from conversations.types import Person

INCLUSION_WORDS = "perspectives on inclusion"
# The one line every sign-up shows, so nobody is surprised by what a partner reads.
WHAT_PARTNERS_SEE = (
    "🔒 Until you both say yes, a proposed partner sees your name, title, department, time "
    "zone and technology topics (inclusion topics only as “inclusion”); once you're "
    "introduced, your partner sees the topics you share."
)


def shown_topics(labels: Iterable[str]) -> tuple[str, ...]:
    """The topics a proposed partner may read: technology by name, anything else folded
    into one generic "perspectives on inclusion" at the end."""
    named: list[str] = []
    private = False
    for label in labels:
        if is_technology(label):
            if label.strip().casefold() not in {n.casefold() for n in named}:
                named.append(label.strip())
        elif label.strip():
            private = True
    return (*named, INCLUSION_WORDS) if private else tuple(named)


def private_topics(*people: Person) -> frozenset[str]:
    """Every non-technology topic either person picked, casefolded."""
    return frozenset(
        label.strip().casefold()
        for person in people
        for label in (*person.teaches, *person.learns)
        if label.strip() and not is_technology(label)
    )


def preview_reasons(reasons: Iterable[str], *people: Person) -> tuple[str, ...]:
    """The pair's reasons with every one that names an inclusion topic of theirs replaced by
    a single generic line (the matcher keeps technology and inclusion topics in separate
    reasons, so nothing else is lost)."""
    hidden = private_topics(*people)
    kept: list[str] = []
    dropped = False
    for reason in reasons:
        if any(topic in reason.casefold() for topic in hidden):
            dropped = True
        else:
            kept.append(reason)
    if dropped:
        kept.insert(0, f"both interested in {INCLUSION_WORDS}")
    return tuple(kept)
