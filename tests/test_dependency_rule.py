"""The dependency rule (docs/architecture.md, "Four floors"), as an allow-list per package.

Each package names the third-party roots and the project modules it may import; anything else
fails with the file, the line and what to do. Every import counts, wherever it stands (top level,
`if TYPE_CHECKING:`, inside a function): see tests/import_graph.py. An import the reader cannot
see (`importlib.import_module`, `__import__`) of a project module fails, outside the one table
that needs it (benchmarks/__main__.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.import_graph import (
    PRODUCT,
    PROJECT,
    ROOT,
    Import,
    dynamic_imports,
    imports_of,
    is_third_party,
    python_files,
)


@dataclass(frozen=True)
class Allowed:
    """What the files of one folder may import, besides the standard library."""

    third_party: frozenset[str]
    project: tuple[str, ...]  # module prefixes: "conversations.types" allows its submodules
    hint: str  # what to do instead, said in the failure
    # Single modules admitted as they are: not their package, their siblings or submodules.
    modules: tuple[str, ...] = ()

    def admits(self, module: str, names: tuple[str, ...] = ()) -> bool:
        """Whether `import module` (or `from module import names`) is allowed."""
        if module in self.modules:
            return True
        if any(module == p or module.startswith(p + ".") for p in self.project):
            return True
        # `from conversations.outbox import codec` takes the module `conversations.outbox.codec`.
        return bool(names) and all(f"{module}.{name}" in self.modules for name in names)


# What may cross into the engine's edges: the neutral types, the ports and the configuration.
# Handlers stay inside conversations/.
ENGINE_EDGE = ("conversations.types", "conversations.ports", "conversations.config")
# The outbox's pure rules that the edges apply as the engine does: the message codec, the
# premise a queued message still needs, and the timing of sends. Not the rest of the outbox
# (`queueing` builds messages with the engine's texts).
OUTBOX_RULES = (
    "conversations.outbox.codec",
    "conversations.outbox.premise",
    "conversations.outbox.timing",
)
ADAPTER_VIEW = (*ENGINE_EDGE, "adapters.kit")
ADAPTER_HINT = (
    "an adapter translates and renders only: let the composition root (bot/) hand it what it "
    "needs, and never import another adapter, bot/, storage/ or delivery/"
)

ALLOWED: dict[str, Allowed] = {
    # The engine: pure Python plus the numeric and parsing libraries; no SDK, web framework,
    # database library or scheduler, and nothing from the other floors.
    "conversations": Allowed(
        frozenset({"numpy", "scipy", "yaml", "pydantic"}),
        ("conversations",),
        "the engine imports no SDK, ORM, web framework or scheduler and no other floor: "
        "declare what it needs as a port in conversations/ports/",
    ),
    # The one home of the types that cross boundaries depends on nothing but itself and the
    # configuration's schema (app.yaml's shape is a boundary type too: bot loads it, the engine
    # and storage read it).
    "conversations/types": Allowed(
        frozenset(),
        ("conversations.types", "conversations.config"),
        "move the type it needs into conversations/types/",
    ),
    "conversations/ports": Allowed(
        frozenset(),
        ("conversations.types", "conversations.ports", "conversations.config"),
        "a port speaks only in conversations.types: move the type it needs there",
    ),
    "delivery": Allowed(
        frozenset(),
        ("delivery", "conversations.types", "conversations.ports"),
        "delivery/ works through the ports (conversations.ports) and the outbox's codec, "
        "premise and timing: let bot/ hand it anything else",
        OUTBOX_RULES,
    ),
    "storage": Allowed(
        frozenset({"sqlalchemy", "alembic"}),
        ("storage", *ENGINE_EDGE),
        "storage implements conversations.ports with conversations.types: move a shared rule "
        "or constant into conversations/types/ rather than import a handler module",
        # Pure rules the SQL must apply exactly as the engine does, each module alone:
        (
            # which open answers may be published, and when (storage/sql_aggregates.py);
            "conversations.insights.openness",
            # which figures may be shown: closed windows, the smallest group
            # (storage/sql_aggregates.py, storage/sql_reports.py);
            "conversations.insights.windows",
            # what an admin's own topic looks like (storage/sql_sessions.py).
            "conversations.data.catalogue",
        ),
    ),
    # Files directly in adapters/ (its package marker): nothing.
    "adapters": Allowed(frozenset(), (), ADAPTER_HINT),
    # The shared, non-platform kit every adapter may use.
    "adapters/kit": Allowed(frozenset({"aiohttp"}), ADAPTER_VIEW, ADAPTER_HINT, OUTBOX_RULES),
    "adapters/slack": Allowed(
        frozenset({"aiohttp", "slack_sdk", "slack_bolt"}),
        ("adapters.slack", *ADAPTER_VIEW),
        ADAPTER_HINT,
        OUTBOX_RULES,
    ),
    "adapters/teams": Allowed(
        frozenset({"aiohttp", "botbuilder", "botframework", "msal", "msrest", "jwt", "yarl"}),
        ("adapters.teams", *ADAPTER_VIEW),
        ADAPTER_HINT,
        OUTBOX_RULES,
    ),
    "adapters/console": Allowed(
        frozenset(), ("adapters.console", *ADAPTER_VIEW), ADAPTER_HINT, OUTBOX_RULES
    ),
    # The composition root knows every floor; it opens the database and serves HTTP.
    "bot": Allowed(
        frozenset(
            {"aiohttp", "apscheduler", "sqlalchemy", "jinja2", "markupsafe", "pydantic", "yaml"}
        ),
        ("bot", "delivery", "adapters", "conversations", "storage"),
        "bot/ is the composition root; an SDK belongs in its adapter",
    ),
}
# Every sub-package of these folders needs an entry of its own (a new adapter states its rule).
OWN_ENTRY = ("adapters",)
# Each platform SDK lives in one adapter folder only.
SDK_HOME = {
    "slack_bolt": "adapters/slack",
    "slack_sdk": "adapters/slack",
    "botbuilder": "adapters/teams",
    "botframework": "adapters/teams",
    "msal": "adapters/teams",
    "msrest": "adapters/teams",
    "jwt": "adapters/teams",
}


def folder_of(path: Path) -> str:
    return path.parent.relative_to(ROOT).as_posix()


def scope_of(path: Path) -> str | None:
    """The most specific entry of ALLOWED that covers a file."""
    folder = folder_of(path)
    keys = [k for k in ALLOWED if folder == k or folder.startswith(k + "/")]
    return max(keys, key=len) if keys else None


def breach(imp: Import, scope: str) -> str | None:
    """Why an import breaks its folder's allow-list, or None."""
    allowed = ALLOWED[scope]
    if imp.root in PROJECT:
        if allowed.admits(imp.module, imp.names):
            return None
        what = "project module"
    elif is_third_party(imp.root):
        if imp.root in allowed.third_party:
            return None
        what = "third-party package"
    else:
        return None
    return f"{imp.where} imports {what} {imp.module!r}, not allowed in {scope}/: {allowed.hint}"


