"""Allowed mentor→mentee edges and their scores, built block by block with numpy.

Rows are people who may mentor, columns people who may be mentored (an `either` person is
both). Rows are grouped by UTC offset, so each group only ever looks at the columns inside its
time-zone window (around the clock); inside a group rows are sorted by level and cut into
chunks, and a chunk only looks at the columns senior enough for its most junior row. A block is
a dense float32 score matrix for that chunk × window with 0 meaning "not allowed" (every allowed
pair scores at least `PAIR_BASE` > 0). Nothing here is ever N × N.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from conversations.matching.prep import (
    I32,
    PAIR_BASE,
    PREFER_BONUS,
    Prepared,
    sweet_spot,
)

F32 = npt.NDArray[np.float32]
Bool = npt.NDArray[np.bool_]
MAX_CELLS = 1_000_000  # ≈ 4 MB per float32 block: big enough to vectorise, small enough to cache


@dataclass(frozen=True)
class Block:
    """Scores of a chunk of rows against a window of columns (0 = not allowed)."""

    rows: I32  # row positions
    cols: I32  # column positions
    score: F32  # (len(rows), len(cols))


@dataclass(frozen=True)
class Edges:
    """A list of allowed edges in row/column positions."""

    rows: I32
    cols: I32
    score: F32

    @staticmethod
    def empty() -> Edges:
        return Edges(np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float32))

    def __len__(self) -> int:
        return len(self.rows)


class Graph:
    """The scored bipartite graph of one round, never materialised: scan it with `blocks()`."""

    def __init__(self, prep: Prepared) -> None:
        cfg = prep.data.config
        self.prep = prep
        self.n_rows, self.n_cols = len(prep.rows), len(prep.cols)
        r, c = prep.rows, prep.cols
        self.r_level, self.c_level = prep.level[r], prep.level[c]
        self.r_tz, self.c_tz = prep.tz[r], prep.tz[c]
        self.r_dept, self.c_dept = prep.dept[r], prep.dept[c]
        self.r_teach, self.c_learn = prep.teach[r], prep.learn[c]
        self.r_tin, self.r_tout = prep.tin[r], prep.tout[r]
        self.c_tin, self.c_tout = prep.tin[c], prep.tout[c]
        self.gap = cfg.min_level_gap
        self.max_minutes = cfg.max_timezone_gap_hours * 60.0
        w = cfg.weights
        self.w_topics, self.w_dept, self.w_tz = w.topics, w.cross_department, w.timezone
        self.require_dept = cfg.require_cross_department
        levels = prep.level
        span = int(levels.max() - levels.min()) if len(levels) else 0
        self.level_table = np.asarray(
            [w.level_gap * sweet_spot(g) for g in range(span + 1)], dtype=np.float32
        )
        self.span = span
        # sparse exceptions, in row/column positions
        row_of = np.full(len(prep.people), -1, np.int64)
        row_of[r] = np.arange(len(r))
        col_of = np.full(len(prep.people), -1, np.int64)
        col_of[c] = np.arange(len(c))
        ex = [(a, b, 0.0) for a, b in prep.blocked] + [(a, b, 1.0) for a, b in prep.prefer]
        ex_r = np.asarray([row_of[a] for a, _, _ in ex], dtype=np.int64)
        ex_c = np.asarray([col_of[b] for _, b, _ in ex], dtype=np.int64)
        ex_k = np.asarray([k for _, _, k in ex], dtype=np.float32)
        keep = (ex_r >= 0) & (ex_c >= 0) if len(ex) else np.zeros(0, bool)
        self.ex_r, self.ex_c, self.ex_k = ex_r[keep], ex_c[keep], ex_k[keep]
        # an upper bound on any pair's score (sizes the priority bonus in `solve.py`)
        topics = min(
            int(np.bitwise_count(self.r_teach).sum(axis=1).max(initial=0)),
            int(np.bitwise_count(self.c_learn).sum(axis=1).max(initial=0)),
        )
        self.max_score = (
            PAIR_BASE
            + w.topics * topics
            + w.cross_department
            + w.timezone
            + float(self.level_table.max(initial=0.0))
            + (PREFER_BONUS if len(self.ex_k) and self.ex_k.max() > 0 else 0.0)
        )
        self._c_order = np.lexsort((np.arange(self.n_cols), self.c_level))  # by level, then id

    def plan(
        self, row_active: Bool, col_active: Bool, max_cells: int = MAX_CELLS
    ) -> Iterator[tuple[I32, I32]]:
        """The (rows, cols) of every block that may hold an allowed edge, without scoring."""
        rows_on = np.flatnonzero(row_active)
        if len(rows_on) == 0 or not col_active.any():
            return
        order = rows_on[np.lexsort((rows_on, self.r_level[rows_on], self.r_tz[rows_on]))]
        bounds = np.flatnonzero(np.diff(self.r_tz[order])) + 1
        c_sorted = self._c_order[col_active[self._c_order]]
        for group in np.split(order, bounds):
            zone = int(self.r_tz[group[0]])
            d = np.abs(self.c_tz[c_sorted] - zone) % 1440
            window = c_sorted[np.minimum(d, 1440 - d) <= self.max_minutes]
            w_levels = self.c_level[window]
            start = 0
            while start < len(group) and len(window):
                low = int(self.r_level[group[start]]) + self.gap
                cols = window[int(np.searchsorted(w_levels, low, side="left")) :]
                if len(cols) == 0:
                    break  # rows are sorted by level: later rows need even more senior columns
                size = max(1, max_cells // len(cols))
                rows = group[start : start + size]
                start += size
                yield rows.astype(np.int32), cols.astype(np.int32)

    def blocks(
        self, row_active: Bool, col_active: Bool, max_cells: int = MAX_CELLS
    ) -> Iterator[Block]:
        """Every allowed edge among active rows and columns, exactly once, in dense blocks."""
        for rows, cols in self.plan(row_active, col_active, max_cells):
            yield Block(rows, cols, self.score(rows, cols))

    def score(self, rows: I32, cols: I32) -> F32:
        """Dense scores of rows × cols; 0 where a hard rule forbids the pair."""
        lv = self.c_level[cols][None, :] - self.r_level[rows][:, None]
        allowed = lv >= self.gap
        d = np.abs(self.c_tz[cols][None, :] - self.r_tz[rows][:, None]) % 1440
        d = np.minimum(d, 1440 - d)
        allowed &= d <= self.max_minutes
        if self.max_minutes > 0:
            tz_part = (self.w_tz * (1.0 - d / self.max_minutes)).astype(np.float32)
        else:
            tz_part = np.full(d.shape, self.w_tz, dtype=np.float32)
        rt, ct = self.r_tin[rows][:, None], self.c_tin[cols][None, :]
        allowed &= ~((ct >= rt) & (ct < self.r_tout[rows][:, None]))
        allowed &= ~((rt >= ct) & (rt < self.c_tout[cols][None, :]))
        rd, cd = self.r_dept[rows], self.c_dept[cols]
        cross = (rd[:, None] != cd[None, :]) & (rd >= 0)[:, None] & (cd >= 0)[None, :]
        if self.require_dept:
            allowed &= cross
        shared = np.zeros(lv.shape, dtype=np.uint8)
        for word in range(self.r_teach.shape[1]):
            both = self.r_teach[rows, word][:, None] & self.c_learn[cols, word][None, :]
            shared += np.bitwise_count(both)
        s = tz_part
        s += self.level_table[np.clip(lv, 0, self.span)]
        s += np.float32(PAIR_BASE) + np.float32(self.w_topics) * shared
        s += np.float32(self.w_dept) * cross
        s *= allowed
        self._apply_exceptions(rows, cols, s)
        out: F32 = s
        return out

    def _apply_exceptions(self, rows: I32, cols: I32, s: F32) -> None:
        if len(self.ex_r) == 0:
            return
        r_slot = np.full(self.n_rows, -1, np.int64)
        r_slot[rows] = np.arange(len(rows))
        c_slot = np.full(self.n_cols, -1, np.int64)
        c_slot[cols] = np.arange(len(cols))
        i, j = r_slot[self.ex_r], c_slot[self.ex_c]
        hit = (i >= 0) & (j >= 0)
        i, j, kind = i[hit], j[hit], self.ex_k[hit]
        blocked = kind == 0.0
        s[i[blocked], j[blocked]] = 0.0
        pref = ~blocked
        ip, jp = i[pref], j[pref]
        s[ip, jp] = np.where(s[ip, jp] > 0, s[ip, jp] + np.float32(PREFER_BONUS), 0.0)


def all_edges(graph: Graph, row_active: Bool, col_active: Bool) -> Edges:
    """Every allowed edge (for small rounds and for benchmarks)."""
    return gather(
        (b.rows[i], b.cols[j], b.score[i, j])
        for b in graph.blocks(row_active, col_active)
        for i, j in [np.nonzero(b.score)]
    )


def gather(parts: Iterable[tuple[I32, I32, F32]]) -> Edges:
    """Concatenate edge pieces once, freeing each kind of piece as soon as it is joined (peak
    memory: the pieces plus one joined array, not twice everything)."""
    rs: list[I32] = [np.zeros(0, np.int32)]
    cs: list[I32] = [np.zeros(0, np.int32)]
    ws: list[F32] = [np.zeros(0, np.float32)]
    for r, c, w in parts:
        rs.append(r)
        cs.append(c)
        ws.append(w)
    rows = np.concatenate(rs).astype(np.int32, copy=False)
    rs.clear()
    cols = np.concatenate(cs).astype(np.int32, copy=False)
    cs.clear()
    return Edges(rows, cols, np.concatenate(ws).astype(np.float32, copy=False))
