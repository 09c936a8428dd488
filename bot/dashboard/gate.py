"""Who may see the dashboard (docs/dashboard.md): `Authorization: Bearer
<MENTORBOT_ADMIN_TOKEN>`, the session cookie set by the login form or by a dashboard link, or a
single-use link. Failed attempts are throttled per address, a right credential never is
(bot/dashboard/throttle.py says why); logins, links used and refusals go to the audit log,
refusals within a global cap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from aiohttp import web

from bot.dashboard.auth import (
    COOKIE_NAME,
    LINK_PARAM,
    SESSION_LIFETIME,
    bearer_ok,
    link_hash,
    new_token,
    session_hash,
)
from bot.dashboard.responses import Pages, see_other
from bot.dashboard.throttle import FAILURE_LIMIT, WINDOW, LoginThrottle, RefusalLog

if TYPE_CHECKING:
    from bot.app import Mentorbot

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


class Gate:
    """The dashboard's door for one bot: who a request comes from, sign-ins, single-use
    links, and the refusals (throttled, audited, counted)."""

    def __init__(self, bot: Mentorbot, pages: Pages) -> None:
        self.bot = bot
        self.pages = pages
        self.throttle = LoginThrottle(bot.clock)
        self.refusals = RefusalLog(bot.clock)

    @property
    def secret(self) -> str:
        """The admin token every credential is checked against (empty: the dashboard is off)."""
        return self.bot.settings.secrets.admin_token

    def now(self) -> datetime:
        """The bot's clock."""
        return self.bot.clock.now()

    async def audit(self, who: str, action: str, detail: str) -> None:
        """One audit log entry (never with a token or link in it)."""
        await self.bot.store.record(who, action, detail, at=self.now())

    def throttled(self, request: web.Request) -> web.Response | None:
        """429 with Retry-After when this address failed too often in the last minute."""
        wait = self.throttle.retry_after(client_address(request))
        if wait is None:
            return None
        response = self.pages.notice(
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
        client = client_address(request)
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
        response = see_other("/admin")
        response.set_cookie(
            COOKIE_NAME,
            token,
            max_age=int(SESSION_LIFETIME.total_seconds()),
            path="/admin",
            httponly=True,
            samesite="Strict",
            secure=is_https(request),
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
            return self.pages.notice(
                401,
                "This link has expired or was used already",
                USED.format(command=purpose),
                login=True,
            )
        await self.audit(admin, "link used", f"{purpose} link, from {client_address(request)}")
        return admin


def client_address(request: web.Request) -> str:
    """The connection's address (what the throttle counts by and the audit log names)."""
    return request.remote or "unknown"


def is_https(request: web.Request) -> bool:
    """True when the browser used HTTPS, also behind a TLS-terminating proxy."""
    return request.secure or request.headers.get("X-Forwarded-Proto", "").casefold() == "https"
