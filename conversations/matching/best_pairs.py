"""Who mentors whom this round: the best pairs under the programme's rules (pure, no I/O).

Hard rules, never broken (all from `matching` in app.yaml):
  * the mentor is junior: mentee.level − mentor.level ≥ min_level_gap;
  * never inside one reporting line, in either direction, however long the chain;
  * UTC offsets on the start date at most max_timezone_gap_hours apart, around the clock;
  * no repeat of an earlier pair (unless allow_repeat_pairs), no declined pair, no avoid_pairs;
  * different, known departments when require_cross_department;
  * a mentor takes at most mentees_per_mentor mentees, a mentee one mentor, and an `either`
    person is on one side only in a round.

Objective: the maximum total score (`explain.py` documents the score; every allowed pair
scores > 0). It is solved exactly (`solve.py`): sparse assignment on pruned candidates,
certified optimal against every allowed edge by LP duals, plus branch and bound for `either`
people. `priority` people (left out last round) are matched first: every edge touching one
carries a bonus larger than any total score. Ties go the same way every run: people are
sorted by id before anything else.
"""

from __future__ import annotations

from conversations.matching.edges import IN_MEMORY_CELLS
from conversations.matching.explain import PairRules
from conversations.matching.graph import Graph
from conversations.matching.prep import prepare
from conversations.matching.reasons import (
    TakenPartners,
    lost_out_reason,
    no_partner,
)
from conversations.matching.solve import MAX_NODES, TOP_K, Solver
from conversations.types import (
    MatchInput,
    MatchResult,
    Person,
    ProposedPair,
    Unmatched,
)

PRIORITY_REASON = "first in line after last round"


def propose_pairs(
    data: MatchInput,
    *,
    top_k: int = TOP_K,
    in_memory_cells: int = IN_MEMORY_CELLS,
    max_nodes: int = MAX_NODES,
) -> MatchResult:
    """The best pairs for this round, who was left out and why, and who was not eligible.

    People in `data.priority` (left out last round) come first: the pairs match as many of
    them as possible, and only then maximise the score. `exact` is False (and `notes` says
    why) when a safety cap stopped the search before optimality was proven.

    `top_k` and `in_memory_cells` tune speed only (tests use them to reach every code path);
    `max_nodes` caps the exact search over `either` people (past it: `exact` is False).
    """
    prep = prepare(data)
    graph = Graph(prep)
    solution = Solver(graph, top_k, max_nodes, in_memory_cells).solve()
    rules = PairRules(data)
    pairs: list[ProposedPair] = []
    paired: set[int] = set()
    for r, c in solution.pairs:
        m, e = int(prep.rows[r]), int(prep.cols[c])
        mentor, mentee = prep.people[m], prep.people[e]
        parts = rules.parts(mentor, mentee)
        reasons = rules.reasons(mentor, mentee, parts)
        if prep.priority[m] or prep.priority[e]:
            reasons += (PRIORITY_REASON,)
        # the real score: the priority bonus only steers the solver, users never see it
        pairs.append(ProposedPair(mentor, mentee, rules.score(parts), reasons))
        paired.update((m, e))
    row_of = {int(e): i for i, e in enumerate(prep.rows)}
    col_of = {int(e): j for j, e in enumerate(prep.cols)}
    unmatched: list[Unmatched] = []
    taken: TakenPartners | None = None  # built only when someone had no allowed partner
    for i, person in enumerate(prep.people):
        if i in paired:
            continue
        degree = int(solution.row_deg[row_of[i]]) if i in row_of else 0
        degree += int(solution.col_deg[col_of[i]]) if i in col_of else 0
        if degree:
            unmatched.append(lost_out_reason(prep, i, degree))
            continue
        if not data.busy:
            unmatched.append(no_partner(prep, i))
            continue
        taken = taken or TakenPartners(prep)
        unmatched.append(taken.unmatched(person))
    pairs.sort(key=lambda p: (p.mentor.id, p.mentee.id))
    return MatchResult(
        pairs=tuple(pairs),
        unmatched=tuple(unmatched),
        excluded=tuple(prep.excluded),
        total_score=sum(p.score for p in pairs),
        exact=solution.proven,
        notes=solution.notes,
    )


def hard_violations(mentor: Person, mentee: Person, data: MatchInput) -> list[str]:
    """For admins pairing by hand: every hard rule this pair would break, in words."""
    return PairRules(data).violations(mentor, mentee)


def explain_pair(mentor: Person, mentee: Person, data: MatchInput) -> tuple[float, tuple[str, ...]]:
    """The score of a pair and the reasons behind it (meaningful for allowed pairs)."""
    rules = PairRules(data)
    parts = rules.parts(mentor, mentee)
    return rules.score(parts), rules.reasons(mentor, mentee, parts)
