"""The per-process ticker: a stop lets the running tick finish, and an outage logs one
traceback, not one per tick."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.ticker import Ticker


async def test_stop_lets_a_running_tick_finish_instead_of_cancelling_it() -> None:
    started, release = asyncio.Event(), asyncio.Event()
    finished: list[str] = []

    async def tick() -> None:
        started.set()
        try:
            await release.wait()
            finished.append("done")
        except asyncio.CancelledError:
            finished.append("cancelled")
            raise

    ticker = Ticker(tick, interval=3600)
    ticker.start()
    await asyncio.wait_for(started.wait(), timeout=10)
    stopping = asyncio.create_task(ticker.stop(grace=10))
    await asyncio.sleep(0)  # let stop() begin waiting
    assert not stopping.done()
    release.set()
    await asyncio.wait_for(stopping, timeout=10)
    assert finished == ["done"]


async def test_repeated_failures_log_one_traceback_then_a_line_each(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outcomes = [ConnectionRefusedError("db down")] * 3 + [None]

    async def tick() -> None:
        error = outcomes.pop(0)
        if error is not None:
            raise error

    ticker = Ticker(tick, interval=3600)
    with caplog.at_level(logging.INFO, logger="bot.ticker"):
        for _ in range(4):
            await ticker.run_once()
    assert ticker.failures == 3 and ticker.last_success is not None
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 1
    assert [r.getMessage() for r in caplog.records][1:] == [
        "tick failed again (2 in a row): ConnectionRefusedError('db down')",
        "tick failed again (3 in a row): ConnectionRefusedError('db down')",
        "tick recovered after 3 failed ticks",
    ]


async def test_a_poke_during_a_tick_runs_it_again_right_after() -> None:
    """Work an answer queues while a tick runs must not wait for the next interval."""
    started, release = asyncio.Event(), asyncio.Event()
    runs: list[int] = []

    async def tick() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            started.set()
            await release.wait()

    ticker = Ticker(tick, interval=3600)
    ticker.start()
    await asyncio.wait_for(started.wait(), timeout=10)
    ticker.poke()  # while the first tick is still running
    release.set()
    await ticker.stop(grace=10)
    assert runs == [0, 1]
