"""PostgreSQL restarted under load: `mentorbot serve` keeps running, `/healthz` says degraded
(503) while the database is away and ok again after, and every queued message still reaches
Slack exactly once.

The server is a private PostgreSQL cluster (see conftest.py), never the shared test server.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from tests.faults.conftest import PrivatePostgres
from tests.faults.support import (
    FaultySlack,
    keys_posted,
    queue_settled,
    seed_slack,
    serve,
    slack_env,
    until,
)

DEGRADED_POLLS = 10  # consecutive 503s seen before the database comes back (≈ 0.5 s)


async def health(http: aiohttp.ClientSession, base: str) -> tuple[int, dict[str, object]]:
    async with http.get(f"{base}/healthz") as response:
        return response.status, await response.json()


async def tick_failures(http: aiohttp.ClientSession, base: str) -> int:
    async with http.get(f"{base}/metrics") as response:
        for line in (await response.text()).splitlines():
            if line.startswith("mentorbot_tick_failures_total "):
                return int(line.split()[1])
    raise AssertionError("no mentorbot_tick_failures_total in /metrics")


async def test_postgres_restart_under_load_degrades_then_recovers_losing_nothing(
    private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    db_url = private_postgres.url
    fake = FaultySlack()
    await fake.start()
    try:
        fake.latency = 0.01
        keys = await seed_slack(db_url, fake, people=20, messages_each=8, due=datetime.now(UTC))
        async with (
            serve(tmp_path / "bot", slack_env(fake, db_url)) as bot,
            aiohttp.ClientSession() as http,
        ):
            assert (await health(http, bot.url))[0] == 200

            async def busy() -> bool:
                return sum(keys_posted(fake).values()) >= len(keys) // 5

            await until(busy, "delivery to be under way")
            await private_postgres.stop("fast")
            assert len(keys_posted(fake)) < len(keys), "everything went out before the restart"

            degraded = 0

            async def degraded_for_a_while() -> bool:
                nonlocal degraded
                status, body = await health(http, bot.url)
                degraded = degraded + 1 if status == 503 else 0
                if status == 503:
                    assert body == {"status": "degraded", "database": "unavailable"}
                return degraded >= DEGRADED_POLLS

            await until(degraded_for_a_while, "/healthz to report degraded")
            assert bot.process.returncode is None  # the outage did not take the process down
            await private_postgres.start()
            back = time.monotonic()

            async def healthy() -> bool:
                return (await health(http, bot.url))[0] == 200

            await until(healthy, "/healthz to report ok again")
            recovered_after = time.monotonic() - back

            async def all_sent() -> bool:
                return len(keys_posted(fake)) >= len(keys) and await queue_settled(db_url)

            await until(all_sent, "every message to be delivered after the restart")
            drained_after = time.monotonic() - back
            status, body = await health(http, bot.url)
            assert status == 200 and body["status"] == "ok"
            assert body["queue"] == {
                "pending": 0,
                "leased": 0,
                "done": len(keys),
                "failed": 0,
                "cancelled": 0,
            }
            assert await tick_failures(http, bot.url) > 0  # the ticks did hit the outage
        counts = keys_posted(fake)
        assert set(counts) == set(keys)  # nothing lost
        assert set(counts.values()) == {1}, {k: n for k, n in counts.items() if n > 1}
        print(f"healthz ok {recovered_after:.2f} s after PostgreSQL was back; "
              f"queue drained after {drained_after:.2f} s")  # fmt: skip
    finally:
        await fake.stop()
