"""Exact maximum-score assignment on the (pruned, then certified) sparse graph.

Objective: maximise the total score of the chosen pairs. Every allowed pair scores at least
`PAIR_BASE` > 0, so leaving a pair out never gains anything; a pair is only dropped when its
partners score more elsewhere.

1. Candidates: each row's top-K edges and each column's top-K edges (a streaming pass).
2. Solve the assignment on the candidates with scipy's LAPJVsp: rows are mentor *slots*
   (`mentees_per_mentor` copies of each mentor), columns are mentees plus one private dummy
   column per slot (weight 0), so a full matching always exists and "unused" costs nothing.
3. Certificate: LP duals (u for slots, v ≥ 0 for columns, u + v ≥ w, tight on the matching)
   are read off as shortest paths in the residual graph. Any edge of the *full* graph with
   w > u + v is added and step 2 repeats. When no edge violates, weak duality proves the
   candidate optimum is the optimum of the whole graph.
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

from conversations.domain import Role
from conversations.matching_edges import IN_MEMORY_CELLS, dedupe, edge_source
from conversations.matching_graph import Bool, Edges, Graph

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
TOP_K = 8
DELTA = 2.0  # also add edges within this much of tight: the next optimum tends to use them
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


def _assign(edges: Edges, n_rows: int, n_cols: int, cap: int) -> Assignment:
    n_slots = n_rows * cap
    r = np.repeat(edges.rows.astype(np.int64) * cap, cap) + np.tile(np.arange(cap), len(edges))
    c = np.repeat(edges.cols.astype(np.int64), cap)
    w = np.repeat(edges.score.astype(np.float64), cap)
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
    v = _column_duals(r, c, w, m, w_match, n_cols, n_slots)
    u = w_match - v[m]
    u_row = u.reshape(n_rows, cap).min(axis=1) if n_rows else np.zeros(0)
    return Assignment(slot_col, w_match, float(w_match.sum()), u_row, v[:n_cols], cap)


def _column_duals(r: I64, c: I64, w: F64, m: I64, w_match: F64, n_cols: int, n_slots: int) -> F64:
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
        better = best < dist[targets] - 1e-9
        if not better.any():
            break
        dist[targets[better]] = best[better]
    return np.where(np.isfinite(dist), np.maximum(dist, 0.0), 0.0)


@dataclass
class Solution:
    """The chosen (row, column) pairs and whether optimality was proven."""

    pairs: list[tuple[int, int]]
    value: float
    proven: bool
    row_deg: I64
    col_deg: I64


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
        self.proven = True
        self.solves = 0
        prep = graph.prep
        self.row_of = {int(e): i for i, e in enumerate(prep.rows)}
        self.col_of = {int(e): j for j, e in enumerate(prep.cols)}
        self.either = [i for i, p in enumerate(prep.people) if p.role is Role.EITHER]
        self.source = edge_source(graph, in_memory_cells)
        self.cand = Edges.empty()

    def relax(self, row_on: Bool, col_on: Bool) -> Assignment:
        """Optimum of the bipartite relaxation under these side restrictions, certified: each
        round adds the edges the duals reject (and the nearly tight ones, which the next
        optimum tends to need) until none is rejected."""
        g = self.graph
        for _ in range(MAX_ROUNDS):
            on = row_on[self.cand.rows] & col_on[self.cand.cols]
            sub = Edges(self.cand.rows[on], self.cand.cols[on], self.cand.score[on])
            a = _assign(sub, g.n_rows, g.n_cols, self.cap)
            self.solves += 1
            extra, bad = self.source.near(a.u_row, a.v_col, row_on, col_on, DELTA)
            if bad == 0:
                return a
            self.cand = dedupe(self.cand, extra, g.n_cols)
        self.proven = False
        return a

    def conflicts(self, a: Assignment) -> list[int]:
        """`either` people the relaxation used on both sides."""
        col_used = np.zeros(self.graph.n_cols, bool)
        col_used[a.slot_col[a.slot_col >= 0]] = True
        return [e for e in self.either if a.row_cols(self.row_of[e]) and col_used[self.col_of[e]]]

    def solve(self) -> Solution:
        g = self.graph
        row_on = np.ones(g.n_rows, bool)
        col_on = np.ones(g.n_cols, bool)
        self.cand = self.source.candidates(self.top_k)
        best = self._branch_and_bound(row_on, col_on)
        pairs = [(r, c) for r in range(g.n_rows) for c in best.row_cols(r)]
        return Solution(pairs, best.value, self.proven, self.source.row_deg, self.source.col_deg)

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
                self.proven = False
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
