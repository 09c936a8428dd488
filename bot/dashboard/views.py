"""The dashboard's HTTP handlers: they check access (`gate`), load the figures and render a
template (`responses`).

Access (docs/dashboard.md): `Authorization: Bearer <MENTORBOT_ADMIN_TOKEN>`, the session
cookie set by the login form or by a dashboard link, or a single-use link; anything else gets
401. Without a token configured the dashboard is off (503, saying which variable to set).
Failed attempts (a wrong token in the form or a Bearer header, an unknown or spent link) are
throttled per address, a right credential never is (bot/dashboard/throttle.py says why);
logins, links used, exports downloaded and refusals go to the audit log, refusals within a
global cap.
"""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from typing import TYPE_CHECKING

from aiohttp import web

from bot.dashboard.auth import (
    COOKIE_NAME,
    DASHBOARD,
    EXPORT,
    LINK_PARAM,
    chart_link_ok,
    logout_ok,
    logout_token,
    session_hash,
    token_matches,
)
from bot.dashboard.data import load_insights
from bot.dashboard.gate import LOGIN_FORM, Gate, client_address
from bot.dashboard.page import page_context
from bot.dashboard.png import programme_chart
from bot.dashboard.responses import SECURITY_HEADERS, TEMPLATES, Pages, see_other
from bot.export import export_archive
from conversations.insights.summary import Period

if TYPE_CHECKING:
    from bot.app import Mentorbot

OFF = (
    "The dashboard is off because no admin token is set. Set MENTORBOT_ADMIN_TOKEN in the "
    "server's environment (at least 32 random characters, e.g. `openssl rand -hex 32`) and "
    "restart `mentorbot serve`."
)


