"""Where the solver gets its edges: blocks streamed from `Graph` (re-scored on every pass, or
kept in memory when the round is small), never one N × N matrix and never every edge at once.

Two passes over the blocks exist:
  * `candidates(k)`: each row's and each column's top-k edges, the degrees, and per row and
    per column a *threshold*: every edge left out scores below it;
  * `near(u, v, …)`: the edges an LP dual (u, v) rejects, plus the nearly tight ones. A row
    whose threshold is ≤ u[row] cannot have a rejected left-out edge (v ≥ 0), and likewise a
    column whose threshold is ≤ v[col] (u ≥ 0), so those rows and columns are not scanned.

Solver weights may add a per-person bonus (`bonus_r`, `bonus_c`, float64) to the real float32
scores: then blocks are widened to float64 so a large bonus does not swallow the score.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from conversations.matching.graph import F32, Block, Bool, Edges, Graph, gather
from conversations.matching.prep import I32

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
TOL = 1e-3  # block scores are float32: smaller differences are not preferences
IN_MEMORY_CELLS = 40_000_000  # keep scored blocks (4 bytes a cell) up to this many cells
Weights = npt.NDArray[np.floating[Any]]  # float32 scores, or float64 with a bonus


def _flat(b_rows: I32, b_cols: I32, score: F32, mask: Bool) -> tuple[I32, I32, F32]:
    idx = np.flatnonzero(mask.ravel())
    width = len(b_cols)
    return b_rows[idx // width], b_cols[idx % width], score.ravel()[idx]


def dedupe(a: Edges, b: Edges, n_cols: int) -> Edges:
    """The union of two edge lists, each edge once, in (row, column) order."""
    rows = np.concatenate([a.rows, b.rows])
    cols = np.concatenate([a.cols, b.cols])
    _, first = np.unique(rows.astype(np.int64) * n_cols + cols, return_index=True)
    return Edges(rows[first], cols[first], np.concatenate([a.score, b.score])[first])


def _top(w: Weights, cols: I32, k_row: int, k: int, col_best: F64) -> tuple[Weights, Bool, Bool]:
    """One block's row top-k threshold, the row top-k mask, and the row-or-column top-k mask;
    `col_best` (per column, its k best so far) is updated in place."""
    n_r, n_c = w.shape
    if n_c > k_row:
        row_thr: Weights = np.partition(w, n_c - k_row, axis=1)[:, n_c - k_row]
    else:
        row_thr = np.zeros(n_r, w.dtype)
    top = np.partition(w, n_r - k, axis=0)[n_r - k :] if n_r > k else w
    merged = np.concatenate([col_best[cols], top.T], axis=1)
    col_best[cols] = np.partition(merged, merged.shape[1] - k, axis=1)[:, -k:]
    by_row = w >= row_thr[:, None]
    col_thr: Weights = col_best[cols, 0].astype(w.dtype)
    return row_thr, by_row, by_row | (w >= col_thr[None, :])


class EdgeSource:
    """Scans of the allowed edges for the solver (see the module docstring)."""

    def __init__(
        self,
        graph: Graph,
        bonus_r: F64 | None = None,
        bonus_c: F64 | None = None,
        in_memory_cells: int = IN_MEMORY_CELLS,
    ) -> None:
        self.graph = graph
        self.bonus_r, self.bonus_c = bonus_r, bonus_c
        self.row_deg = np.zeros(graph.n_rows, np.int64)
        self.col_deg = np.zeros(graph.n_cols, np.int64)
        # the solver-weight of the best left-out edge is below these (0: nothing left out)
        self.row_thr = np.zeros(graph.n_rows, np.float64)
        self.col_thr = np.zeros(graph.n_cols, np.float64)
        self.scanned_cells = 0  # for benchmarks: how much work the passes did
        on_r, on_c = np.ones(graph.n_rows, bool), np.ones(graph.n_cols, bool)
        cells = sum(len(r) * len(c) for r, c in graph.plan(on_r, on_c))
        self._cache: list[Block] | None = [] if cells <= in_memory_cells else None

    def _blocks(self, row_on: Bool, col_on: Bool) -> Iterator[Block]:
        """The blocks among these rows and columns: from memory when kept, else re-scored."""
        if self._cache is None:
            yield from self.graph.blocks(row_on, col_on)
            return
        for b in self._cache:
            ri, ci = np.flatnonzero(row_on[b.rows]), np.flatnonzero(col_on[b.cols])
            if len(ri) == len(b.rows) and len(ci) == len(b.cols):
                yield b
            elif len(ri) and len(ci):
                yield Block(b.rows[ri], b.cols[ci], b.score[np.ix_(ri, ci)])

    def _weights(self, b: Block) -> Weights:
        """Solver weights of a block: the score, plus the bonuses (in float64) if any."""
        if self.bonus_r is None or self.bonus_c is None:
            return b.score
        w = b.score.astype(np.float64)
        w += self.bonus_r[b.rows][:, None]
        w += self.bonus_c[b.cols][None, :]
        w[b.score <= 0] = 0.0  # not allowed stays not allowed
        return w

    def candidates(self, k: int) -> Edges:
        """Each row's top-k (rows are whole inside a block) and each column's top-k (kept as a
        running top-k over the blocks); degrees and thresholds are recorded on the way."""
        g = self.graph
        on_r, on_c = np.ones(g.n_rows, bool), np.ones(g.n_cols, bool)
        k_row = k + g.prep.data.config.mentees_per_mentor - 1  # a mentor may take several
        col_best = np.zeros((g.n_cols, k), np.float64)
        # with a priority bonus, the top-k by solver weight is mostly priority partners: keep
        # the top-k by real score as well, or everyone else's first solve is starved of edges
        real_best = np.zeros((g.n_cols, k), np.float64) if self.bonus_r is not None else None
        parts: list[tuple[I32, I32, F32]] = []
        flags: list[Bool] = []
        cache = self._cache
        for b in g.blocks(on_r, on_c):
            if cache is not None:
                cache.append(b)
            w = self._weights(b)
            self.scanned_cells += w.size
            pos = b.score > 0
            self.row_deg[b.rows] += np.count_nonzero(pos, axis=1)
            self.col_deg[b.cols] += np.count_nonzero(pos, axis=0)
            row_thr, by_row, keep = _top(w, b.cols, k_row, k, col_best)
            self.row_thr[b.rows] = row_thr
            if real_best is not None:
                _, by_row_real, keep_real = _top(b.score, b.cols, k_row, k, real_best)
                by_row |= by_row_real
                keep |= keep_real
            keep &= pos
            r, c, s = _flat(b.rows, b.cols, b.score, keep)
            parts.append((r, c, s))
            flags.append(by_row.ravel()[np.flatnonzero(keep.ravel())])
        # col_best rows are partitioned so that column 0 holds the k-th best
        self.col_thr = col_best.min(axis=1)
        edges = gather(parts)
        flag = np.concatenate(flags) if flags else np.zeros(0, bool)
        final = flag | (self.weights_of(edges) >= self.col_thr[edges.cols])
        if real_best is not None:
            final |= edges.score >= real_best.min(axis=1)[edges.cols]
        return Edges(edges.rows[final], edges.cols[final], edges.score[final])

    def weights_of(self, e: Edges) -> F64:
        """Solver weights of a list of edges (float64)."""
        w = e.score.astype(np.float64)
        if self.bonus_r is not None and self.bonus_c is not None:
            w += self.bonus_r[e.rows] + self.bonus_c[e.cols]
        return w

    def near(self, u: F64, v: F64, row_on: Bool, col_on: Bool, delta: float) -> tuple[Edges, int]:
        """Edges with w > u + v + TOL (rejected by the duals; their count is the second value)
        and, only when there are any, every edge with w > u + v − delta as well."""
        scan_r = row_on & (self.row_thr > u + TOL)
        scan_c = col_on & (self.col_thr > v + TOL)
        if not scan_r.any() or not scan_c.any():
            return Edges.empty(), 0
        wide = self.bonus_r is not None
        dt = np.float64 if wide else np.float32
        uu: Weights = u.astype(dt)
        vv: Weights = v.astype(dt)
        bad = 0
        parts: list[tuple[I32, I32, F32]] = []
        for b in self._blocks(scan_r, scan_c):
            w = self._weights(b)
            self.scanned_cells += w.size
            red = w - uu[b.rows][:, None]
            red -= vv[b.cols][None, :]
            red[b.score <= 0] = -np.inf
            bad += int(np.count_nonzero(red > TOL))
            parts.append(_flat(b.rows, b.cols, b.score, red > -delta))
        return (gather(parts), bad) if bad else (Edges.empty(), 0)
