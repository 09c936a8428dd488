"""The admin dashboard (issue 7): `/admin`, its login, and signed links for the chat command.

`add_dashboard_routes(app, bot)` is all `bot.server` needs; `dashboard_link(secret, base_url,
now)` makes the 15-minute link that the admin `dashboard` command sends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.dashboard.auth import dashboard_link

if TYPE_CHECKING:
    from aiohttp import web

    from bot.app import Mentorbot

__all__ = ["add_dashboard_routes", "dashboard_link"]


def add_dashboard_routes(app: web.Application, bot: Mentorbot) -> None:
    """Register /admin, /admin/login, /admin/logout and the stylesheet on `app`."""
    from bot.dashboard.views import Dashboard

    dashboard = Dashboard(bot)
    app.router.add_get("/admin", dashboard.page)
    app.router.add_get("/admin/login", dashboard.login_form)
    app.router.add_post("/admin/login", dashboard.login)
    app.router.add_get("/admin/logout", dashboard.logout)
    app.router.add_get("/admin/dashboard.css", dashboard.stylesheet)
    app.router.add_get("/admin/export.zip", dashboard.export_zip)
    app.router.add_get("/admin/chart.png", dashboard.chart_png)