def test_each_package_imports_only_what_it_allows() -> None:
    broken = []
    for path in python_files(*PRODUCT):
        scope = scope_of(path)
        assert scope is not None, f"{path.relative_to(ROOT)} has no entry in ALLOWED"
        broken += [b for imp in imports_of(path) if (b := breach(imp, scope))]
    assert broken == [], "\n".join(broken)


def test_every_adapter_states_its_own_rule() -> None:
    # Adapters never import each other: each one's entry admits only itself and the kit.
    missing = []
    for parent in OWN_ENTRY:
        for init in sorted((ROOT / parent).glob("*/__init__.py")):
            key = folder_of(init)
            if key not in ALLOWED:
                missing.append(f"{key}/ has no entry: add one to ALLOWED in {Path(__file__).name}")
    assert missing == [], "\n".join(missing)
    adapters = [k for k in ALLOWED if k.startswith("adapters/") and k != "adapters/kit"]
    for key in adapters:
        others = [a.replace("/", ".") for a in adapters if a != key]
        assert not any(ALLOWED[key].admits(other) for other in others), key


def test_platform_sdks_stay_in_their_adapter_folder() -> None:
    broken = []
    for path in python_files(*PRODUCT, "benchmarks"):
        relative = path.relative_to(ROOT).as_posix()
        for imp in imports_of(path):
            home = SDK_HOME.get(imp.root)
            if home and not relative.startswith(home + "/"):
                broken.append(f"{imp.where} imports {imp.root}: only {home}/ may")
    assert broken == [], "\n".join(broken)


