"""Every storage port has a complete in-memory fake: a port method without one fails here.

For each Protocol that `conversations.ports.Store` composes, `FakeStore` (and `SqlStore`, the
same check from the other side) must have every member, a coroutine where the port's is one,
accepting the same parameters: same names, kinds and defaults, in the same order.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from conversations.ports import Store
from storage.store import SqlStore
from tests.fakes import FakeStore

PORTS = [
    base
    for base in Store.__mro__[1:]
    if base.__module__.startswith("conversations.ports.") and getattr(base, "_is_protocol", False)
]


def _members(port: type) -> dict[str, Any]:
    """The methods a port declares itself (not those of `Protocol` or `object`)."""
    return {
        name: value
        for name, value in vars(port).items()
        if not name.startswith("_") and callable(value)
    }


def _shape(function: Any) -> list[tuple[str, Any, Any]]:
    """The parameters as (name, kind, default), annotations aside (they are strings)."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


def test_store_composes_every_storage_port() -> None:
    names = {port.__name__ for port in PORTS}
    assert names == {
        "Directory",
        "AuditLog",
        "WorkQueue",
        "Pairs",
        "Sessions",
        "PromptLog",
        "Answers",
        "WaitingLines",
        "Reports",
        "Premises",
        "Concerns",
    }


@pytest.mark.parametrize("implementation", [FakeStore, SqlStore], ids=lambda c: c.__name__)
@pytest.mark.parametrize("port", PORTS, ids=lambda p: p.__name__)
def test_every_port_method_is_implemented(implementation: type, port: type) -> None:
    for name, declared in _members(port).items():
        implemented = getattr(implementation, name, None)
        assert implemented is not None, f"{implementation.__name__} lacks {port.__name__}.{name}"
        assert inspect.iscoroutinefunction(implemented) == inspect.iscoroutinefunction(declared), (
            f"{implementation.__name__}.{name}: async as {port.__name__}.{name}, or not"
        )
        assert _shape(implemented) == _shape(declared), (
            f"{implementation.__name__}.{name}{inspect.signature(implemented)} does not take "
            f"the parameters of {port.__name__}.{name}{inspect.signature(declared)}"
        )


def test_the_fake_store_satisfies_the_store_protocol() -> None:
    # Checked by mypy too wherever a FakeStore is passed as a Store; this keeps it explicit.
    store: Store = FakeStore()
    assert isinstance(store, FakeStore)
