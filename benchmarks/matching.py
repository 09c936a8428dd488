"""Matching benchmark: a synthetic organisation like the issue's anchor, solved at several sizes.

Each size runs in its own subprocess so peak memory (ru_maxrss) belongs to one solve only:
  * `ours`: `propose_pairs` end to end (prepare, edges, pruning, solve, certificate, reasons);
  * `baselines`: every allowed edge materialised, then scipy's dense `linear_sum_assignment`
    and a greedy (best edge first) on the same float32 scores, for the sizes they can handle.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from datetime import date
from typing import Any

import numpy as np

from conversations.config import MatchingConfig
from conversations.matching.best_pairs import propose_pairs
from conversations.matching.graph import Graph, all_edges
from conversations.matching.prep import prepare
from conversations.matching.solve import Solver
from conversations.types import MatchInput, Person, Role, Status

SEED = 20270111
START = date(2027, 1, 11)
# (zone, weight): most people in the Americas and Europe, a tail in Asia-Pacific
ZONES = [
    ("America/Los_Angeles", 10), ("America/Denver", 3), ("America/Chicago", 7),
    ("America/New_York", 14), ("America/Sao_Paulo", 4), ("Europe/London", 14),
    ("Europe/Berlin", 12), ("Europe/Helsinki", 5), ("Asia/Dubai", 3), ("Asia/Kolkata", 12),
    ("Asia/Singapore", 7), ("Asia/Tokyo", 4), ("Australia/Sydney", 4), ("Pacific/Auckland", 1),
]  # fmt: skip
DEPARTMENTS = [
    "Engineering", "Finance", "Sales", "Marketing", "Operations", "People", "Legal",
    "Product", "Design", "Support", "Data", "Security",
]  # fmt: skip
TOPICS = [f"topic-{i:02d}" for i in range(30)]


def make_org(n_mentors: int, n_mentees: int, seed: int = SEED) -> MatchInput:
    """A company: a manager tree over everyone, juniors mentoring seniors, ~30 topics."""
    rng = np.random.default_rng(seed)
    n = n_mentors + n_mentees
    n_managers = max(1, n // 6)
    total = n + n_managers
    level = np.concatenate(
        [
            rng.integers(1, 10, n_mentors),  # mentors: levels 1–9 (the junior side)
            rng.integers(1, 11, n_mentees),  # mentees: levels 1–10 (the senior side)
            rng.integers(6, 13, n_managers),  # directory-only managers
        ]
    )
    zone_p = np.asarray([w for _, w in ZONES], dtype=float)
    zone = rng.choice(len(ZONES), total, p=zone_p / zone_p.sum())
    dept = rng.integers(0, len(DEPARTMENTS), total)
    # managers form a tree among themselves (a parent has a lower index), everyone else
    # reports to a random manager: chains are a few levels deep, like a real org chart
    manager = np.empty(total, dtype=np.int64)
    manager[:n] = n + rng.integers(0, n_managers, n)
    idx = np.arange(1, n_managers)
    manager[n + idx] = n + (rng.random(n_managers - 1) * idx).astype(np.int64)
    manager[n] = -1
    people: list[Person] = []
    for i in range(total):
        if i < n_mentors:
            role, status = Role.MENTOR, Status.ENROLLED
        elif i < n:
            role, status = Role.MENTEE, Status.ENROLLED
        else:
            role, status = None, Status.DIRECTORY
        k_t, k_l = rng.integers(2, 5, 2)
        people.append(
            Person(
                id=i + 1,
                email=f"p{i}@example.com",
                name=f"Person {i}",
                level=int(level[i]),
                department=DEPARTMENTS[dept[i]],
                manager_id=None if manager[i] < 0 else int(manager[i]) + 1,
                timezone=ZONES[zone[i]][0],
                role=role,
                teaches=tuple(rng.choice(TOPICS, k_t, replace=False)),
                learns=tuple(rng.choice(TOPICS, k_l, replace=False)),
                status=status,
            )
        )
    return MatchInput(people, MatchingConfig(), START, "Europe/London")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_ours(n: int) -> dict[str, Any]:
    data = make_org(n, n)
    base = peak_mb()
    t0 = time.perf_counter()
    prep = prepare(data)
    graph = Graph(prep)
    solver = Solver(graph)
    solution = solver.solve()
    t_solve = time.perf_counter() - t0
    peak_solve = peak_mb()
    out: dict[str, Any] = {}
    if n <= 10_000:  # the whole API once more (reasons, Person objects), for the record
        t1 = time.perf_counter()
        result = propose_pairs(data)
        out = {"seconds_api": round(time.perf_counter() - t1, 3), "api_pairs": len(result.pairs)}
        out["unmatched"] = len(result.unmatched)
    return out | {
        "n": n,
        "seconds_solve": round(t_solve, 3),
        "peak_mb": round(peak_solve, 1),
        "peak_mb_input": round(base, 1),  # the synthetic directory alone, before solving
        "pairs": len(solution.pairs),
        "value": float(solution.value),
        "proven_optimal": solution.proven,
        "notes": list(solution.notes),
        "edges": int(solution.row_deg.sum()),
        "solves": solver.solves,
        "candidate_edges": len(solver.cand),
        "cells_scanned": solver.source.scanned_cells,
    }


def run_baselines(n: int) -> dict[str, Any]:
    from scipy.optimize import linear_sum_assignment

    graph = Graph(prepare(make_org(n, n)))
    on_r, on_c = np.ones(graph.n_rows, bool), np.ones(graph.n_cols, bool)
    t0 = time.perf_counter()
    edges = all_edges(graph, on_r, on_c)
    t_edges = time.perf_counter() - t0
    out: dict[str, Any] = {"n": n, "edges": len(edges), "seconds_edges": round(t_edges, 3)}
    # greedy: best edge first (ties by row, then column)
    t0 = time.perf_counter()
    order = np.lexsort((edges.cols, edges.rows, -edges.score))
    row_free = np.ones(graph.n_rows, bool)
    col_free = np.ones(graph.n_cols, bool)
    total = 0.0
    count = 0
    for k in order.tolist():
        r, c = edges.rows[k], edges.cols[k]
        if row_free[r] and col_free[c]:
            row_free[r] = col_free[c] = False
            total += float(edges.score[k])
            count += 1
    out.update(
        greedy_value=total, greedy_pairs=count, greedy_seconds=round(time.perf_counter() - t0, 3)
    )
    if n <= 12_000:
        t0 = time.perf_counter()
        dense = np.zeros((graph.n_rows, graph.n_cols))
        dense[edges.rows, edges.cols] = edges.score
        del edges
        r, c = linear_sum_assignment(dense, maximize=True)
        w = dense[r, c]
        out.update(
            dense_value=float(w.sum()),
            dense_pairs=int((w > 0).sum()),
            dense_seconds=round(time.perf_counter() - t0, 3),
        )
    out["peak_mb"] = round(peak_mb(), 1)
    return out


def _child(kind: str, n: int) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.matching", "--child", kind, str(n)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: list[str]) -> int:
    """`python -m benchmarks matching [--big] [--sizes N,N] [--repeat N] [--no-baselines]`."""
    if argv[:1] == ["--child"]:
        fn = run_ours if argv[1] == "ours" else run_baselines
        print(json.dumps(fn(int(argv[2]))))
        return 0
    sizes = [1_000, 10_000] + ([50_000] if "--big" in argv else [])
    if "--sizes" in argv:
        sizes = [int(x) for x in argv[argv.index("--sizes") + 1].split(",")]
    repeat = int(argv[argv.index("--repeat") + 1]) if "--repeat" in argv else 1
    baselines = "--no-baselines" not in argv
    print(f"{'size':>7} {'sec':>7} {'MB':>7} {'pairs':>6} {'total score':>13} proven"
          "  vs dense  vs greedy(greedy/dense)")  # fmt: skip
    for n in sizes:
        runs = [_child("ours", n) for _ in range(repeat)]
        ours = runs[0] | {
            "seconds_solve": statistics.median(r["seconds_solve"] for r in runs),
            "seconds_runs": [r["seconds_solve"] for r in runs],
            "peak_mb": statistics.median(r["peak_mb"] for r in runs),
        }
        # past 12k the dense solver needs 20 GB and the greedy a Python loop over ~360 M edges
        base = _child("baselines", n) if baselines and n <= 12_000 else {}
        dense = base.get("dense_value")
        ratio = f"{ours['value'] / dense:.5f}" if dense else "   n/a"
        greedy = base.get("greedy_value")
        g_ratio = f"{greedy / dense:.4f}" if dense and greedy else "n/a"
        print(
            f"{n:>7} {ours['seconds_solve']:>7.2f} {ours['peak_mb']:>7.0f} {ours['pairs']:>6}"
            f" {ours['value']:>13.2f} {ours['proven_optimal']!s:>6}  {ratio:>8}  {g_ratio}"
        )
        print("        detail:", json.dumps({"ours": ours, "baselines": base}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
