"""The dashboard's HTTP handlers: they check access, load the figures and render a template.

Access (docs/dashboard.md): `Authorization: Bearer <MENTORBOT_ADMIN_TOKEN>`, the session
cookie set by the login form or by a dashboard link, or a single-use link; anything else gets
401. Without a token configured the dashboard is off (503, saying which variable to set).
Failed attempts (a wrong token in the form or a Bearer header, an unknown or spent link) are
throttled per address, a right credential never is (bot/dashboard/throttle.py says why);
logins, links used, exports downloaded and refusals go to the audit log, refusals within a
global cap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from typing import TYPE_CHECKING, Any

import jinja2
from aiohttp import web

from bot.dashboard.auth import (
    COOKIE_NAME,
    DASHBOARD,
    EXPORT,
    LINK_PARAM,
    SESSION_LIFETIME,
    bearer_ok,
    chart_link_ok,
    link_hash,
    logout_ok,
    logout_token,
    new_token,
    session_hash,
    token_matches,
)
from bot.dashboard.data import load_insights
from bot.dashboard.page import page_context
from bot.dashboard.png import programme_chart
from bot.dashboard.throttle import FAILURE_LIMIT, WINDOW, LoginThrottle, RefusalLog
from bot.export import export_archive
from conversations.insights.summary import Period

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
    # A link carries its token in the URL: never pass it on to another site.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
OFF = (
    "The dashboard is off because no admin token is set. Set MENTORBOT_ADMIN_TOKEN in the "
    "server's environment (at least 32 random characters, e.g. `openssl rand -hex 32`) and "
    "restart `mentorbot serve`."
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


BEARER = "admin token (bearer)"
LOGIN_FORM = "admin token (login form)"
USED = (
    "Links from the bot work once, for 15 minutes. Send the bot `{command}` for a new one, or "
    "log in with the admin token."
)


@dataclass(frozen=True)
class Viewer:
    """Who is looking: an admin's email or how the token was given, and the session's cookie
    token when they came with one (it can be logged out)."""

    who: str
    session_token: str | None = None


class Dashboard:
    """The /admin routes of one bot."""

    def __init__(self, bot: Mentorbot) -> None:
        self.bot = bot
        self.templates = template_environment()
        self.throttle = LoginThrottle(bot.clock)
        self.refusals = RefusalLog(bot.clock)

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

    async def audit(self, who: str, action: str, detail: str) -> None:
        """One audit log entry (never with a token or link in it)."""
        await self.bot.store.record(who, action, detail, at=self.now())

    def throttled(self, request: web.Request) -> web.Response | None:
        """429 with Retry-After when this address failed too often in the last minute."""
        wait = self.throttle.retry_after(_client(request))
        if wait is None:
            return None
        response = self.notice(
            429,
            "Too many attempts",
            f"Too many failed attempts from your address. Try again in {wait} seconds.",
        )
        response.headers["Retry-After"] = str(wait)
        return response

    async def refused(self, request: web.Request, action: str, detail: str) -> web.Response | None:
        """A failed attempt (the credential was checked first, and was wrong).

        From an address that failed too often in the last minute: the 429 to answer, nothing
        written. Otherwise the failure counts against the address and goes to the audit log
        (within the global cap of `RefusalLog`), and None: the caller answers 401. Every
        refusal counts in /metrics.
        """
        if (wait := self.throttled(request)) is not None:
            self.refusals.admit()
            await self.write_refusal_summary()
            return wait
        client = _client(request)
        tripped = self.throttle.failed(client)
        await self.write_refusal_summary()
        if self.refusals.admit():
            await self.audit("unknown", action, f"{detail}, from {client}")
        if tripped and self.refusals.may_write():
            await self.audit(
                "unknown",
                "login throttled",
                f"{FAILURE_LIMIT} failures in {int(WINDOW.total_seconds())} s from {client}",
            )
        return None

    async def write_refusal_summary(self) -> None:
        """The one row standing for the refusals of a past minute that were not written."""
        if skipped := self.refusals.due_summary():
            await self.audit("unknown", "refusals not logged", f"{skipped} more refusals")

    def metrics(self) -> list[str]:
        """/metrics lines (Prometheus text format): refused attempts, written or not."""
        return [
            "# HELP mentorbot_admin_refusals_total Refused admin web attempts (401 and 429).",
            "# TYPE mentorbot_admin_refusals_total counter",
            f"mentorbot_admin_refusals_total {self.refusals.total}",
            "# HELP mentorbot_admin_refusals_unlogged_total Refusals beyond the audit log's cap.",
            "# TYPE mentorbot_admin_refusals_unlogged_total counter",
            f"mentorbot_admin_refusals_unlogged_total {self.refusals.unlogged}",
        ]

    async def viewer(self, request: web.Request) -> Viewer | web.Response | None:
        """Who the request comes from: a Bearer token or a live session; a 429 response when
        a wrong Bearer header comes from a throttled address; None for nobody."""
        authorization = request.headers.get("Authorization")
        if authorization is not None:
            if bearer_ok(self.secret, authorization):
                return Viewer(BEARER)
            return await self.refused(request, "login refused", "wrong Authorization header")
        token = request.cookies.get(COOKIE_NAME, "")
        if not token or len(token) > 128:
            return None
        who = await self.bot.store.session_of(session_hash(self.secret, token), self.now())
        return Viewer(who, token) if who is not None else None

    async def signed_in(self, request: web.Request, who: str) -> web.Response:
        """A 303 to the dashboard that sets a new session's cookie: HttpOnly (no script reads
        it), SameSite=Strict (another site's request does not carry it)."""
        token = new_token()
        now = self.now()
        # Sign-ins are rare: a good moment to drop what expired a day ago.
        await self.bot.store.purge_admin_web(now - timedelta(days=1))
        await self.bot.store.start_session(
            session_hash(self.secret, token), who, at=now, expires_at=now + SESSION_LIFETIME
        )
        response = _see_other("/admin")
        response.set_cookie(
            COOKIE_NAME,
            token,
            max_age=int(SESSION_LIFETIME.total_seconds()),
            path="/admin",
            httponly=True,
            samesite="Strict",
            secure=_https(request),
        )
        return response

    async def use_link(self, request: web.Request, purpose: str) -> str | web.Response:
        """Spend the request's single-use link for `purpose`: the admin it was sent to, or
        the response refusing it (401, or 429 for a throttled address). A valid unused link
        gets in from any address."""
        token = request.query.get(LINK_PARAM, "")
        admin = None
        if 0 < len(token) <= 128:
            admin = await self.bot.store.use_link(
                link_hash(self.secret, token), purpose, self.now()
            )
        if admin is None:
            detail = f"{purpose} link unknown, used or expired"
            if (wait := await self.refused(request, "link refused", detail)) is not None:
                return wait
            return self.notice(
                401,
                "This link has expired or was used already",
                USED.format(command=purpose),
                login=True,
            )
        await self.audit(admin, "link used", f"{purpose} link, from {_client(request)}")
        return admin

    async def page(self, request: web.Request) -> web.StreamResponse:
        """GET /admin: the dashboard, or a link's landing (session cookie, then redirect)."""
        if not self.secret:
            return self.notice(503, "Dashboard not configured", OFF)
        # `sig`/`exp`: links from before links became single-use; refused like a used one.
        if LINK_PARAM in request.query or "sig" in request.query or "exp" in request.query:
            admin = await self.use_link(request, DASHBOARD)
            if isinstance(admin, web.Response):
                return admin
            await self.audit(admin, "dashboard login", f"via link issued to {admin}")
            # Swap the link for a cookie and drop the token from the address bar.
            return await self.signed_in(request, admin)
        viewer = await self.viewer(request)
        if isinstance(viewer, web.Response):
            return viewer
        if viewer is None:
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
        # Only a browser session can log out; a Bearer script has nothing to end.
        logout = logout_token(self.secret, viewer.session_token) if viewer.session_token else ""
        return self.render("dashboard.html", as_of=as_of, logout=logout, **page_context(insights))

    async def login_form(self, request: web.Request) -> web.StreamResponse:
        """GET /admin/login: the token form (public)."""
        if not self.secret:
            return self.notice(503, "Dashboard not configured", OFF)
        return self.render("login.html", error="")

    async def login(self, request: web.Request) -> web.StreamResponse:
        """POST /admin/login: a right token starts a session, from any address; a wrong one
        is a 401, and after a handful of wrong ones in a minute the address's next wrong ones
        get 429."""
        if not self.secret:
            return self.notice(503, "Dashboard not configured", OFF)
        form = await request.post()
        token = form.get("token")
        if not isinstance(token, str) or not token_matches(self.secret, token.strip()):
            detail = "wrong admin token (login form)"
            if (wait := await self.refused(request, "login refused", detail)) is not None:
                return wait
            return self.render("login.html", 401, error="That is not the admin token.")
        await self.audit(LOGIN_FORM, "dashboard login", f"from {_client(request)}")
        return await self.signed_in(request, LOGIN_FORM)

    async def logout(self, request: web.Request) -> web.StreamResponse:
        """POST /admin/logout: revoke the session in the database (the cookie stops working
        everywhere), then forget the cookie in this browser.

        The form carries a field derived from the session (`logout_token`); a post without
        it came from somewhere else and is refused (403).
        """
        response = _see_other("/admin/login")
        response.del_cookie(COOKIE_NAME, path="/admin")
        token = request.cookies.get(COOKIE_NAME, "")
        if not self.secret or not token or len(token) > 128:
            return response
        form = await request.post()
        given = form.get("logout")
        if not isinstance(given, str) or not logout_ok(self.secret, token, given):
            return self.notice(
                403, "Log out from the dashboard", "Use the Log out button on the dashboard."
            )
        who = await self.bot.store.revoke_session(session_hash(self.secret, token), self.now())
        if who is not None:
            await self.audit(who, "dashboard logout", f"from {_client(request)}")
        return response

    async def export_zip(self, request: web.Request) -> web.StreamResponse:
        """GET /admin/export.zip: the CSV export (token, session, or a single-use link)."""
        if not self.secret:
            return self.notice(503, "Dashboard not configured", OFF)
        who: str
        if LINK_PARAM in request.query or "sig" in request.query or "exp" in request.query:
            admin = await self.use_link(request, EXPORT)
            if isinstance(admin, web.Response):
                return admin
            who = admin
        else:
            viewer = await self.viewer(request)
            if isinstance(viewer, web.Response):
                return viewer
            if viewer is None:
                return self.notice(
                    401,
                    "Log in to download the export",
                    "Send the bot `export` for a download link, or log in with the admin token.",
                    login=True,
                )
            who = viewer.who
        body = await export_archive(self.bot)
        await self.audit(who, "export downloaded", f"from {_client(request)}")
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
            return self.notice(503, "Dashboard not configured", OFF)
        by_link = chart_link_ok(
            self.secret, request.query.get("exp", ""), request.query.get("sig", ""), self.now()
        )
        if not by_link:
            viewer = await self.viewer(request)
            if isinstance(viewer, web.Response):
                return viewer
            if viewer is None:
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


def _client(request: web.Request) -> str:
    """The connection's address (what the throttle counts by and the audit log names)."""
    return request.remote or "unknown"


def _see_other(location: str) -> web.Response:
    """A 303 to `location` (after a form post or a link, the browser then GETs the page)."""
    return web.Response(status=303, headers={"Location": location, **SECURITY_HEADERS})


def _https(request: web.Request) -> bool:
    """True when the browser used HTTPS, also behind a TLS-terminating proxy."""
    return request.secure or request.headers.get("X-Forwarded-Proto", "").casefold() == "https"
