"""The house keeps its shape (docs/architecture.md, "Four floors"): no import loop among the
project's modules, no module too long to read, every third-party import declared, and an engine
room that shows its sub-areas at a glance."""

from __future__ import annotations

import ast
import itertools
import re
import tomllib
from collections import deque
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import metadata
from pathlib import Path

from tests.import_graph import (
    PRODUCT,
    ROOT,
    Import,
    imports_of,
    is_third_party,
    module_name,
    python_files,
)

MAX_LINES = 400
# Migrations are history, written once and never read as a design.
LONG_ALLOWED = ("storage/migrations/",)
CODE = (*PRODUCT, "benchmarks")
# conversations/ at a glance: sub-packages, plus these modules at the top.
ENGINE_TOP = {"__init__", "config", "grammar", "context", "lines", "registry", "engine", "texts"}
# The packages whose __init__ re-exports their own submodules, so callers import names from one
# place; every other __init__.py holds a docstring at most.
RE_EXPORTING = {"conversations.types", "conversations.ports"}


# --- (a) no import cycle ---------------------------------------------------------------------


def import_graph(files: Iterable[Path]) -> dict[str, dict[str, Import]]:
    """module → {imported project module: the import statement that makes the edge}.

    `import a.b.c` also runs `a/__init__` and `a/b/__init__`, so those are edges too — except the
    importer's own enclosing packages, which Python has already started before it runs.
    `from a.b import c` reaches the module `a.b.c` when there is one.
    """
    modules = {module_name(p): p for p in files}
    graph: dict[str, dict[str, Import]] = {name: {} for name in modules}
    for name, path in modules.items():
        own = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
        if path.name == "__init__.py":
            own.add(name)
        for imp in imports_of(path):
            targets = {imp.module} | {f"{imp.module}.{n}" for n in imp.names if n}
            parts = imp.module.split(".")
            targets |= {".".join(parts[:i]) for i in range(1, len(parts))} - own
            for target in targets & modules.keys():
                if target != name:
                    graph[name].setdefault(target, imp)
    return graph


