"""Every import of the project's own code, read from the source (docs/architecture.md, "Four
floors"): the dependency-rule and structure tests share this one reader.

It counts every import statement wherever it stands — at the top, under `if TYPE_CHECKING:`,
inside a function — because each of them is a dependency a reader (and a type checker) follows,
and a lazy import is how an import loop hides.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The project's own top-level packages; anything else that is not the standard library is a
# third-party import.
PROJECT = ("conversations", "delivery", "storage", "adapters", "bot", "benchmarks", "tests")
PRODUCT = ("conversations", "delivery", "storage", "adapters", "bot")


@dataclass(frozen=True)
class Import:
    """One imported module, as written in one file."""

    path: Path  # the importing file
    line: int
    module: str  # the dotted module named after `import` / `from`
    names: tuple[str, ...]  # what `from module import …` takes ('' for `import module`)

    @property
    def root(self) -> str:
        return self.module.split(".")[0]

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT).as_posix()}:{self.line}"


def python_files(*packages: str) -> list[Path]:
    """The Python files of the given top-level packages (missing packages have none)."""
    return sorted(p for package in packages for p in (ROOT / package).rglob("*.py"))


def module_name(path: Path) -> str:
    """`conversations/types/__init__.py` → `conversations.types`."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> Iterator[Import]:
    """Every import in a file, relative ones resolved against its package."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(path, node.lineno, alias.name, ("",))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            yield Import(path, node.lineno, module, tuple(a.name for a in node.names))


def dynamic_imports(path: Path) -> Iterator[tuple[int, str | None]]:
    """Every `importlib.import_module(...)` / `__import__(...)` call in a file, as (line, the
    module named when it is a string literal, else None): imports the reader above cannot see."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = node.func
        name = called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", None)
        if name not in ("import_module", "__import__"):
            continue
        first = node.args[0] if node.args else None
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            yield node.lineno, first.value
        else:
            yield node.lineno, None


def is_third_party(root: str) -> bool:
    return root not in PROJECT and root not in sys.stdlib_module_names and root != "__future__"