class Dashboard:
    """The /admin routes of one bot."""

    def __init__(self, bot: Mentorbot) -> None:
        self.bot = bot
        self.pages = Pages(bot)
        self.gate = Gate(bot, self.pages)

    @property
    def secret(self) -> str:
        """The admin token (empty: the dashboard is off)."""
        return self.gate.secret

    def now(self) -> datetime:
        """The bot's clock."""
        return self.bot.clock.now()

    def metrics(self) -> list[str]:
        """/metrics lines (Prometheus text format): refused attempts, written or not."""
        return self.gate.metrics()

    async def page(self, request: web.Request) -> web.StreamResponse:
        """GET /admin: the dashboard, or a link's landing (session cookie, then redirect)."""
        if not self.secret:
            return self.pages.notice(503, "Dashboard not configured", OFF)
        # `sig`/`exp`: links from before links became single-use; refused like a used one.
        if LINK_PARAM in request.query or "sig" in request.query or "exp" in request.query:
            admin = await self.gate.use_link(request, DASHBOARD)
            if isinstance(admin, web.Response):
                return admin
            await self.gate.audit(admin, "dashboard login", f"via link issued to {admin}")
            # Swap the link for a cookie and drop the token from the address bar.
            return await self.gate.signed_in(request, admin)
        viewer = await self.gate.viewer(request)
        if isinstance(viewer, web.Response):
            return viewer
        if viewer is None:
            return self.pages.notice(
                401,
                "Log in to see the dashboard",
                "The dashboard is for programme admins.",
                login=True,
            )
        chosen = request.query.get("period")
        period: Period | None = (
            "week" if chosen == "week" else "month" if chosen == "month" else None
        )
        insights = await load_insights(self.bot, period)
        as_of = self.now().strftime("%d %b %Y %H:%M %Z")
        # Only a browser session can log out; a Bearer script has nothing to end.
        logout = logout_token(self.secret, viewer.session_token) if viewer.session_token else ""
        return self.pages.render(
            "dashboard.html", as_of=as_of, logout=logout, **page_context(insights)
        )

    async def login_form(self, request: web.Request) -> web.StreamResponse:
        """GET /admin/login: the token form (public)."""
        if not self.secret:
            return self.pages.notice(503, "Dashboard not configured", OFF)
        return self.pages.render("login.html", error="")

    async def login(self, request: web.Request) -> web.StreamResponse:
        """POST /admin/login: a right token starts a session, from any address; a wrong one
        is a 401, and after a handful of wrong ones in a minute the address's next wrong ones
        get 429."""
        if not self.secret:
            return self.pages.notice(503, "Dashboard not configured", OFF)
        form = await request.post()
        token = form.get("token")
        if not isinstance(token, str) or not token_matches(self.secret, token.strip()):
            detail = "wrong admin token (login form)"
            if (wait := await self.gate.refused(request, "login refused", detail)) is not None:
                return wait
            return self.pages.render("login.html", 401, error="That is not the admin token.")
        await self.gate.audit(LOGIN_FORM, "dashboard login", f"from {client_address(request)}")
        return await self.gate.signed_in(request, LOGIN_FORM)

    async def logout(self, request: web.Request) -> web.StreamResponse:
        """POST /admin/logout: revoke the session in the database (the cookie stops working
        everywhere), then forget the cookie in this browser.

        The form carries a field derived from the session (`logout_token`); a post without
        it came from somewhere else and is refused (403).
        """
        response = see_other("/admin/login")
        response.del_cookie(COOKIE_NAME, path="/admin")
        token = request.cookies.get(COOKIE_NAME, "")
        if not self.secret or not token or len(token) > 128:
            return response
        form = await request.post()
        given = form.get("logout")
        if not isinstance(given, str) or not logout_ok(self.secret, token, given):
            return self.pages.notice(
                403, "Log out from the dashboard", "Use the Log out button on the dashboard."
            )
        who = await self.bot.store.revoke_session(session_hash(self.secret, token), self.now())
        if who is not None:
            await self.gate.audit(who, "dashboard logout", f"from {client_address(request)}")
        return response

    async def export_zip(self, request: web.Request) -> web.StreamResponse:
        """GET /admin/export.zip: the CSV export (token, session, or a single-use link)."""
        if not self.secret:
            return self.pages.notice(503, "Dashboard not configured", OFF)
        who: str
        if LINK_PARAM in request.query or "sig" in request.query or "exp" in request.query:
            admin = await self.gate.use_link(request, EXPORT)
            if isinstance(admin, web.Response):
                return admin
            who = admin
        else:
            viewer = await self.gate.viewer(request)
            if isinstance(viewer, web.Response):
                return viewer
            if viewer is None:
                return self.pages.notice(
                    401,
                    "Log in to download the export",
                    "Send the bot `export` for a download link, or log in with the admin token.",
                    login=True,
                )
            who = viewer.who
        body = await export_archive(self.bot)
        await self.gate.audit(who, "export downloaded", f"from {client_address(request)}")
        stamp = self.now().strftime("%Y%m%d")
        return web.Response(
            body=body,
            content_type="application/zip",
            headers={
                **SECURITY_HEADERS,
                "Content-Disposition": f'attachment; filename="mentorbot-export-{stamp}.zip"',
            },
        )

    async def chart_png(self, request: web.Request) -> web.StreamResponse:
        """GET /admin/chart.png: meeting rate and pulse as an image for chat reports.

        Its link is reusable (chat clients fetch the image again) and is not audited on every
        fetch; a wrong one is not counted against the address either: an HMAC-SHA256 cannot be
        guessed, and an old chart in a chat must not lock out an admin behind the same proxy.
        """
        if not self.secret:
            return self.pages.notice(503, "Dashboard not configured", OFF)
        by_link = chart_link_ok(
            self.secret, request.query.get("exp", ""), request.query.get("sig", ""), self.now()
        )
        if not by_link:
            viewer = await self.gate.viewer(request)
            if isinstance(viewer, web.Response):
                return viewer
            if viewer is None:
                return self.pages.notice(401, "Log in to see the chart", "This link is not valid.")
        insights = await load_insights(self.bot, None)
        rates = [(c.label, c.held / c.due if c.due else None) for c in insights.cycles]
        pulse = [(p.label, p.average) for p in insights.trend]
        return web.Response(
            body=programme_chart(rates, pulse),
            content_type="image/png",
            headers={"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"},
        )

    async def stylesheet(self, request: web.Request) -> web.StreamResponse:
        """GET /admin/dashboard.css (public: it holds nothing but layout)."""
        css = resources.files(TEMPLATES).joinpath("dashboard.css").read_text(encoding="utf-8")
        return web.Response(
            text=css,
            content_type="text/css",
            headers={"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"},
        )
