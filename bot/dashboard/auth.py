"""Who may use the admin web: the admin token, a server-side session, or a link sent in chat.

- The admin token (`MENTORBOT_ADMIN_TOKEN`, at least 32 characters) as a Bearer header or typed
  into the login form.
- A session: the cookie carries a random token; the database keeps only its keyed hash, who
  signed in and when it ends or was revoked (logging out revokes it on every process).
- A dashboard or export link sent by the chat commands: a random token, stored only as a keyed
  hash with its purpose, the admin it was sent to and its expiry; it works once, for 15 minutes
  (storage/sql_admin_web.py marks it used in the same statement that checks it).
- The chart link (reports in chat) is the exception: chat clients fetch the image again whenever
  they show the message, so it is an HMAC over its expiry, reusable for 30 days. It shows only
  the dashboard's k-anonymous aggregates.

Every hash is keyed by the admin token, so rotating the token revokes every cookie and link at
once. Comparisons of secrets are constant-time (`hmac.compare_digest`): a timing difference must
not tell an attacker how much of a guess was right.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlencode

LINK_LIFETIME = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)
COOKIE_NAME = "mentorbot_admin"
LINK_PARAM = "link"  # the query parameter of a dashboard or export link
DASHBOARD = "dashboard"  # a link's purpose: a dashboard link cannot download the export
EXPORT = "export"
DASHBOARD_PATH = "/admin"
EXPORT_PATH = "/admin/export.zip"
CHART = "admin-chart"
CHART_PATH = "/admin/chart.png"
# Chat clients fetch an image whenever they show the message (Teams) or once (Slack): a chart
# link lives long. It shows only the dashboard's k-anonymous aggregates, drawn when fetched.
CHART_LINK_LIFETIME = timedelta(days=30)
_SESSION = "admin-session"
_LOGOUT = "admin-logout"
_LINK_HASH = "admin-link-token"
TOKEN_BYTES = 32  # random bytes in a link or session token: 256 bits, never guessed


def _key(secret: str, purpose: str) -> bytes:
    """A key for one purpose, derived from the admin token."""
    return hmac.new(secret.encode(), f"mentorbot-dashboard:{purpose}".encode(), "sha256").digest()


def _sign(secret: str, purpose: str, message: str) -> str:
    return hmac.new(_key(secret, purpose), message.encode(), hashlib.sha256).hexdigest()


def token_matches(secret: str, given: str) -> bool:
    """True when `given` is the admin token (never true while no token is configured)."""
    return bool(secret) and hmac.compare_digest(given.encode(), secret.encode())


def bearer_ok(secret: str, authorization: str) -> bool:
    """True for an `Authorization: Bearer <admin token>` header."""
    scheme, _, value = authorization.partition(" ")
    return scheme.casefold() == "bearer" and token_matches(secret, value.strip())


def new_token() -> str:
    """A fresh random token for a link or a session cookie (URL-safe text)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def link_hash(secret: str, token: str) -> str:
    """What the database keeps of a link's token (the purpose is stored beside it)."""
    return _sign(secret, _LINK_HASH, token)


def session_hash(secret: str, token: str) -> str:
    """What the database keeps of a session cookie's token."""
    return _sign(secret, _SESSION, token)


def logout_token(secret: str, session_token: str) -> str:
    """The form field that proves a logout was posted by the dashboard page itself.

    Derived from the session's own token, so another site cannot know it: a cross-site post
    without it is refused even in a browser that would send the cookie.
    """
    return _sign(secret, _LOGOUT, session_token)


def logout_ok(secret: str, session_token: str, given: str) -> bool:
    """True when `given` is the logout field of this session."""
    return hmac.compare_digest(logout_token(secret, session_token).encode(), given.encode())


def chart_link(secret: str, base_url: str, now: datetime) -> str:
    """A 30-day link to the meeting-rate and pulse chart (PNG), for reports in chat."""
    expires = int((now + CHART_LINK_LIFETIME).timestamp())
    query = urlencode({"exp": expires, "sig": _sign(secret, CHART, str(expires))})
    return f"{base_url.rstrip('/')}{CHART_PATH}?{query}"


def chart_link_ok(secret: str, expires: str, signature: str, now: datetime) -> bool:
    """True for an unexpired link made by `chart_link` with this secret.

    An expiry further ahead than the link's lifetime is refused too: no honest link has one.
    """
    if not secret or not expires.isdigit():
        return False
    expected = _sign(secret, CHART, expires)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return False
    moment = now.timestamp()
    return moment < int(expires) <= moment + CHART_LINK_LIFETIME.total_seconds() + 60


class LinkStore(Protocol):
    """Where issued links are kept (`storage.sql_admin_web.AdminWeb`)."""

    async def issue_link(
        self, token_hash: str, purpose: str, issued_to: str, *, at: datetime, expires_at: datetime
    ) -> None:
        """Store a new link's hash, purpose, recipient and expiry."""
        ...

    async def purge_admin_web(self, before: datetime) -> None:
        """Forget links and sessions that expired before `before`."""
        ...


class ChatLinks:
    """`conversations.ports.AdminLinks`: what the admin chat commands send, or None when the
    deployment lacks the admin token or its public address."""

    def __init__(self, secret: str, base_url: str, store: LinkStore) -> None:
        self.secret = secret
        self.base_url = base_url
        self.store = store

    async def dashboard(self, now: datetime, admin: str) -> str | None:
        """A single-use 15-minute dashboard link for the admin `admin` (their email)."""
        return await self._issue(DASHBOARD_PATH, DASHBOARD, now, admin)

    async def export(self, now: datetime, admin: str) -> str | None:
        """A single-use 15-minute export download link for the admin `admin`."""
        return await self._issue(EXPORT_PATH, EXPORT, now, admin)

    def chart(self, now: datetime) -> str | None:
        """A link to the programme chart image, for the report in chat."""
        if not (self.secret and self.base_url):
            return None
        return chart_link(self.secret, self.base_url, now)

    async def _issue(self, path: str, purpose: str, now: datetime, admin: str) -> str | None:
        if not (self.secret and self.base_url):
            return None
        # Links are sent rarely: a good moment to drop what expired a day ago.
        await self.store.purge_admin_web(now - timedelta(days=1))
        token = new_token()
        await self.store.issue_link(
            link_hash(self.secret, token),
            purpose,
            admin,
            at=now,
            expires_at=now + LINK_LIFETIME,
        )
        return f"{self.base_url.rstrip('/')}{path}?{urlencode({LINK_PARAM: token})}"
