"""One pair at a time, in words: the hard rules it breaks, its score and the reasons behind it.

The formulas here are the scalar twins of the vectorised ones in `graph.py` (a test
checks they agree). Score of an allowed pair (weights from `matching.weights`):

    PAIR_BASE (1)
    + topics          × number of topics the mentor teaches that the mentee wants to learn
    + cross_department  when both departments are known and differ
    + timezone        × (1 − gap / max_timezone_gap)   (full weight when the window is 0 h)
    + level_gap       × sweet_spot(gap): 1 for gaps 2–4, −1/4 per level outside, floor 0
    + PREFER_BONUS (1000) for an admin's `prefer_pairs` entry (mentor, mentee)
"""

from __future__ import annotations

from dataclasses import dataclass

from conversations.data.catalogue import is_technology
from conversations.matching.prep import (
    PAIR_BASE,
    PREFER_BONUS,
    clock_gap_minutes,
    exclusion_reason,
    norm,
    sweet_spot,
    utc_offset_minutes,
)
from conversations.types import MatchInput, Person, Role, Status


def hours(minutes: float) -> str:
    """90 → "1.5 h", 30 → "30 min", 240 → "4 h"."""
    if 0 < minutes < 60:
        return f"{minutes:g} min"
    return f"{minutes / 60:g} h"


def levels(n: int) -> str:
    return f"{n} level" if n == 1 else f"{n} levels"


_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve "
    "thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty"
).split()


def number_words(n: int) -> str:
    """3 → "three" (up to twenty; larger numbers stay digits, which read well aloud)."""
    return _WORDS[n] if 0 <= n < len(_WORDS) else str(n)


def hours_words(minutes: float) -> str:
    """90 → "one hour 30 minutes", 120 → "two hours", 30 → "30 minutes": no "h" to spell."""
    whole, rest = divmod(round(minutes), 60)
    parts = []
    if whole:
        parts.append(f"{number_words(whole)} hour{'s' if whole != 1 else ''}")
    if rest or not whole:
        parts.append(f"{rest} minutes")
    return " ".join(parts)


def level_words(gap: int) -> str:
    """How far apart the mentee is above the mentor, in words: "two levels apart"."""
    if gap == 0:
        return "at the same level"
    apart = f"{number_words(abs(gap))} level{'s' if abs(gap) != 1 else ''} apart"
    return apart if gap > 0 else f"{apart}, the mentor more senior"


def and_list(items: list[str]) -> str:
    """["a"] → "a", ["a", "b"] → "a and b", ["a", "b", "c"] → "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def first_name(person: Person) -> str:
    return person.display_name.split()[0] if person.display_name.split() else person.email


@dataclass(frozen=True)
class Parts:
    """The pieces of a pair's score, each explainable on its own."""

    shared: tuple[str, ...]
    cross: bool
    tz_minutes: int
    level_gap: int
    preferred: bool
    mentor_department: str = ""
    mentee_department: str = ""


