"""Every port has a complete fake: a port member that no fake (or no real implementation) has
fails here.

For each Protocol in `conversations.ports`, every implementation listed in `IMPLEMENTATIONS` —
the in-memory fake of `tests/fakes.py` and the real ones — must have every member: each method,
a coroutine where the port's is one, accepting the same parameters (same names, kinds and
defaults, in the same order), and each annotated data attribute (`Sender.platform`…) declared
on the class. A Protocol without an entry fails too, so a new port states its fake.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

import conversations.ports as ports
from adapters.console.inbox import InboxSender
from adapters.console.sender import ConsoleSender
from adapters.slack.sender import SlackSender
from adapters.teams.sender import TeamsSender
from bot.clock import SimulatedClock, SystemClock
from bot.dashboard.auth import ChatLinks
from conversations.engine import Engine
from conversations.ports import Store
from storage.store import SqlStore
from tests.fakes import FakeClock, FakeLinks, FakeSender, FakeStore, utc

PORTS = [
    value
    for name in ports.__all__
    if isinstance(value := getattr(ports, name), type) and getattr(value, "_is_protocol", False)
]
STORAGE_PORTS = [
    base
    for base in Store.__mro__[1:]
    if base.__module__.startswith("conversations.ports.") and getattr(base, "_is_protocol", False)
]
_STORES = (FakeStore, SqlStore)
# Port name → its implementations, the fake first. `HandleEvent` is `Engine.handle`.
IMPLEMENTATIONS: dict[str, tuple[Any, ...]] = {
    **{port.__name__: _STORES for port in STORAGE_PORTS},
    "Store": _STORES,
    "AdminLinks": (FakeLinks, ChatLinks),
    "Clock": (FakeClock, SystemClock, SimulatedClock),
    "Sender": (FakeSender, SlackSender, TeamsSender, ConsoleSender, InboxSender),
    "HandleEvent": (Engine.handle,),
}
CASES = [
    pytest.param(port, implementation, id=f"{port.__name__}-{_name}")
    for port in PORTS
    for implementation in IMPLEMENTATIONS.get(port.__name__, ())
    if (_name := getattr(implementation, "__qualname__", repr(implementation)))
]


def _methods(port: type) -> dict[str, Any]:
    """The methods a port declares itself (not those of `Protocol` or `object`); a callable
    port (`HandleEvent`) declares `__call__`."""
    return {
        name: value
        for name, value in vars(port).items()
        if (not name.startswith("_") or name == "__call__") and callable(value)
    }


def _attributes(port: type) -> list[str]:
    """The data attributes a port declares by annotation (`platform: str`)."""
    return [name for name in vars(port).get("__annotations__", {}) if not name.startswith("_")]


def _declares(cls: type, name: str) -> bool:
    """Whether a class (or a base) assigns or annotates `name` in its body."""
    return any(name in vars(k) or name in vars(k).get("__annotations__", {}) for k in cls.__mro__)


def _shape(function: Any) -> list[tuple[str, Any, Any]]:
    """The parameters as (name, kind, default), annotations aside (they are strings)."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


def _all_members(port: type) -> tuple[dict[str, Any], list[str]]:
    """Methods and attributes of a port and of the ports it composes (`Store`)."""
    methods: dict[str, Any] = {}
    attributes: list[str] = []
    for base in reversed(port.__mro__):
        if getattr(base, "_is_protocol", False) and base.__module__.startswith("conversations."):
            methods.update(_methods(base))
            attributes += _attributes(base)
    return methods, attributes


def test_every_port_names_its_implementations() -> None:
    missing = [p.__name__ for p in PORTS if p.__name__ not in IMPLEMENTATIONS]
    assert missing == [], (
        f"add a fake (tests/fakes.py) and the real ones to IMPLEMENTATIONS: {missing}"
    )
    stale = set(IMPLEMENTATIONS) - {p.__name__ for p in PORTS}
    assert stale == set(), f"IMPLEMENTATIONS names ports that no longer exist: {stale}"


def test_store_composes_every_storage_port() -> None:
    names = {port.__name__ for port in STORAGE_PORTS}
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


def test_every_port_is_checked() -> None:
    # Guard against a check that passes because it reads nothing.
    assert {p.__name__ for p in PORTS} >= {"Store", "AdminLinks", "Clock", "Sender", "HandleEvent"}
    assert _attributes(ports.Sender) == ["platform", "finds_sent", "opens_groups"]
    assert "__call__" in _methods(ports.HandleEvent)


@pytest.mark.parametrize(("port", "implementation"), CASES)
def test_every_port_member_is_implemented(port: type, implementation: Any) -> None:
    name_of = getattr(implementation, "__qualname__", repr(implementation))
    methods, attributes = _all_members(port)
    if not isinstance(implementation, type):
        # A function standing for a callable port: it is the `__call__` (bound: no `self`).
        (declared,) = methods.values()
        shape = _shape(implementation)[1:]
        assert inspect.iscoroutinefunction(implementation) == inspect.iscoroutinefunction(declared)
        assert shape == _shape(declared)[1:], (
            f"{name_of} does not take {port.__name__}'s parameters"
        )
        return
    for name in attributes:
        assert _declares(implementation, name), f"{name_of} lacks {port.__name__}.{name}"
    for name, declared in methods.items():
        implemented = getattr(implementation, name, None)
        assert implemented is not None, f"{name_of} lacks {port.__name__}.{name}"
        assert inspect.iscoroutinefunction(implemented) == inspect.iscoroutinefunction(declared), (
            f"{name_of}.{name}: async as {port.__name__}.{name}, or not"
        )
        assert _shape(implemented) == _shape(declared), (
            f"{name_of}.{name}{inspect.signature(implemented)} does not take "
            f"the parameters of {port.__name__}.{name}{inspect.signature(declared)}"
        )


def test_the_fakes_satisfy_their_protocols() -> None:
    # Checked by mypy too wherever a fake is passed as its port; this keeps it explicit.
    store: ports.Store = FakeStore()
    links: ports.AdminLinks = FakeLinks()
    clock: ports.Clock = FakeClock(utc(2027, 1, 1))
    sender: ports.Sender = FakeSender(clock)
    assert isinstance(store, FakeStore) and isinstance(links, FakeLinks)
    assert sender.platform == "slack"
