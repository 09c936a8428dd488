"""The one registry: every button and command has exactly one handler, read from one place."""

from __future__ import annotations

import ast
from pathlib import Path

from conversations import grammar as cmd
from conversations import registry
from conversations.types import actions

HANDLER_AREAS = ("admin", "enrolment", "insights", "pairing", "programme", "safety")


def test_every_button_has_a_handler() -> None:
    assert set(registry.ACTIONS) | {registry.COMMAND_BUTTON} == actions.ALL


def test_every_word_starts_one_command_and_every_type_has_one_entry() -> None:
    words = [w for e in registry.COMMANDS for w in (e.word, *e.also) if w]
    assert len(words) == len(set(words))
    types = [e.command for e in registry.COMMANDS if e.command is not None]
    assert len(types) == len(set(types))
    assert all(registry.entry_for(t()) is not None for t in (cmd.Help, cmd.Leave, cmd.Report))


def test_admin_entries_are_the_ones_authorisation_refuses() -> None:
    assert registry.is_admin_command(cmd.Forget(cmd.PersonRef("a@x.com")))
    assert not registry.is_admin_command(cmd.ForgetMe())
    assert not registry.is_admin_command(cmd.Pause())
    assert registry.is_admin_command(cmd.Pause(who=cmd.PersonRef("a@x.com")))


def test_no_handler_module_imports_the_engine_or_the_registry() -> None:
    root = Path(__file__).resolve().parents[2] / "conversations"
    for area in HANDLER_AREAS:
        for path in (root / area).glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and node.module:
                    names = {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
                    assert not names & {"conversations.engine", "conversations.registry"}, path
