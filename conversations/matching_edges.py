"""Where the solver gets its edges: all of them in memory when they fit, else by streaming
blocks from `Graph` again on every pass. Both give the same three things: degrees, a pruned
candidate set (each row's and each column's top-k), and the edges a dual certificate rejects.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

from conversations.matching_graph import F32, Bool, Edges, Graph, gather
from conversations.matching_prep import I32

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
TOL = 1e-3  # block scores are float32: smaller differences are not preferences
IN_MEMORY_CELLS = 80_000_000  # dense cells scanned; ≈ 14.5 M edges at 10k × 10k is ~30 M cells
BINS = 256


class EdgeSource(Protocol):
    row_deg: I64
    col_deg: I64

    def candidates(self, k: int) -> Edges: ...

    def near(
        self, u: F64, v: F64, row_on: Bool, col_on: Bool, delta: float
    ) -> tuple[Edges, int]: ...


def edge_source(graph: Graph, in_memory_cells: int = IN_MEMORY_CELLS) -> EdgeSource:
    """Keep every edge when the scan is small enough; stream blocks otherwise."""
    on_r, on_c = np.ones(graph.n_rows, bool), np.ones(graph.n_cols, bool)
    cells = sum(len(r) * len(c) for r, c in graph.plan(on_r, on_c))
    return MemoryEdges(graph) if cells <= in_memory_cells else StreamEdges(graph)


def _flat(
    b_rows: I32, b_cols: I32, score: F32, mask: npt.NDArray[np.bool_]
) -> tuple[I32, I32, F32]:
    idx = np.flatnonzero(mask.ravel())
    width = len(b_cols)
    return b_rows[idx // width], b_cols[idx % width], score.ravel()[idx]


def _top_bins(owner: I32, bins: I64, n: int, k: int) -> I64:
    """Per owner, the highest score bin that still leaves at least k edges at or above it."""
    counts = np.bincount(owner.astype(np.int64) * BINS + bins, minlength=n * BINS).reshape(n, BINS)
    at_least = np.cumsum(counts[:, ::-1], axis=1)[:, ::-1] >= k
    top = BINS - 1 - np.argmax(at_least[:, ::-1], axis=1)
    return np.where(at_least[:, 0], top, 0).astype(np.int64)


def dedupe(a: Edges, b: Edges, n_cols: int) -> Edges:
    rows = np.concatenate([a.rows, b.rows])
    cols = np.concatenate([a.cols, b.cols])
    _, first = np.unique(rows.astype(np.int64) * n_cols + cols, return_index=True)
    return Edges(rows[first], cols[first], np.concatenate([a.score, b.score])[first])


class MemoryEdges:
    """Every allowed edge as three flat arrays (12 bytes an edge)."""

    def __init__(self, graph: Graph) -> None:
        on_r, on_c = np.ones(graph.n_rows, bool), np.ones(graph.n_cols, bool)
        self.edges = gather(
            _flat(b.rows, b.cols, b.score, b.score > 0) for b in graph.blocks(on_r, on_c)
        )
        self.n_rows, self.n_cols = graph.n_rows, graph.n_cols
        self.row_deg = np.bincount(self.edges.rows, minlength=self.n_rows).astype(np.int64)
        self.col_deg = np.bincount(self.edges.cols, minlength=self.n_cols).astype(np.int64)

    def candidates(self, k: int) -> Edges:
        e = self.edges
        if len(e) == 0:
            return e
        lo, hi = float(e.score.min()), float(e.score.max())
        scale = (BINS - 1) / (hi - lo) if hi > lo else 0.0
        bins = ((e.score - lo) * scale).astype(np.int64)
        keep = bins >= _top_bins(e.rows, bins, self.n_rows, k)[e.rows]
        keep |= bins >= _top_bins(e.cols, bins, self.n_cols, k)[e.cols]
        return Edges(e.rows[keep], e.cols[keep], e.score[keep])

    def near(self, u: F64, v: F64, row_on: Bool, col_on: Bool, delta: float) -> tuple[Edges, int]:
        e = self.edges
        red = e.score - u.astype(np.float32)[e.rows] - v.astype(np.float32)[e.cols]
        on = row_on[e.rows] & col_on[e.cols]
        bad = int(np.count_nonzero(on & (red > TOL)))
        if bad == 0:
            return Edges.empty(), 0
        keep = on & (red > -delta)
        return Edges(e.rows[keep], e.cols[keep], e.score[keep]), bad


class StreamEdges:
    """Too many edges to keep: every pass rescans the blocks."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.row_deg = np.zeros(graph.n_rows, np.int64)
        self.col_deg = np.zeros(graph.n_cols, np.int64)

    def candidates(self, k: int) -> Edges:
        """Each row's top-k (rows are whole inside a block) and each column's running top-k;
        degrees are counted on the way."""
        g = self.graph
        on_r, on_c = np.ones(g.n_rows, bool), np.ones(g.n_cols, bool)
        col_best = np.zeros((g.n_cols, k), np.float32)
        parts: list[tuple[I32, I32, F32]] = []
        flags: list[npt.NDArray[np.bool_]] = []
        for b in g.blocks(on_r, on_c):
            s = b.score
            pos = s > 0
            self.row_deg[b.rows] += pos.sum(axis=1)
            self.col_deg[b.cols] += pos.sum(axis=0)
            n_r, n_c = s.shape
            if n_c > k:
                row_thr = np.partition(s, n_c - k, axis=1)[:, n_c - k]
            else:
                row_thr = np.zeros(n_r, np.float32)
            top = np.partition(s, n_r - k, axis=0)[n_r - k :] if n_r > k else s
            merged = np.concatenate([col_best[b.cols], top.T], axis=1)
            col_best[b.cols] = np.partition(merged, merged.shape[1] - k, axis=1)[:, -k:]
            by_row = s >= row_thr[:, None]
            keep = pos & (by_row | (s >= col_best[b.cols].min(axis=1)[None, :]))
            r, c, w = _flat(b.rows, b.cols, s, keep)
            parts.append((r, c, w))
            flags.append(by_row.ravel()[np.flatnonzero(keep.ravel())])
        edges = gather(parts)
        flag = np.concatenate(flags) if flags else np.zeros(0, bool)
        final = flag | (edges.score >= col_best.min(axis=1)[edges.cols])
        return Edges(edges.rows[final], edges.cols[final], edges.score[final])

    def near(self, u: F64, v: F64, row_on: Bool, col_on: Bool, delta: float) -> tuple[Edges, int]:
        bad = 0
        parts: list[tuple[I32, I32, F32]] = []
        u32, v32 = u.astype(np.float32), v.astype(np.float32)
        for b in self.graph.blocks(row_on, col_on):
            red = b.score - u32[b.rows][:, None] - v32[b.cols][None, :]
            red[b.score <= 0] = -np.inf
            bad += int(np.count_nonzero(red > TOL))
            parts.append(_flat(b.rows, b.cols, b.score, red > -delta))
        return (gather(parts), bad) if bad else (Edges.empty(), 0)
