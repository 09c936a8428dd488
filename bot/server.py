"""`mentorbot serve`: the HTTP server (health, metrics; the platform endpoints plug in here)
and the scheduler tick, in one process. Routes only hand off (Bolt's adapter style)."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy import text

from bot.access_log import PathOnlyAccessLogger
from bot.dashboard.routes import add_dashboard_routes
from bot.ticker import Ticker

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from bot.app import Mentorbot
    from bot.plugin import PlatformPlugin

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 5.0  # seconds in-flight requests get to finish after SIGTERM
MAX_BODY = 1024 * 1024  # platform payloads are a few KB; anything near this is not from them
BOT_KEY = web.AppKey("mentorbot", object)
TICKER_KEY = web.AppKey("ticker", Ticker)
PLUGINS_KEY = web.AppKey("plugins", tuple)
# How long /healthz trusts its last write probe. /healthz is public: without this a flood of
# polls is a flood of write transactions, contending with the bot's own writes (on SQLite, one
# writer at a time). A few seconds is still far quicker than any orchestrator's probe period.
WRITE_PROBE_TTL = timedelta(seconds=5)
ADMIN_METRICS_KEY: web.AppKey[Callable[[], list[str]]] = web.AppKey("admin_metrics")


class WriteProbe:
    """Whether the database takes writes, probed at most once per `ttl` on the bot's clock.

    One probe at a time: polls arriving while it runs wait for its answer instead of each
    starting a transaction. A failed probe is remembered as long as a good one.
    """

    def __init__(self, bot: Mentorbot, ttl: timedelta = WRITE_PROBE_TTL) -> None:
        self.bot = bot
        self.ttl = ttl
        self._lock = asyncio.Lock()
        self._at: datetime | None = None
        self._ok = False

    def _fresh(self, now: datetime) -> bool:
        # A clock that went backwards (a simulated one reset) makes the answer stale.
        return self._at is not None and timedelta(0) <= now - self._at < self.ttl

    async def writable(self) -> bool:
        """True when the last probe (made now if the last is older than `ttl`) wrote."""
        if self._fresh(self.bot.clock.now()):
            return self._ok
        async with self._lock:
            now = self.bot.clock.now()
            if self._fresh(now):  # another poll probed while this one waited
                return self._ok
            try:
                # One row rewritten in place: safe with several replicas.
                await self.bot.store.write_heartbeat(now)
                self._ok = True
            except Exception as error:  # the reason goes to the log only: /healthz is public
                log.warning("health check: database cannot be written: %s", error)
                self._ok = False
            self._at = now
            return self._ok


WRITE_PROBE_KEY = web.AppKey("write_probe", WriteProbe)


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers and takes writes; 503 (degraded) when it does not answer
    ("unavailable") or refuses to write ("read-only": the bot could read but not work).

    The read is made on every call; the write probe at most every few seconds
    (`WRITE_PROBE_TTL`)."""
    bot: Mentorbot = request.app[BOT_KEY]  # type: ignore[assignment]
    try:
        async with bot.db.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:  # any database failure means degraded, never a 500
        log.warning("health check: database unavailable: %s", error)
        return web.json_response({"status": "degraded", "database": "unavailable"}, status=503)
    if not await request.app[WRITE_PROBE_KEY].writable():
        return web.json_response({"status": "degraded", "database": "read-only"}, status=503)
    counts = await bot.store.queue_counts()
    return web.json_response({"status": "ok", "database": "ok", "queue": counts})


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text format: the delivery queue by status, the tick's health and refused
    admin web attempts."""
    bot: Mentorbot = request.app[BOT_KEY]  # type: ignore[assignment]
    ticker = request.app[TICKER_KEY]
    lines = [
        "# HELP mentorbot_due_work Rows in the delivery queue by status.",
        "# TYPE mentorbot_due_work gauge",
    ]
    for status, count in sorted((await bot.store.queue_counts()).items()):
        lines.append(f'mentorbot_due_work{{status="{status}"}} {count}')
    lines += [
        "# HELP mentorbot_tick_failures_total Ticks that raised an error.",
        "# TYPE mentorbot_tick_failures_total counter",
        f"mentorbot_tick_failures_total {ticker.failures}",
    ]
    lines += request.app[ADMIN_METRICS_KEY]()
    for plugin in request.app[PLUGINS_KEY]:
        if plugin.metrics is not None:
            lines += plugin.metrics()
    return web.Response(text="\n".join(lines) + "\n", content_type="text/plain")


def create_web_app(
    bot: Mentorbot, ticker: Ticker, plugins: Sequence[PlatformPlugin] = ()
) -> web.Application:
    """The aiohttp application: health, metrics and each configured platform's routes."""
    app = web.Application(client_max_size=MAX_BODY)
    app[BOT_KEY] = bot
    app[TICKER_KEY] = ticker
    app[PLUGINS_KEY] = tuple(plugins)
    app[WRITE_PROBE_KEY] = WriteProbe(bot)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app[ADMIN_METRICS_KEY] = add_dashboard_routes(app, bot)  # /admin (issue 7)
    for plugin in plugins:
        for method, path, handler in plugin.routes:
            app.router.add_route(method, path, handler)
    return app


def settle_heap() -> None:
    """Exempt everything built at start-up from the garbage collector's full passes.

    Modules, SQLAlchemy's mappers and compiled statements, and the SDKs' tables live as long as
    the process; without this, every full collection walks all of them again. It was a fifth of
    the CPU per message in the fan-out benchmark (`gc.freeze`, as long-running CPython services
    do after start-up). Objects made later are collected as usual.
    """
    gc.collect()
    gc.freeze()


async def serve(
    bot: Mentorbot, *, host: str, port: int, plugins: Sequence[PlatformPlugin] = ()
) -> int:
    """Serve until SIGINT/SIGTERM; ticks the scheduler meanwhile."""
    ticker = Ticker(bot.tick, interval=bot.settings.secrets.tick_seconds)
    # Work queued while answering someone (an intro after a consent tap) goes out now, not at
    # the next interval.
    bot.wakeup.listen(ticker.poke)
    # Platforms answer within seconds (Slack retries after 3 s): no request deserves the
    # default minute of grace at shutdown.
    # The access log names paths only: link tokens and signatures travel in query strings.
    runner = web.AppRunner(
        create_web_app(bot, ticker, plugins),
        shutdown_timeout=SHUTDOWN_GRACE,
        access_log_class=PathOnlyAccessLogger,
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    ticker.start()
    for plugin in plugins:
        if plugin.start is not None:
            await plugin.start()
    settle_heap()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Before announcing the port: a supervisor may signal us as soon as it reads the line.
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    bound = runner.addresses[0][1] if runner.addresses else port  # PORT=0 picks a free port
    # Printed, not only logged, so scripts and tests starting `serve` learn the port.
    print(f"Mentorbot listening on http://{host}:{bound}", flush=True)
    try:
        await stop.wait()
    finally:
        # The tick first (it may be sending through a platform), then the platforms.
        await ticker.stop()
        for plugin in plugins:
            if plugin.stop is not None:
                await plugin.stop()
        await runner.cleanup()
    return 0
