"""The one bundle every adapter is handed (adapters/kit/deps.py), as the bot builds it."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from adapters.kit.deps import AdapterDeps
from bot.platforms import adapter_deps
from conversations.data.catalogue import load_topics
from conversations.pairing.disclosure import WHAT_PARTNERS_SEE
from tests.fakes import FakeClock


def _bot(tracks: tuple[str, ...]) -> Any:
    engine = SimpleNamespace(handle=object(), home=object(), queue=object())
    settings = SimpleNamespace(
        config=SimpleNamespace(programme=SimpleNamespace(tracks=list(tracks)))
    )
    wakeup = SimpleNamespace(kick=object())
    clock = FakeClock(datetime(2027, 1, 11, tzinfo=UTC))
    return SimpleNamespace(
        engine=engine, settings=settings, wakeup=wakeup, clock=clock, store=object()
    )


def test_the_bot_hands_every_adapter_the_engine_the_catalogue_and_what_partners_see() -> None:
    bot = _bot(("technology",))
    deps = adapter_deps(bot)
    assert deps.handle is bot.engine.handle and deps.home is bot.engine.home
    assert deps.queue is bot.engine.queue and deps.kick is bot.wakeup.kick
    assert deps.people is bot.store and deps.clock is bot.clock
    assert deps.catalogue == load_topics()
    assert deps.partners_see == WHAT_PARTNERS_SEE


def test_programme_topics_are_the_catalogue_s_in_the_programme_s_tracks_in_order() -> None:
    catalogue = load_topics()
    track = next(iter(catalogue))
    deps = adapter_deps(_bot((track,)))
    assert deps.programme_topics == tuple(catalogue[track])
    every = adapter_deps(_bot(tuple(catalogue)))
    assert every.programme_topics == tuple(t for labels in catalogue.values() for t in labels)


def test_a_bare_bundle_kicks_nobody() -> None:
    async def nothing(*args: object, **kwargs: object) -> Any:
        del args, kwargs

    deps = AdapterDeps(handle=nothing, people=object(), clock=object(), home=nothing, queue=nothing)  # type: ignore[arg-type]
    deps.kick()  # no listener: nothing happens, nothing raises
    assert deps.programme_topics == ()
