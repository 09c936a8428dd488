"""The real `mentorbot serve` process: health, metrics and a clean shutdown."""

from __future__ import annotations

from pathlib import Path

import aiohttp

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
