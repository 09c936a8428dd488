"""The admin dashboard (issue 7): `/admin`, its login and logout, the export and chart.

`add_dashboard_routes(app, bot)` is all `bot.server` needs; `ChatLinks` makes the single-use
links that the admin `dashboard` and `export` commands send (docs/dashboard.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.dashboard.auth import ChatLinks

if TYPE_CHECKING:
    from collections.abc import Callable

    from aiohttp import web

    from bot.app import Mentorbot

__all__ = ["ChatLinks", "add_dashboard_routes"]


def add_dashboard_routes(app: web.Application, bot: Mentorbot) -> Callable[[], list[str]]:
    """Register /admin, /admin/login, /admin/logout (POST only), the export, the chart and
    the stylesheet on `app`; returns the dashboard's /metrics lines, read at each scrape."""
    from bot.dashboard.views import Dashboard

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
