"""The real `mentorbot serve` process: health, metrics and a clean shutdown."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from tests.fakes import start_server


async def test_serve_answers_health_and_metrics_then_stops_on_sigterm(
    tmp_path: Path, db_url: str
) -> None:
    (tmp_path / "app.yaml").write_text("programme:\n  start_date: 2027-01-11\n")
    async with start_server(tmp_path, db_url) as base:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/healthz") as response:
                assert response.status == 200
                body = await response.json()
            assert body["status"] == "ok" and body["database"] == "ok"
            assert body["queue"]["pending"] == 0
            async with http.get(f"{base}/metrics") as response:
                metrics = await response.text()
            assert 'mentorbot_due_work{status="pending"} 0' in metrics
            assert "mentorbot_tick_failures_total 0" in metrics
            async with http.get(f"{base}/nope") as response:
                assert response.status == 404


async def test_healthz_reports_degraded_when_the_database_is_gone(tmp_path: Path) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from bot.app import build_app
    from bot.server import create_web_app
    from bot.settings import Secrets, Settings, parse_config
    from bot.ticker import Ticker

    url = f"sqlite+aiosqlite:///{tmp_path / 'gone.db'}"
    settings = Settings(
        parse_config({"programme": {"start_date": "2027-01-11"}}), Secrets(database_url=url)
    )
    async with build_app(settings) as bot:
        web_app = create_web_app(bot, Ticker(bot.tick))
        async with TestClient(TestServer(web_app)) as client:
            assert (await client.get("/healthz")).status == 200
            await bot.db.dispose()
            (tmp_path / "gone.db").unlink()
            (tmp_path / "gone.db").mkdir()  # a folder where the file was: SQLite cannot open it
            response = await client.get("/healthz")
            assert response.status == 503
            assert (await response.json())["status"] == "degraded"


async def test_healthz_is_503_when_the_database_can_be_read_but_not_written(
    tmp_path: Path,
) -> None:
    """`SELECT 1` works on a read-only database, yet the bot cannot do its job there: the real
    `serve` on SQLite opened read-only must not report itself healthy."""
    from tests.fakes import run_cli

    (tmp_path / "app.yaml").write_text("programme:\n  start_date: 2027-01-11\n")
    path = tmp_path / "mentorbot.db"
    await run_cli(tmp_path, f"sqlite+aiosqlite:///{path}", "db", "upgrade")
    read_only = f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true"
    async with start_server(tmp_path, read_only) as base, aiohttp.ClientSession() as http:
        async with http.get(f"{base}/healthz") as response:
            assert response.status == 503
            assert await response.json() == {"status": "degraded", "database": "read-only"}


async def test_healthz_writes_at_most_once_per_few_seconds_of_the_bots_clock(
    tmp_path: Path, db_url: str
) -> None:
    """/healthz is public: a flood of polls must not be a flood of write transactions. The
    read runs on every call, the write probe once per `WRITE_PROBE_TTL` of the bot's clock."""
    from datetime import UTC, datetime, timedelta

    from aiohttp.test_utils import TestClient, TestServer
    from sqlalchemy import select

    from bot.app import build_app
    from bot.clock import SimulatedClock
    from bot.server import WRITE_PROBE_TTL, create_web_app
    from bot.settings import Secrets, Settings, parse_config
    from bot.ticker import Ticker
    from storage.models import HealthCheckRow

    t0 = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)
    clock = SimulatedClock(t0)
    settings = Settings(
        parse_config({"programme": {"start_date": "2027-01-11"}}), Secrets(database_url=db_url)
    )

    async def last_write() -> datetime | None:
        async with bot.db.connect() as connection:
            return await connection.scalar(select(HealthCheckRow.checked_at))

    async with build_app(settings, clock=clock) as bot:
        web_app = create_web_app(bot, Ticker(bot.tick))
        async with TestClient(TestServer(web_app)) as client:
            for _ in range(4):
                assert (await client.get("/healthz")).status == 200
                clock.advance(WRITE_PROBE_TTL / 5)
            assert await last_write() == t0  # four polls, one write
            clock.advance(WRITE_PROBE_TTL / 5)
            assert (await client.get("/healthz")).status == 200
            assert await last_write() == t0 + WRITE_PROBE_TTL  # stale: probed again
            polls = [client.get("/healthz") for _ in range(20)]
            for response in await asyncio.gather(*polls):
                assert response.status == 200
            assert await last_write() == t0 + WRITE_PROBE_TTL
            assert timedelta(seconds=1) <= WRITE_PROBE_TTL <= timedelta(seconds=30)


@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
async def test_healthz_is_503_on_a_read_only_postgresql_database(
    tmp_path: Path, blank_db_url: str
) -> None:
    """The same on PostgreSQL: a database that defaults every transaction to read-only (a hot
    standby, an operator's emergency switch). Done on this test's own database."""
    import asyncpg
    from sqlalchemy.engine import make_url

    from tests.fakes import run_cli

    (tmp_path / "app.yaml").write_text("programme:\n  start_date: 2027-01-11\n")
    await run_cli(tmp_path, blank_db_url, "db", "upgrade")
    url = make_url(blank_db_url)
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(
            f'ALTER DATABASE "{url.database}" SET default_transaction_read_only = on'
        )
    finally:
        await connection.close()
    async with start_server(tmp_path, blank_db_url) as base, aiohttp.ClientSession() as http:
        async with http.get(f"{base}/healthz") as response:
            assert response.status == 503
            assert await response.json() == {"status": "degraded", "database": "read-only"}
