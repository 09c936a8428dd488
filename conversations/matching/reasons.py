"""Why an eligible person was left without a partner, in words that are true.

A person with no allowed partner at all gets the rule that removed the last candidates, found
by applying the hard rules one after another (level, reporting line, time zone, department,
history, declined, avoid) — unless someone already in a pair would have fitted: then what
stopped the match is that they are taken (a round published again, late joiners). A person who
had allowed partners lost them to better-fitting pairs; they are told only that everyone who
would suit them is paired, never that someone "fitted better".
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import numpy.typing as npt

from conversations.matching.explain import hours, levels
from conversations.matching.prep import Prepared, can_mentee, can_mentor, prepare
from conversations.types import Person, Unmatched

Mask = npt.NDArray[np.bool_]


def _stages(prep: Prepared, p: int, as_mentor: bool) -> list[tuple[str, int]]:
    """How many candidates survive after each rule, for `p` on one side."""
    cfg = prep.data.config
    cands = prep.cols if as_mentor else prep.rows
    cands = cands[cands != p]
    out = [("none", len(cands))]
    gap = prep.level[cands] - prep.level[p] if as_mentor else prep.level[p] - prep.level[cands]
    alive = gap >= cfg.min_level_gap
    out.append(("level", int(alive.sum())))
    tin, tout = prep.tin, prep.tout
    line = ((tin[cands] >= tin[p]) & (tin[cands] < tout[p])) | (
        (tin[p] >= tin[cands]) & (tin[p] < tout[cands])
    )
    alive &= ~line
    out.append(("line", int(alive.sum())))
    d = np.abs(prep.tz[cands] - prep.tz[p]) % 1440
    alive &= np.minimum(d, 1440 - d) <= cfg.max_timezone_gap_hours * 60
    out.append(("tz", int(alive.sum())))
    if cfg.require_cross_department:
        alive &= (prep.dept[cands] >= 0) & (prep.dept[p] >= 0) & (prep.dept[cands] != prep.dept[p])
        out.append(("dept", int(alive.sum())))
    left = [int(c) for c in cands[alive]]
    for name, kind in (
        ("history", prep.history),
        ("declined", prep.declined),
        ("avoid", prep.avoid),
    ):
        left = [c for c in left if ((p, c) if as_mentor else (c, p)) not in kind]
        out.append((name, len(left)))
    return out


# Rules about other people's decisions or the person's past pairs: the person reads a neutral
# line (a senior's decline "stays between us", the admins' avoid list is theirs), and going
# first next round cannot help them, so they are promised nothing about it.
_PRIVATE_RULES = frozenset({"history", "declined", "avoid"})


def no_partner(prep: Prepared, p: int) -> Unmatched:
    """Person `p` (eligible index), left with no allowed partner at all: a kind reason for
    them that reveals nobody else's decision, and the precise rule for the admins. Going
    first in the next round cannot help (no one enrolled fits), so `first_in_line` is False."""
    person = prep.people[p]
    cfg = prep.data.config
    mentor, mentee = can_mentor(person), can_mentee(person)
    runs = ([_stages(prep, p, True)] if mentor else []) + (
        [_stages(prep, p, False)] if mentee else []
    )
    counts = [sum(run[i][1] for run in runs) for i in range(len(runs[0]))]
    names = [name for name, _ in runs[0]]
    partner = "partner" if mentor and mentee else "mentee" if mentor else "mentor"
    g = cfg.min_level_gap
    if mentor and mentee:
        senior = f"no one at least {levels(g)} apart from {{you}}"
    elif mentor:
        senior = (
            f"no mentee at least {levels(g)} more senior" if g else "no mentee as senior as {you}"
        )
    else:
        senior = (
            f"no mentor at least {levels(g)} more junior" if g else "no mentor as junior as {you}"
        )
    words = {
        "none": f"no {partner}s are enrolled this round",
        "level": senior,
        "line": f"{senior} outside {{your}} reporting line",
        "tz": f"no {partner} within {hours(cfg.max_timezone_gap_hours * 60)} of {{your}} time zone",
        "dept": "no department on file, and pairs must cross departments"
        if prep.dept[p] < 0
        else f"no {partner} from another department who fits the other rules",
        "history": f"{{you}} have already been paired with every {partner} who fits",
        "declined": f"every {partner} who fits was declined or ended early before",
        "avoid": f"every {partner} who fits is on the admins' avoid list with {{them}}",
    }
    rule = next((name for name, count in zip(names, counts, strict=True) if count == 0), "other")
    if rule in _PRIVATE_RULES:
        admin = words[rule].format(you="they", your="their", them="them")
        return Unmatched(person, f"no {partner} who fits you is free this round", admin, False)
    if rule == "other":
        text = f"no {partner} fits every rule"
        return Unmatched(person, text, first_in_line=False)
    mine = words[rule].format(you="you", your="your", them="you")
    theirs = words[rule].format(you="them", your="their", them="them")
    return Unmatched(person, mine, theirs if theirs != mine else "", False)


def lost_out_reason(prep: Prepared, p: int, fits: int) -> Unmatched:
    """For a person who had `fits` allowed partners, all of them paired with others.

    They read that everyone who would suit them is paired (true, and kind: no comparison
    with whoever was chosen); the admins read that the solver found better-fitting pairs.
    Going first next round can help them, so they are first in line."""
    person = prep.people[p]
    mentor, mentee = can_mentor(person), can_mentee(person)
    partner = "partner" if mentor and mentee else "mentee" if mentor else "mentor"
    return Unmatched(
        person,
        f"every {partner} who would suit you is already paired",
        f"every compatible {partner} ({fits}) was matched with someone who fitted better",
    )


class TakenPartners:
    """The reasons for people with no allowed partner, judged against everyone enrolled,
    those already in a proposed or active pair included (a round published again, late
    joiners): when one of those would have fitted, what stopped the match is that they are
    taken; otherwise the rule that removes the last candidate of all, free or taken."""

    def __init__(self, prep: Prepared) -> None:
        # The same rules with nobody busy: "already in a pair" is the one rule set aside.
        self.everyone = prepare(replace(prep.data, busy=frozenset()))
        self.index = {person.id: i for i, person in enumerate(self.everyone.people)}

    def unmatched(self, person: Person) -> Unmatched:
        """Why `person` is left out: kind for them, precise for the admins."""
        p = self.index[person.id]
        mentor, mentee = can_mentor(person), can_mentee(person)
        runs = ([_stages(self.everyone, p, True)] if mentor else []) + (
            [_stages(self.everyone, p, False)] if mentee else []
        )
        fits = sum(run[-1][1] for run in runs)
        if not fits:
            return no_partner(self.everyone, p)
        partner = "partner" if mentor and mentee else "mentee" if mentor else "mentor"
        return Unmatched(
            person,
            f"every {partner} who would suit you is already paired",
            f"every compatible {partner} is already in a pair ({fits} would fit; none of "
            "those still free does)",
        )
