"""The dashboard's routes on the bot's web application (docs/dashboard.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from aiohttp import web

from bot.dashboard.views import Dashboard

if TYPE_CHECKING:
    from bot.app import Mentorbot


def add_dashboard_routes(app: web.Application, bot: Mentorbot) -> Callable[[], list[str]]:
    """Register /admin, /admin/login, /admin/logout (POST only), the export, the chart and
    the stylesheet on `app`; returns the dashboard's /metrics lines, read at each scrape."""
    dashboard = Dashboard(bot)
    app.router.add_get("/admin", dashboard.page)
    app.router.add_get("/admin/login", dashboard.login_form)
    app.router.add_post("/admin/login", dashboard.login)
    # POST only: a GET (an <img> on another site, a prefetch) must not end a session.
    app.router.add_post("/admin/logout", dashboard.logout)
    app.router.add_get("/admin/dashboard.css", dashboard.stylesheet)
    app.router.add_get("/admin/export.zip", dashboard.export_zip)
    app.router.add_get("/admin/chart.png", dashboard.chart_png)
    return dashboard.metrics
