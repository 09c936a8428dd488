"""`python -m benchmarks [NAME ...] [options]`: run benchmarks by name (default: all).

Each benchmark is a module in this package with `main(argv) -> int`; add yours to BENCHMARKS.
"""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {
    "matching": "benchmarks.matching",
    "inbound": "benchmarks.inbound",
    "fanout": "benchmarks.fanout",
}


def main(argv: list[str]) -> int:
    names = [a for a in argv if a in BENCHMARKS]
    # A word right after an option is its value (`--platform teams`, `--sizes 1000,2000`).
    values = {i + 1 for i, a in enumerate(argv) if a.startswith("-") and "=" not in a}
    unknown = [
        a
        for i, a in enumerate(argv)
        if not a.startswith("-") and a not in BENCHMARKS and i not in values
    ]
    if unknown:
        print(f"unknown benchmark {unknown[0]!r}; choose from: {', '.join(BENCHMARKS)}")
        return 1
    options = [a for a in argv if a not in names]
    status = 0
    for name in names or list(BENCHMARKS):
        print(f"== {name}")
        status |= importlib.import_module(BENCHMARKS[name]).main(options)
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
