"""Turn a `MatchInput` into flat numpy arrays the edge builder can scan block by block.

Eligibility, UTC offsets on the start date, topic bit masks, department codes, and the
reporting-line structure (an Euler tour of the manager forest, so "is A in B's manager chain"
is two integer comparisons however long the chain) are computed once here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from conversations.types import Excluded, MatchInput, Person, Role, Status

I32 = npt.NDArray[np.int32]
U64 = npt.NDArray[np.uint64]

PAIR_BASE = 1.0  # every allowed pair is worth this much, so an extra pair rarely loses
PREFER_BONUS = 1000.0  # an admin's `prefer_pairs` entry outweighs every soft preference
SWEET_LOW, SWEET_HIGH, SWEET_FADE = 2, 4, 4  # level gaps 2–4 score full marks, fading over 4


def norm(text: str) -> str:
    """Topics and departments compare case- and spacing-insensitively."""
    return " ".join(text.split()).casefold()


def sweet_spot(gap: int) -> float:
    """Level-gap factor in [0, 1]: 1 for gaps 2–4, falling by 1/4 per level outside that."""
    distance = max(SWEET_LOW - gap, gap - SWEET_HIGH, 0)
    return max(0.0, 1.0 - distance / SWEET_FADE)


@lru_cache(maxsize=1024)
def _offset(zone: str, on: date) -> int | None:
    try:
        info = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    delta = datetime.combine(on, time(12), tzinfo=info).utcoffset()
    return None if delta is None else int(delta.total_seconds() // 60)


def utc_offset_minutes(zone: str, default_zone: str, on: date) -> int:
    """The UTC offset at local noon on `on` (DST included); blank/unknown → default → UTC."""
    for candidate in (zone.strip(), default_zone.strip()):
        if candidate:
            minutes = _offset(candidate, on)
            if minutes is not None:
                return minutes
    return 0


def clock_gap_minutes(a: int, b: int) -> int:
    """Distance between two UTC offsets around the clock: UTC−8 and UTC+13 are 3 h apart."""
    d = abs(a - b) % 1440
    return min(d, 1440 - d)


HELD_FOR_REVIEW = "held for review"


def exclusion_reason(
    person: Person, busy: frozenset[int], held: frozenset[int] = frozenset()
) -> str | None:
    """Why an enrolled-or-former person is not matched this round (None: eligible).

    `held`: seniors whose junior ended their last pairing wait for an admin's review (the
    admins read this reason; the senior is never told it)."""
    if person.status is Status.PAUSED:
        return f"paused until {person.paused_until}" if person.paused_until else "paused"
    if person.status is Status.LEFT:
        return "left the programme"
    if person.status is Status.INACTIVE:
        return "inactive"
    if person.status is Status.UNREACHABLE:
        return "the bot cannot reach them"
    if person.role is None:
        return "not enrolled with a role"
    if person.id in busy:
        return "already in an active pair"
    if person.id in held:
        return HELD_FOR_REVIEW
    return None


def can_mentor(person: Person) -> bool:
    return person.role in (Role.MENTOR, Role.EITHER)


def can_mentee(person: Person) -> bool:
    return person.role in (Role.MENTEE, Role.EITHER)


def euler_tour(people: Sequence[Person]) -> tuple[I32, I32]:
    """Preorder entry/exit numbers of the manager forest: A manages B (directly or not)
    exactly when tin[A] <= tin[B] < tout[A]. A manager cycle (bad data) is collapsed into one
    node, so every member is in every other member's chain — as walking the chain would say."""
    n = len(people)
    index = {p.id: i for i, p in enumerate(people)}
    parent = np.full(n, -1, dtype=np.int64)
    for i, p in enumerate(people):
        if p.manager_id is not None and p.manager_id in index and p.manager_id != p.id:
            parent[i] = index[p.manager_id]
    rep = np.arange(n, dtype=np.int64)
    state = np.zeros(n, dtype=np.int8)  # 0 new, 1 on the current walk, 2 done
    for start in range(n):
        walk: list[int] = []
        node = start
        while node != -1 and state[node] == 0:
            state[node] = 1
            walk.append(node)
            node = int(parent[node])
        if node != -1 and state[node] == 1:  # closed a cycle: collapse it
            members = walk[walk.index(node) :]
            low = min(members)
            for m in members:
                rep[m] = low
                parent[m] = -1
        for m in walk:
            state[m] = 2
    children: dict[int, list[int]] = {}
    roots: list[int] = []
    for i in range(n):
        if rep[i] != i:
            continue
        par = int(parent[i])
        if par == -1:
            roots.append(i)
        else:
            children.setdefault(int(rep[par]), []).append(i)
    tin_rep = np.zeros(n, dtype=np.int32)
    tout_rep = np.zeros(n, dtype=np.int32)
    clock = 0
    for root in roots:
        stack: list[tuple[int, bool]] = [(root, False)]
        while stack:
            node, leaving = stack.pop()
            if leaving:
                tout_rep[node] = clock
                continue
            tin_rep[node] = clock
            clock += 1
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(children.get(node, [])))
    return tin_rep[rep], tout_rep[rep]


