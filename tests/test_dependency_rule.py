"""The dependency rule (docs/architecture.md, "Four floors"), checked by walking every module's
imports."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLATFORM_SDKS = {"slack_bolt", "slack_sdk", "botbuilder", "botframework"}
FORBIDDEN = {
    "conversations": PLATFORM_SDKS
    | {
        "aiohttp",
        "sqlalchemy",
        "apscheduler",
        "alembic",
        "asyncpg",
        "aiosqlite",
        "bot",
        "adapters",
        "storage",
    },
    "storage": PLATFORM_SDKS | {"aiohttp", "apscheduler", "bot", "adapters"},
    "adapters": {"bot", "storage", "sqlalchemy", "apscheduler"},
}
SDK_HOME = {
    "slack_bolt": "adapters/slack",
    "slack_sdk": "adapters/slack",
    "botbuilder": "adapters/teams",
    "botframework": "adapters/teams",
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_each_package_imports_only_what_it_may() -> None:
    broken = []
    for package, forbidden in FORBIDDEN.items():
        for path in python_files(package):
            bad = imported_roots(path) & forbidden
            if bad:
                broken.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert broken == []


def test_platform_sdks_stay_in_their_adapter_folder() -> None:
    broken = []
    for package in ("bot", "adapters", "conversations", "storage"):
        for path in python_files(package):
            relative = path.relative_to(ROOT).as_posix()
            for sdk in imported_roots(path) & PLATFORM_SDKS:
                if not relative.startswith(SDK_HOME[sdk] + "/"):
                    broken.append(f"{relative} imports {sdk}")
    assert broken == []


def test_the_rule_checker_sees_imports() -> None:
    # Guard against a checker that passes because it reads nothing.
    assert "conversations" in imported_roots(ROOT / "bot" / "app.py")
    assert len(python_files("conversations")) > 5