def strongly_connected(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Tarjan's components with more than one module (iterative: no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def shortest_loop(graph: Mapping[str, Mapping[str, Import]], component: list[str]) -> list[str]:
    """One shortest loop through the component's first module, as the import lines that make
    it: the place to start breaking it."""
    start, members = component[0], set(component)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(graph[node]):
            if nxt not in members or nxt in came_from:
                continue
            came_from[nxt] = node
            if nxt == start:
                loop = [start]
                while loop[-1] != start or len(loop) == 1:
                    loop.append(came_from[loop[-1]])
                steps = list(reversed(loop))
                return [f"{a} → {b} ({graph[a][b].where})" for a, b in itertools.pairwise(steps)]
            queue.append(nxt)
    return []


def test_no_import_cycle_among_the_project_modules() -> None:
    graph = import_graph(python_files(*CODE))
    loops = []
    for component in strongly_connected(graph):
        steps = "\n    ".join(shortest_loop(graph, component))
        loops.append(
            f"{len(component)} modules import each other: {', '.join(component)}\n"
            f"  one loop:\n    {steps}\n"
            "  break it by moving the shared name down (conversations.types, a port), or by "
            "having the caller pass it in; a lazy or TYPE_CHECKING import still counts"
        )
    assert loops == [], "\n".join(loops)


def test_the_cycle_finder_finds_cycles() -> None:
    # Guard against a finder that passes because it finds nothing.
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert strongly_connected(graph) == [["a", "b", "c"]]
    assert len(import_graph(python_files("conversations"))) > 5


# --- (b) modules small enough to read --------------------------------------------------------


def test_no_module_is_over_400_lines() -> None:
    # The tests too: a test module is read as often as the code it checks.
    long = []
    for path in python_files(*CODE, "tests"):
        relative = path.relative_to(ROOT).as_posix()
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES and not relative.startswith(LONG_ALLOWED):
            long.append(
                f"{relative} has {lines} lines (at most {MAX_LINES}): split it along a line "
                "that shows the design, e.g. texts apart from the handler, one job per module"
            )
    assert long == [], "\n".join(long)


# --- (c) every third-party import declared ---------------------------------------------------


def normalised(distribution: str) -> str:
    """A distribution's name as PyPI compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", distribution).lower()


def declared(extra: str | None = None) -> set[str]:
    """The distributions pyproject.toml declares: `dependencies`, or one optional extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = project["optional-dependencies"][extra] if extra else project["dependencies"]
    names = (re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", r) for r in requirements)
    return {normalised(m.group(0)) for m in names if m}


@cache
def distributions_of_roots() -> Mapping[str, list[str]]:
    return metadata.packages_distributions()


@cache
def files_of(distribution: str) -> frozenset[str]:
    return frozenset(str(f) for f in metadata.distribution(distribution).files or ())


def providers(module: str) -> set[str]:
    """The installed distributions that provide a module. A namespace package (`botbuilder`)
    is shared by several: the one whose files hold the imported sub-package is the provider."""
    root = module.split(".")[0]
    candidates = set(distributions_of_roots().get(root, ()))
    if len(candidates) <= 1:
        return {normalised(d) for d in candidates}
    parts = module.split(".")
    for depth in range(len(parts), 1, -1):
        prefix = "/".join(parts[:depth])
        own = {
            d
            for d in candidates
            if any(f.startswith((prefix + "/", prefix + ".py")) for f in files_of(d))
        }
        if own:
            return {normalised(d) for d in own}
    return {normalised(d) for d in candidates}


def undeclared(packages: Iterable[str], allowed: set[str]) -> list[str]:
    missing = []
    for path in python_files(*packages):
        for imp in imports_of(path):
            if not is_third_party(imp.root):
                continue
            found = providers(imp.module)
            if not found:
                missing.append(
                    f"{imp.where} imports {imp.module!r}, which no installed package provides"
                )
            elif not found & allowed:
                missing.append(
                    f"{imp.where} imports {imp.module!r} from {' or '.join(sorted(found))}, "
                    "undeclared: add it to pyproject.toml (with a comment saying who needs it)"
                )
    return missing


def test_every_third_party_import_is_declared() -> None:
    missing = undeclared(CODE, declared())
    assert missing == [], "\n".join(missing)


def test_every_third_party_import_in_the_tests_is_declared() -> None:
    missing = undeclared(["tests"], declared() | declared("dev"))
    assert missing == [], "\n".join(missing)


def test_declared_names_are_compared_normalised() -> None:
    assert normalised("PyYAML") == normalised("pyyaml") == "pyyaml"
    assert "sqlalchemy" in declared() and "pyjwt" in declared()
    assert providers("jwt") == {"pyjwt"} and providers("yaml") == {"pyyaml"}
    assert providers("botbuilder.schema") == {"botbuilder-schema"}


# --- (d) the engine room at a glance ---------------------------------------------------------


def test_conversations_top_level_holds_sub_packages_and_a_few_modules() -> None:
    room = ROOT / "conversations"
    stray = [
        f"conversations/{p.name}: move it into the sub-package of its area "
        f"(only {', '.join(sorted(ENGINE_TOP - {'__init__'}))} stay at the top)"
        for p in sorted(room.glob("*.py"))
        if p.stem not in ENGINE_TOP
    ]
    stray += [
        f"conversations/{d.name}/ has no __init__.py: make it a package or move its files"
        for d in sorted(room.iterdir())
        if d.is_dir() and d.name != "__pycache__" and not (d / "__init__.py").exists()
    ]
    assert stray == [], "\n".join(stray)


# --- (e) package markers stay empty ----------------------------------------------------------


def init_breach(path: Path) -> str | None:
    """What a package's __init__.py holds beyond what it may, or None."""
    package = module_name(path)
    lines = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        own = isinstance(node, ast.ImportFrom) and (node.module or "").startswith(package + ".")
        listed = isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == [
            "__all__"
        ]
        if not (docstring or future or (package in RE_EXPORTING and (own or listed))):
            lines.append(str(node.lineno))
    if not lines:
        return None
    where = f"{path.relative_to(ROOT)} (lines {', '.join(lines)})"
    if package in RE_EXPORTING:
        return f"{where}: may only re-export {package}.* and list them in __all__"
    return f"{where} holds code: keep a docstring at most, move the code into a module"


def test_package_init_files_stay_empty() -> None:
    found = [b for p in python_files(*CODE) if p.name == "__init__.py" if (b := init_breach(p))]
    assert found == [], "\n".join(found)
