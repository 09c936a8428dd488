"""The dashboard's HTTP handlers: they check access, load the figures and render a template.

Access (DESIGN §6, issue 7): `Authorization: Bearer <MENTORBOT_ADMIN_TOKEN>`, the session
cookie set by the login form, or a signed 15-minute link; anything else gets 401. Without a
token configured the dashboard is off (503, saying which variable to set).
"""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from typing import TYPE_CHECKING, Any

import jinja2
from aiohttp import web

from bot.dashboard.auth import (
    CHART,
    CHART_LINK_LIFETIME,
    COOKIE_NAME,
    EXPORT,
    SESSION_LIFETIME,
    bearer_ok,
    link_ok,
    new_session,
    session_ok,
    token_matches,
)
from bot.dashboard.data import load_insights
from bot.dashboard.page import page_context
from bot.dashboard.png import programme_chart
from bot.export import export_archive
from conversations.insights import Period

if TYPE_CHECKING:
    from bot.app import Mentorbot

TEMPLATES = "bot.dashboard.templates"
# The page needs nothing but its own stylesheet: no script may run, whatever a name contains.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # A signed link carries its signature in the URL: never pass it on to another site.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
OFF = (
    "The dashboard is off because no admin token is set. Set MENTORBOT_ADMIN_TOKEN in the "
    "server's environment (a long random value) and restart `mentorbot serve`."
)


def template_environment() -> jinja2.Environment:
    """Jinja2 over the packaged templates, escaping everything it renders."""

    def load(name: str) -> str:
        return resources.files(TEMPLATES).joinpath(name).read_text(encoding="utf-8")

    return jinja2.Environment(
        loader=jinja2.FunctionLoader(load),
        autoescape=True,  # every template, whatever its extension
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class Dashboard:
    """The /admin routes of one bot."""

    def __init__(self, bot: Mentorbot) -> None:
        self.bot = bot
        self.templates = template_environment()

    @property
    def secret(self) -> str:
        return self.bot.settings.secrets.admin_token

    def now(self) -> datetime:
        return self.bot.clock.now()

    def render(self, name: str, status: int = 200, **context: Any) -> web.Response:
        """A page from the templates, with the security headers."""
        context.setdefault("programme", self.bot.settings.config.programme.name)
        html = self.templates.get_template(name).render(**context)
        return web.Response(
            text=html, status=status, content_type="text/html", headers=SECURITY_HEADERS
        )

    def notice(
        self, status: int, heading: str, message: str, *, login: bool = False
    ) -> web.Response:
        response = self.render("notice.html", status, heading=heading, message=message, login=login)
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="mentorbot admin"'
        return response

    def allowed(self, request: web.Request) -> bool:
        """Bearer token or a valid session cookie."""
        if bearer_ok(self.secret, request.headers.get("Authorization", "")):
            return True
        return session_ok(self.secret, request.cookies.get(COOKIE_NAME, ""), self.now())

    def signed_in(self, request: web.Request, response: web.StreamResponse) -> None:
        """Set the session cookie: HttpOnly (no script reads it), SameSite=Strict (no CSRF)."""
        response.set_cookie(
            COOKIE_NAME,
            new_session(self.secret, self.now()),
            max_age=int(SESSION_LIFETIME.total_seconds()),
            path="/admin",
            httponly=True,
            samesite="Strict",
            secure=_https(request),
        )

    async def page(self, request: web.Request) -> web.StreamResponse:
        """GET /admin: the dashboard, or a signed link's landing (cookie, then redirect)."""
        if not self.secret:
            return self.notice(503, "Dashboard not configured", OFF)
        if "sig" in request.query or "exp" in request.query:
            if not link_ok(
                self.secret, request.query.get("exp", ""), request.query.get("sig", ""), self.now()
            ):
                return self.notice(
                    401,
                    "This link has expired",
                    "Dashboard links work for 15 minutes. Send the bot `dashboard` for a new "
                    "one, or log in with the admin token.",
                    login=True,
                )
            # Swap the link for a cookie and drop the signature from the address bar.
            response = _see_other("/admin")
            self.signed_in(request, response)
            return response
        if not self.allowed(request):
            return self.notice(
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
        return self.render("dashboard.html", as_of=as_of, **page_context(insights))

    async def login_form(self, request: web.Request) -> web.StreamResponse:
        """GET /admin/login: the token form (public)."""
        if not self.secret:
            return self.notice(503, "Dashboard not configured", OFF)
        return self.render("login.html", error="")

    async def login(self, request: web.Request) -> web.StreamResponse:
        """POST /admin/login: a right token sets the session cookie; a wrong one is a 401."""
        if not self.secret:
            return self.notice(503, "Dashboard not configured", OFF)
        form = await request.post()
        token = form.get("token")
        if not isinstance(token, str) or not token_matches(self.secret, token.strip()):
            return self.render("login.html", 401, error="That is not the admin token.")
        response = _see_other("/admin")
        self.signed_in(request, response)
        return response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        """GET /admin/logout: forget the cookie in this browser."""
        response = _see_other("/admin/login")
        response.del_cookie(COOKIE_NAME, path="/admin")
        return response

    async def export_zip(self, request: web.Request) -> web.StreamResponse:
        """GET /admin/export.zip: the CSV export (token, cookie, or a signed export link)."""
        if not self.secret:
            return self.notice(503, "Dashboard not configured", OFF)
        by_link = link_ok(
            self.secret,
            request.query.get("exp", ""),
            request.query.get("sig", ""),
            self.now(),
            purpose=EXPORT,
        )
        if not by_link and not self.allowed(request):
            return self.notice(
                401,
                "This link has expired",
                "Export links work for 15 minutes. Send the bot `export` for a new one.",
                login=True,
            )
        body = await export_archive(self.bot)
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
        """GET /admin/chart.png: meeting rate and pulse as an image for chat reports."""
        if not self.secret:
            return self.notice(503, "Dashboard not configured", OFF)
        by_link = link_ok(
            self.secret,
            request.query.get("exp", ""),
            request.query.get("sig", ""),
            self.now(),
            purpose=CHART,
            lifetime=CHART_LINK_LIFETIME,
        )
        if not by_link and not self.allowed(request):
            return self.notice(401, "Log in to see the chart", "This link is not valid.")
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


def _see_other(location: str) -> web.Response:
    """A 303 to `location` (after a form post or a link, the browser then GETs the page)."""
    return web.Response(status=303, headers={"Location": location, **SECURITY_HEADERS})


def _https(request: web.Request) -> bool:
    """True when the browser used HTTPS, also behind a TLS-terminating proxy."""
    return request.secure or request.headers.get("X-Forwarded-Proto", "").casefold() == "https"