def topic_masks(topic_lists: Iterable[tuple[str, ...]], vocab: dict[str, int], words: int) -> U64:
    rows = list(topic_lists)
    out = np.zeros((len(rows), words), dtype=np.uint64)
    for i, topics in enumerate(rows):
        for t in topics:
            bit = vocab.get(norm(t))
            if bit is not None:
                out[i, bit // 64] |= np.uint64(1 << (bit % 64))
    return out


@dataclass
class Prepared:
    """Eligible people (sorted by id) as columns of arrays, plus the sparse exceptions."""

    data: MatchInput
    people: list[Person]
    excluded: list[Excluded]
    level: I32
    tz: I32  # UTC offset in minutes on the start date
    dept: I32  # -1 when blank
    teach: U64  # (n, words) bit masks over topics someone teaches and someone learns
    learn: U64
    tin: I32
    tout: I32
    rows: I32  # eligible indices that may mentor (role mentor/either)
    cols: I32  # eligible indices that may be mentored (role mentee/either)
    priority: npt.NDArray[np.bool_]  # left out last round: first in line this round
    blocked: set[tuple[int, int]] = field(default_factory=set)  # (mentor idx, mentee idx)
    prefer: set[tuple[int, int]] = field(default_factory=set)
    # the same exceptions, kept apart so an unmatched reason can name the rule (both orders)
    history: set[tuple[int, int]] = field(default_factory=set)
    declined: set[tuple[int, int]] = field(default_factory=set)
    avoid: set[tuple[int, int]] = field(default_factory=set)


def prepare(data: MatchInput) -> Prepared:
    """Sort, filter and encode the directory for one round."""
    directory = sorted(data.people, key=lambda p: p.id)
    tin_all, tout_all = euler_tour(directory)
    eligible: list[int] = []
    excluded: list[Excluded] = []
    for i, p in enumerate(directory):
        if p.status is Status.DIRECTORY:
            continue
        reason = exclusion_reason(p, data.busy, data.held)
        if reason is None:
            eligible.append(i)
        else:
            excluded.append(Excluded(p, reason))
    people = [directory[i] for i in eligible]
    sel = np.asarray(eligible, dtype=np.int64)
    vocab_teach = {norm(t) for p in people if can_mentor(p) for t in p.teaches}
    vocab_learn = {norm(t) for p in people if can_mentee(p) for t in p.learns}
    vocab = {t: i for i, t in enumerate(sorted(vocab_teach & vocab_learn))}
    words = max(1, (len(vocab) + 63) // 64)
    depts: dict[str, int] = {}
    for p in people:
        if norm(p.department):
            depts.setdefault(norm(p.department), len(depts))
    cfg, start = data.config, data.start_date
    prep = Prepared(
        data=data,
        people=people,
        excluded=excluded,
        level=np.asarray([p.level for p in people], dtype=np.int32),
        tz=np.asarray(
            [utc_offset_minutes(p.timezone, data.default_timezone, start) for p in people],
            dtype=np.int32,
        ),
        dept=np.asarray([depts.get(norm(p.department), -1) for p in people], dtype=np.int32),
        teach=topic_masks((p.teaches for p in people), vocab, words),
        learn=topic_masks((p.learns for p in people), vocab, words),
        tin=tin_all[sel] if len(sel) else np.zeros(0, np.int32),
        tout=tout_all[sel] if len(sel) else np.zeros(0, np.int32),
        rows=np.asarray([i for i, p in enumerate(people) if can_mentor(p)], dtype=np.int32),
        cols=np.asarray([i for i, p in enumerate(people) if can_mentee(p)], dtype=np.int32),
        priority=np.asarray([p.id in data.priority for p in people], dtype=bool),
    )
    by_id = {p.id: i for i, p in enumerate(people)}
    by_email = {p.email.casefold(): i for i, p in enumerate(people)}
    for i, p in enumerate(people):
        if p.role is Role.EITHER:
            prep.blocked.add((i, i))

    def block_both(kind: set[tuple[int, int]], a: int | None, b: int | None) -> None:
        if a is not None and b is not None:
            kind.update({(a, b), (b, a)})
            prep.blocked.update({(a, b), (b, a)})

    for a_id, b_id in data.declined:
        block_both(prep.declined, by_id.get(a_id), by_id.get(b_id))
    if not cfg.allow_repeat_pairs:
        for a_id, b_id in data.history:
            block_both(prep.history, by_id.get(a_id), by_id.get(b_id))
    for a_mail, b_mail in cfg.avoid_pairs:
        block_both(prep.avoid, by_email.get(a_mail.casefold()), by_email.get(b_mail.casefold()))
    for a_mail, b_mail in cfg.prefer_pairs:
        a, b = by_email.get(a_mail.casefold()), by_email.get(b_mail.casefold())
        if a is not None and b is not None:
            prep.prefer.add((a, b))
    return prep
