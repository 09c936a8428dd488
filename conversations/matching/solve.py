"""Exact maximum-score assignment on the (pruned, then certified) sparse graph.

Objective: maximise the total score of the chosen pairs. Every allowed pair scores at least
`PAIR_BASE` > 0, so leaving a pair out never gains anything; a pair is only dropped when its
partners score more elsewhere.

1. Candidates: each row's top-K edges and each column's top-K edges (a streaming pass that
   also records the score every left-out edge is below, per row and per column).
2. Solve the assignment on the candidates with scipy's LAPJVsp: rows are mentor *slots*
   (`mentees_per_mentor` copies of each mentor), columns are mentees plus one private dummy
   column per slot (weight 0), so a full matching always exists and "unused" costs nothing.
3. Certificate: LP duals (u for slots, v ≥ 0 for columns, u + v ≥ w, tight on the matching)
   are read off as shortest paths in the residual graph. Any edge of the *full* graph with
   w > u + v is added and step 2 repeats, on the known edges near tight only. When no edge
   violates, weak duality proves the candidate optimum is the optimum of the whole graph.
   Priority people (`MatchInput.priority`) add a bonus to the solver weights only: a power of
   two above any total score, on a mentor's first slot, so most priority people come first.
4. `either` people are a row and a column at once; the bipartite relaxation may use both. That
   relaxation is an upper bound, so best-first branch and bound (person P: not a mentor | not a
   mentee) is exact: the first conflict-free node popped is optimal. (A pure bipartite gadget
   cannot do this in general: with `either` people the problem is a general-graph matching.)
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from conversations.matching.edges import IN_MEMORY_CELLS, TOL, EdgeSource, dedupe
from conversations.matching.graph import Bool, Edges, Graph
from conversations.types import Role

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
TOP_K = 12
DELTA = 3.0  # also add edges within this much of tight: the next optimum tends to use them
PRUNE = 3.0  # later solves leave out known edges this far from tight (they are still checked)
MAX_ROUNDS = 25
MAX_NODES = 200


@dataclass
class Assignment:
    """One solve: for each row, the columns it took; the LP duals that certify it."""

    slot_col: I64  # (n_rows * cap,) column per slot, -1 when the slot is unused
    slot_w: F64  # score of each slot's pair (0 when unused)
    value: float
    u_row: F64  # per row: min over its slots of the slot dual
    v_col: F64
    cap: int

    def row_cols(self, row: int) -> list[int]:
        taken = self.slot_col[row * self.cap : (row + 1) * self.cap]
        return sorted(int(c) for c in taken if c >= 0)


def _assign(
    edges: Edges, w_edges: F64, n_rows: int, n_cols: int, cap: int, bonus_r: F64
) -> Assignment:
    """Solve one assignment: `w_edges` are the solver weights of `edges`; a row's bonus goes
    to its first slot only, so a priority mentor counts once however many mentees they take."""
    n_slots = n_rows * cap
    r = np.repeat(edges.rows.astype(np.int64) * cap, cap) + np.tile(np.arange(cap), len(edges))
    c = np.repeat(edges.cols.astype(np.int64), cap)
    w = np.repeat(w_edges, cap)
    if cap > 1:
        w[r % cap != 0] -= bonus_r[edges.rows].repeat(cap)[r % cap != 0]
    slots = np.arange(n_slots, dtype=np.int64)
    # shift every weight by 1 so the dummy (weight 0) is a stored non-zero, as scipy requires
    mat = sp.csr_array(
        (
            np.concatenate([w + 1.0, np.ones(n_slots)]),
            (np.concatenate([r, slots]), np.concatenate([c, n_cols + slots])),
        ),
        shape=(n_slots, n_cols + n_slots),
    )
    _, col_ind = min_weight_full_bipartite_matching(mat, maximize=True)
    m = np.asarray(col_ind, dtype=np.int64)
    real = m < n_cols
    slot_col = np.where(real, m, -1)
    # weight of each slot's chosen edge (0 for the dummy)
    w_match = np.zeros(n_slots)
    keys = r * (n_cols + n_slots) + c
    order = np.argsort(keys, kind="stable")
    hit = np.flatnonzero(real)
    found = order[np.searchsorted(keys, hit * (n_cols + n_slots) + m[hit], sorter=order)]
    w_match[hit] = w[found]
    scale = float(np.abs(w).max()) if len(w) else 1.0
    v = _column_duals(r, c, w, m, w_match, n_cols, n_slots, 1e-9 + scale * 2.0**-40)
    # an unused slot's dual may come out negative (its dummy column's dual positive): moving
    # the difference onto the dummy keeps every constraint and the bound, and makes u >= 0,
    # which the threshold certificate in `EdgeSource.near` relies on
    u = np.maximum(w_match - v[m], 0.0)
    slot_bonus = np.zeros(n_slots)
    slot_bonus[::cap] = bonus_r
    # the row dual that certifies an edge for every slot at once, in full row-bonus terms
    u_row = (u - slot_bonus).reshape(n_rows, cap).min(axis=1) + bonus_r if n_rows else np.zeros(0)
    return Assignment(slot_col, w_match, float(w_match.sum()), u_row, v[:n_cols], cap)


def _column_duals(
    r: I64, c: I64, w: F64, m: I64, w_match: F64, n_cols: int, n_slots: int, eps: float
) -> F64:
    """v ≥ 0 with w(s,j) ≤ w(s,m(s)) − v[m(s)] + v[j]: shortest paths from the free columns
    (v = 0) along arcs j → m(s) of length w(s,m(s)) − w(s,j). Optimality of the matching means
    no negative cycle and no negative distance, so Bellman–Ford (vectorised) settles it."""
    n_nodes = n_cols + n_slots
    slots = np.arange(n_slots, dtype=np.int64)
    src = np.concatenate([c, n_cols + slots])
    dst = np.concatenate([m[r], m])
    length = np.concatenate([w_match[r] - w, w_match])
    keep = src != dst
    src, dst, length = src[keep], dst[keep], length[keep]
    order = np.argsort(dst, kind="stable")
    src, dst, length = src[order], dst[order], length[order]
    heads = np.flatnonzero(np.r_[True, dst[1:] != dst[:-1]]) if len(dst) else np.zeros(0, np.int64)
    targets = dst[heads]
    matched = np.zeros(n_nodes, dtype=bool)
    matched[m] = True
    dist = np.where(matched, np.inf, 0.0)
    for _ in range(n_nodes + 1):
        if len(src) == 0:
            break
        best = np.minimum.reduceat(dist[src] + length, heads)
        better = best < dist[targets] - eps
        if not better.any():
            break
        dist[targets[better]] = best[better]
    return np.where(np.isfinite(dist), np.maximum(dist, 0.0), 0.0)


@dataclass
class Solution:
    """The chosen (row, column) pairs, their real total score, and whether the result is
    proven optimal (`notes` says in words what was not, for the admins' dry run)."""

    pairs: list[tuple[int, int]]
    value: float
    proven: bool
    row_deg: I64
    col_deg: I64
    notes: tuple[str, ...] = ()


def priority_bonus(graph: Graph) -> float:
    """A power of two above any round's total score: matching one more priority person is
    worth more than every score put together, so the optimum is lexicographic (most priority
    people first, then the score). A power of two keeps score + bonus exact in float64."""
    cap = graph.prep.data.config.mentees_per_mentor
    most = min(graph.n_rows * cap, graph.n_cols) * graph.max_score
    return float(2.0 ** np.ceil(np.log2(most + 2.0)))


class Solver:
    """Exact matching of one round: candidate pruning + certificate + branch and bound."""

    def __init__(
        self,
        graph: Graph,
        top_k: int = TOP_K,
        max_nodes: int = MAX_NODES,
        in_memory_cells: int = IN_MEMORY_CELLS,
    ) -> None:
        self.graph = graph
        self.cap = graph.prep.data.config.mentees_per_mentor
        self.top_k = max(1, top_k)
        self.max_nodes = max_nodes
        self.notes: list[str] = []
        self.solves = 0
        prep = graph.prep
        self.row_of = {int(e): i for i, e in enumerate(prep.rows)}
        self.col_of = {int(e): j for j, e in enumerate(prep.cols)}
        self.either = [i for i, p in enumerate(prep.people) if p.role is Role.EITHER]
        if prep.priority.any():
            bonus = priority_bonus(graph)
            self.bonus_r = np.where(prep.priority[prep.rows], bonus, 0.0)
            self.bonus_c = np.where(prep.priority[prep.cols], bonus, 0.0)
            self.source = EdgeSource(graph, self.bonus_r, self.bonus_c, in_memory_cells)
        else:
            self.bonus_r, self.bonus_c = np.zeros(graph.n_rows), np.zeros(graph.n_cols)
            self.source = EdgeSource(graph, in_memory_cells=in_memory_cells)
        self.cand = Edges.empty()
        self.cand_w = np.zeros(0)

    def relax(self, row_on: Bool, col_on: Bool) -> Assignment:
        """Optimum of the bipartite relaxation under these side restrictions, certified.

        Each round solves on the known edges that the last duals found nearly tight (every
        known edge in the first round), then checks the duals against every edge: the known
        ones directly, the rest by scanning blocks. Rejected edges (and the nearly tight
        ones, which the next optimum tends to need) join the known set; when nothing is
        rejected, weak duality proves the solve optimal on the whole graph. Pruning by reduced
        cost keeps later solves small: scipy's solver has no warm start, so size is time."""
        g = self.graph
        use: Bool | None = None
        for _ in range(MAX_ROUNDS):
            on = row_on[self.cand.rows] & col_on[self.cand.cols]
            if use is not None:
                on &= use
            sub = Edges(self.cand.rows[on], self.cand.cols[on], self.cand.score[on])
            a = _assign(sub, self.cand_w[on], g.n_rows, g.n_cols, self.cap, self.bonus_r)
            self.solves += 1
            red = self._reduced(a)
            known_bad = int(np.count_nonzero(
                (red > TOL) & row_on[self.cand.rows] & col_on[self.cand.cols]
            ))  # fmt: skip
            extra, bad = self.source.near(a.u_row, a.v_col, row_on, col_on, DELTA)
            if bad + known_bad == 0:
                return a
            self._add(extra)
            use = self._reduced(a) > -PRUNE
        self._note(f"stopped after {MAX_ROUNDS} rounds of adding edges; may not be optimal")
        return a

    def _reduced(self, a: Assignment) -> F64:
        """w − u − v of every known edge (> 0: the duals reject it)."""
        red: F64 = self.cand_w - a.u_row[self.cand.rows] - a.v_col[self.cand.cols]
        return red

    def _add(self, extra: Edges) -> None:
        self.cand = dedupe(self.cand, extra, self.graph.n_cols)
        self.cand_w = self.source.weights_of(self.cand)

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def conflicts(self, a: Assignment) -> list[int]:
        """`either` people the relaxation used on both sides."""
        col_used = np.zeros(self.graph.n_cols, bool)
        col_used[a.slot_col[a.slot_col >= 0]] = True
        return [e for e in self.either if a.row_cols(self.row_of[e]) and col_used[self.col_of[e]]]

    def solve(self) -> Solution:
        """The best pairs of the round (see the module docstring for how it is proven)."""
        g = self.graph
        row_on = np.ones(g.n_rows, bool)
        col_on = np.ones(g.n_cols, bool)
        self.cand = self.source.candidates(self.top_k)
        self.cand_w = self.source.weights_of(self.cand)
        best = self._branch_and_bound(row_on, col_on)
        taken = np.flatnonzero(best.slot_col >= 0)
        rows, cols = taken // self.cap, best.slot_col[taken]
        order = np.lexsort((cols, rows))
        pairs = [(int(r), int(c)) for r, c in zip(rows[order], cols[order], strict=True)]
        real = best.slot_w[taken] - self.bonus_c[cols]
        real -= np.where(taken % self.cap == 0, self.bonus_r[rows], 0.0)
        return Solution(
            pairs,
            float(real.sum()),
            not self.notes,
            self.source.row_deg,
            self.source.col_deg,
            tuple(self.notes),
        )

    def _branch_and_bound(self, row_on: Bool, col_on: Bool) -> Assignment:
        root = self.relax(row_on, col_on)
        heap: list[tuple[float, int, Bool, Bool, Assignment]] = [
            (-root.value, 0, row_on, col_on, root)
        ]
        seq, solved = 1, 1
        while heap:
            _, _, r_on, c_on, a = heapq.heappop(heap)
            clash = self.conflicts(a)
            if not clash:
                return a
            if solved >= self.max_nodes:
                self._note(
                    f"people who can be mentor or mentee: stopped the exact search after "
                    f"{self.max_nodes} solves and chose each one's better side; may not be optimal"
                )
                return self._repair(r_on, c_on, a)
            e = clash[0]
            for side in ("row", "col"):
                r2, c2 = r_on.copy(), c_on.copy()
                if side == "row":
                    r2[self.row_of[e]] = False
                else:
                    c2[self.col_of[e]] = False
                child = self.relax(r2, c2)
                solved += 1
                heapq.heappush(heap, (-child.value, seq, r2, c2, child))
                seq += 1
        raise AssertionError("branch and bound ran out of nodes")  # pragma: no cover

    def _repair(self, row_on: Bool, col_on: Bool, a: Assignment) -> Assignment:
        """Past the node budget: fix each conflicted person to their better side and re-solve."""
        while clash := self.conflicts(a):
            row_on, col_on = row_on.copy(), col_on.copy()
            for e in clash:
                r, c = self.row_of[e], self.col_of[e]
                as_mentor = a.slot_w[r * self.cap : (r + 1) * self.cap].sum()
                as_mentee = a.slot_w[a.slot_col == c].sum()
                if as_mentor >= as_mentee:
                    col_on[c] = False
                else:
                    row_on[r] = False
            a = self.relax(row_on, col_on)
        return a
