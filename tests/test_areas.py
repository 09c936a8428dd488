"""The areas of conversations/ import one way (docs/architecture.md, "Inside the engine"): read
at the level of its sub-packages, with each module at the top (context, lines, registry,
engine, texts, config, grammar) a node of its own, the engine's import graph has no cycle. A
cycle between areas means one of them is not really below the other, even when no two modules
import each other."""

from __future__ import annotations

from tests.import_graph import python_files
from tests.test_structure import import_graph, strongly_connected


def area(module: str) -> str:
    """`conversations.pairing.rounds` → `pairing`; `conversations.texts` → `texts`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def area_graph() -> dict[str, dict[str, str]]:
    """area → {area it imports: one import statement that makes the edge, for the message}."""
    graph: dict[str, dict[str, str]] = {}
    for module, edges in import_graph(python_files("conversations")).items():
        here = area(module)
        graph.setdefault(here, {})
        for target, imp in edges.items():
            there = area(target)
            if there != here:
                graph[here].setdefault(there, f"{module} → {target} ({imp.where})")
    return graph


def test_the_areas_of_the_engine_import_one_way() -> None:
    graph = area_graph()
    cycles = strongly_connected(graph)
    why = [
        f"{a} → {b}: {graph[a][b]}"
        for component in cycles
        for a in component
        for b in component
        if b in graph[a]
    ]
    assert cycles == [], "\n".join(why)


def test_the_matcher_imports_no_other_area() -> None:
    # Only the values it works on, its settings and the shipped topic list (which topics are
    # technology ones): never a handler area.
    assert set(area_graph().get("matching", {})) <= {"types", "config", "data"}
