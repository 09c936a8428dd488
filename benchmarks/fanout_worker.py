"""The delivering process of the fan-out benchmark: `python -m benchmarks.fanout_worker CONFIG`.

Builds the bot the way `mentorbot serve` does (`build_app` + the configured platform plugins,
so the real SlackSender/TeamsSender, their pacing and Teams' send thread pool), then runs the
delivery worker until no `deliver` row is pending, and prints one JSON line: wall seconds,
this process's CPU seconds (all threads, from getrusage), its peak RSS and the worker's stats.

Its own process so that the CPU and memory figures are ours alone: the fakes run elsewhere,
and PostgreSQL's own CPU is not counted (it is a server, as in production).
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bot.app import build_app
from bot.platforms import attach_platforms
from bot.server import settle_heap
from bot.settings import load_settings
from delivery.stats import DeliveryStats
from storage.models import DueWorkRow
from storage.sql_queue import DONE, FAILED

DEADLINE = 3 * 3600.0  # seconds: a wedged run must still end


async def open_rows(bot: object) -> int:
    """`deliver` rows not yet done or failed for good."""
    async with bot.db.connect() as connection:  # type: ignore[attr-defined]
        query = select(func.count()).where(
            DueWorkRow.kind == "deliver", DueWorkRow.status.not_in([DONE, FAILED])
        )
        return int((await connection.execute(query)).scalar_one())


async def run(config: Path) -> dict[str, object]:
    """Deliver everything; the figures as a dict."""
    settings = load_settings(config, os.environ)
    async with build_app(settings, migrate=False) as bot:
        plugins = attach_platforms(bot)
        if os.environ.get("BENCH_DELIVERY_CONCURRENCY"):  # `--concurrency N`: compare settings
            bot.deliverer.concurrency = int(os.environ["BENCH_DELIVERY_CONCURRENCY"])
        for plugin in plugins:
            if plugin.start is not None:
                await plugin.start()
        settle_heap()  # as `serve` does once started
        total = DeliveryStats()
        passes = 0
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        start = time.perf_counter()
        try:
            while time.perf_counter() - start < DEADLINE:
                # What `serve`'s tick does (without engine work: only intros are queued),
                # then, like a tick poked at the next due time, again until nothing is left.
                stats = await bot.deliverer.deliver_due(datetime.now(UTC))
                passes += 1
                for name, value in asdict(stats).items():
                    setattr(total, name, getattr(total, name) + value)
                if not await open_rows(bot):
                    break
                due = await bot.store.next_due()
                wait = (due - datetime.now(UTC)).total_seconds() if due else 0.05
                await asyncio.sleep(min(max(wait, 0.05), 5.0))
            wall = time.perf_counter() - start
            cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        finally:
            for plugin in plugins:
                if plugin.stop is not None:
                    await plugin.stop()
        return {
            "wall": wall,
            "cpu": (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime),
            # The kernel's share: on loopback it includes delivering our packets to the fakes.
            "cpu_system": cpu1.ru_stime - cpu0.ru_stime,
            "peak_mb": cpu1.ru_maxrss / 1024,  # Linux reports KiB
            "passes": passes,
            "concurrency": bot.deliverer.concurrency,
            "left": await open_rows(bot),
            **asdict(total),
        }


def main() -> None:
    """Run and print the figures as one JSON line (BENCH_PROFILE=FILE: cProfile to FILE)."""
    profile = os.environ.get("BENCH_PROFILE")
    if profile:
        import cProfile

        with cProfile.Profile() as profiler:
            figures = asyncio.run(run(Path(sys.argv[1])))
        profiler.dump_stats(profile)
    else:
        figures = asyncio.run(run(Path(sys.argv[1])))
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
