"""`delivery/` sits below `bot/`: it imports the standard library, the engine's neutral types,
ports and outbox codec and premises, and itself — never bot, storage, adapters or a library."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = ("conversations.types", "conversations.ports", "conversations.outbox", "delivery")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_delivery_imports_only_the_stdlib_and_the_engines_neutral_parts() -> None:
    paths = sorted((ROOT / "delivery").rglob("*.py"))
    assert len(paths) > 3  # the checker reads something
    broken = []
    for path in paths:
        for name in sorted(imported_modules(path)):
            root = name.split(".")[0]
            if root in sys.stdlib_module_names or root == "__future__":
                continue
            if not any(name == a or name.startswith(a + ".") for a in ALLOWED):
                broken.append(f"{path.relative_to(ROOT)} imports {name}")
    assert broken == []