def test_no_engine_module_imports_the_engine() -> None:
    # Handlers are given a Context; `Engine` only dispatches to them through the registry.
    engine = ROOT / "conversations" / "engine.py"
    broken = [
        f"{imp.where} imports {imp.module}: take the Context (conversations.context) instead"
        for path in python_files("conversations")
        if path != engine
        for imp in imports_of(path)
        if imp.module == "conversations.engine"
        or (imp.module == "conversations" and "engine" in imp.names)
    ]
    assert broken == [], "\n".join(broken)


# The one place that imports by name at run time: `python -m benchmarks NAME` picks a module of
# its own package from a fixed table.
DYNAMIC_ALLOWED = {"benchmarks/__main__.py"}


def dynamic_breaches(paths: list[Path]) -> list[str]:
    """The dynamic imports (`importlib.import_module`, `__import__`) that may name a project
    module: with a literal, when it is one; with anything else, always (it cannot be checked)."""
    broken = []
    for path in paths:
        inside = path.is_relative_to(ROOT)
        relative = path.relative_to(ROOT).as_posix() if inside else path.name
        for line, named in dynamic_imports(path):
            if relative in DYNAMIC_ALLOWED:
                continue
            if named is None or named.split(".")[0] in PROJECT:
                broken.append(
                    f"{relative}:{line} imports {named or 'a module named at run time'} "
                    "dynamically, where the dependency rule cannot see it: import it by name"
                )
    return broken


def test_no_project_module_is_imported_dynamically() -> None:
    broken = dynamic_breaches(python_files(*PRODUCT, "benchmarks"))
    assert broken == [], "\n".join(broken)


def test_dynamic_imports_are_seen(tmp_path: Path) -> None:
    # Guard against a checker that passes because it sees none.
    assert [line for line, _ in dynamic_imports(ROOT / "benchmarks" / "__main__.py")] != []
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import importlib\n"
        "importlib.import_module('storage.store')\n"
        "__import__('conversations.engine')\n"
        "importlib.import_module(name)\n"
        "importlib.import_module('json')\n",
        encoding="utf-8",
    )
    found = dynamic_breaches([probe])
    assert [b.split(" ")[0] for b in found] == ["probe.py:2", "probe.py:3", "probe.py:4"]


def test_the_edges_see_only_the_outbox_rules() -> None:
    # The outbox's queueing builds messages with the engine's texts: not for the edges.
    for scope in ("delivery", "adapters/slack", "adapters/teams", "adapters/console"):
        allowed = ALLOWED[scope]
        assert allowed.admits("conversations.outbox.codec")
        assert allowed.admits("conversations.outbox", ("premise", "timing"))
        assert not allowed.admits("conversations.outbox.queueing"), scope
        assert not allowed.admits("conversations.outbox"), scope
        assert not allowed.admits("conversations.outbox", ("codec", "queueing")), scope
    storage = ALLOWED["storage"]
    assert storage.admits("conversations.insights.windows")
    assert not storage.admits("conversations.insights.breakdowns")
    assert not storage.admits("conversations.insights")
    assert not storage.admits("conversations.programme.lifecycle")


def test_the_rule_checker_sees_imports() -> None:
    # Guard against a checker that passes because it reads nothing.
    bot_app = {imp.root for imp in imports_of(ROOT / "bot" / "app.py")}
    assert "conversations" in bot_app
    assert len(python_files("conversations")) > 5
    assert scope_of(ROOT / "conversations" / "types" / "events.py") == "conversations/types"
    assert scope_of(ROOT / "adapters" / "teams" / "cards" / "__init__.py") == "adapters/teams"