class PairRules:
    """The rules of one round for pairs looked at one by one (admins, explanations)."""

    def __init__(self, data: MatchInput) -> None:
        self.data = data
        self.by_id = {p.id: p for p in data.people}
        self.cfg = data.config
        self.avoid = {frozenset((a.casefold(), b.casefold())) for a, b in self.cfg.avoid_pairs}
        self.prefer = {(a.casefold(), b.casefold()) for a, b in self.cfg.prefer_pairs}
        self.history = {frozenset(p) for p in data.history}
        self.declined = {frozenset(p) for p in data.declined}

    def offset(self, person: Person) -> int:
        return utc_offset_minutes(person.timezone, self.data.default_timezone, self.data.start_date)

    def chain(self, person: Person) -> set[int]:
        """Ids of everyone above `person`, walking managers (a cycle stops the walk)."""
        seen: set[int] = set()
        node = person.manager_id
        while node is not None and node not in seen and node in self.by_id:
            seen.add(node)
            node = self.by_id[node].manager_id
        seen.discard(person.id)
        return seen

    def parts(self, mentor: Person, mentee: Person) -> Parts:
        wants = {norm(t) for t in mentee.learns}
        shared: list[str] = []
        for t in mentor.teaches:
            if norm(t) in wants and norm(t) not in {norm(s) for s in shared}:
                shared.append(t.strip())
        dm, de = norm(mentor.department), norm(mentee.department)
        key = (mentor.email.casefold(), mentee.email.casefold())
        return Parts(
            shared=tuple(shared),
            cross=bool(dm and de and dm != de),
            tz_minutes=clock_gap_minutes(self.offset(mentor), self.offset(mentee)),
            level_gap=mentee.level - mentor.level,
            preferred=key in self.prefer,
            mentor_department=mentor.department.strip(),
            mentee_department=mentee.department.strip(),
        )

    def score(self, parts: Parts) -> float:
        w = self.cfg.weights
        max_minutes = self.cfg.max_timezone_gap_hours * 60.0
        tz = w.timezone * (1.0 - parts.tz_minutes / max_minutes) if max_minutes > 0 else w.timezone
        total = PAIR_BASE + w.topics * len(parts.shared) + tz
        total += w.level_gap * sweet_spot(parts.level_gap)
        total += w.cross_department if parts.cross else 0.0
        total += PREFER_BONUS if parts.preferred else 0.0
        return total

    def reasons(self, mentor: Person, mentee: Person, parts: Parts) -> tuple[str, ...]:
        """Why the pair fits, in plain words a screen reader reads well (no symbols, no
        jargon). Technology and inclusion topics are separate reasons, so a preview can
        leave the inclusion one out (`conversations.pairing.disclosure.preview_reasons`)."""
        del mentor, mentee  # the words are the same whoever reads them
        out: list[str] = []
        tech = [t for t in parts.shared if is_technology(t)]
        other = [t for t in parts.shared if not is_technology(t)]
        for topics in (tech, other):
            if topics:
                out.append(f"both interested in {and_list(topics)}")
        if parts.cross:
            out.append(f"from different departments ({self._departments(parts)})")
        out.append(
            "in the same time zone"
            if parts.tz_minutes == 0
            else f"time zones {hours_words(parts.tz_minutes)} apart"
        )
        out.append(level_words(parts.level_gap))
        if parts.preferred:
            out.append("asked for by the programme team")
        return tuple(out)

    def _departments(self, parts: Parts) -> str:
        return f"{parts.mentor_department} and {parts.mentee_department}"

    def violations(self, mentor: Person, mentee: Person) -> list[str]:
        """Every hard rule the pair breaks, in words ([] when the pair is allowed)."""
        cfg, out = self.cfg, []
        m_name, e_name = first_name(mentor), first_name(mentee)
        if mentor.id == mentee.id:
            return [f"{m_name} cannot mentor themselves"]
        for person, side, wrong in (
            (mentor, "mentor", Role.MENTEE),
            (mentee, "mentee", Role.MENTOR),
        ):
            if person.status is Status.DIRECTORY:
                out.append(f"{first_name(person)} is not enrolled in the programme")
            elif (why := exclusion_reason(person, self.data.busy, self.data.held)) is not None:
                out.append(f"{first_name(person)}: {why}")
            if person.role is wrong:
                out.append(f"{first_name(person)} signed up as a {wrong.value}, not a {side}")
        gap = mentee.level - mentor.level
        if gap < cfg.min_level_gap:
            out.append(
                f"{e_name} must be at least {levels(cfg.min_level_gap)} more senior than "
                f"{m_name} (the gap is {gap})"
            )
        if mentee.id in self.chain(mentor):
            out.append(f"{e_name} is in {m_name}'s reporting line")
        if mentor.id in self.chain(mentee):
            out.append(f"{m_name} is in {e_name}'s reporting line")
        tz = clock_gap_minutes(self.offset(mentor), self.offset(mentee))
        if tz > cfg.max_timezone_gap_hours * 60:
            out.append(
                f"time zones are {hours(tz)} apart "
                f"(at most {hours(cfg.max_timezone_gap_hours * 60)})"
            )
        if cfg.require_cross_department:
            dm, de = norm(mentor.department), norm(mentee.department)
            if not dm or not de:
                out.append("a department is missing, and pairs must cross departments")
            elif dm == de:
                out.append(f"both are in {mentor.department.strip()}; pairs must cross departments")
        key = frozenset((mentor.id, mentee.id))
        if not cfg.allow_repeat_pairs and key in self.history:
            out.append(f"{m_name} and {e_name} have been paired before")
        if key in self.declined:
            out.append("this pairing was declined or ended early before")
        if frozenset((mentor.email.casefold(), mentee.email.casefold())) in self.avoid:
            out.append("the programme admins asked to avoid this pair")
        return out
