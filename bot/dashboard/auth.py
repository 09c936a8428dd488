"""Who may see the dashboard: the admin token, a signed session cookie, or a signed link.

Everything is derived from `MENTORBOT_ADMIN_TOKEN`, so rotating the token revokes every cookie
and link at once. The cookie and the link carry an HMAC, never the token itself, and each use
has its own derived key, so a link's signature can never pass as a session cookie. Every
comparison is constant-time (`hmac.compare_digest`): a timing difference must not tell an
attacker how much of a guess was right.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlencode

LINK_LIFETIME = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)
COOKIE_NAME = "mentorbot_admin"
_LINK = "admin-link"
_EXPORT = "admin-export"
_CHART = "admin-chart"
CHART = _CHART
CHART_PATH = "/admin/chart.png"
# Chat clients fetch an image whenever they show the message (Teams) or once (Slack): a chart
# link lives long. It shows only the dashboard's k-anonymous aggregates, drawn when fetched.
CHART_LINK_LIFETIME = timedelta(days=30)
EXPORT = _EXPORT  # the purpose to check an export link with
EXPORT_PATH = "/admin/export.zip"
_SESSION = "admin-session"


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


def dashboard_link(secret: str, base_url: str, now: datetime) -> str:
    """A link to the dashboard that works for 15 minutes from `now`, for the `dashboard` DM.

    `base_url` is where admins reach the server, e.g. `https://mentorbot.example.com`.
    """
    return _link(secret, base_url, "/admin", _LINK, now)


def export_link(secret: str, base_url: str, now: datetime) -> str:
    """A 15-minute link that downloads the CSV export as a zip, for the `export` DM."""
    return _link(secret, base_url, EXPORT_PATH, _EXPORT, now)


def chart_link(secret: str, base_url: str, now: datetime) -> str:
    """A 30-day link to the meeting-rate and pulse chart (PNG), for reports in chat."""
    return _link(secret, base_url, CHART_PATH, _CHART, now, CHART_LINK_LIFETIME)


def _link(
    secret: str,
    base_url: str,
    path: str,
    purpose: str,
    now: datetime,
    lifetime: timedelta = LINK_LIFETIME,
) -> str:
    expires = int((now + lifetime).timestamp())
    query = urlencode({"exp": expires, "sig": _sign(secret, purpose, str(expires))})
    return f"{base_url.rstrip('/')}{path}?{query}"


def link_ok(
    secret: str,
    expires: str,
    signature: str,
    now: datetime,
    *,
    purpose: str = _LINK,
    lifetime: timedelta = LINK_LIFETIME,
) -> bool:
    """True for an unexpired link made by `dashboard_link` (or, with `purpose=EXPORT`,
    `export_link`) with this secret: a dashboard link cannot download the export.

    An expiry further ahead than a link's lifetime is refused too: no honest link has one.
    """
    if not secret or not expires.isdigit():
        return False
    expected = _sign(secret, purpose, expires)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return False
    moment = now.timestamp()
    return moment < int(expires) <= moment + lifetime.total_seconds() + 60


def new_session(secret: str, now: datetime) -> str:
    """A session cookie value: expiry, a random nonce and their HMAC (no token inside)."""
    expires = int((now + SESSION_LIFETIME).timestamp())
    body = f"{expires}.{secrets.token_urlsafe(16)}"
    return f"{body}.{_sign(secret, _SESSION, body)}"


def session_ok(secret: str, value: str, now: datetime) -> bool:
    """True for an unexpired cookie value made by `new_session` with this secret."""
    body, _, signature = value.rpartition(".")
    expires, _, _nonce = body.partition(".")
    if not secret or not expires.isdigit() or not signature:
        return False
    if not hmac.compare_digest(_sign(secret, _SESSION, body).encode(), signature.encode()):
        return False
    return now.timestamp() < int(expires)


class SignedLinks:
    """`conversations.ports.AdminLinks`: what the admin chat commands send, or None when the
    deployment lacks the admin token or its public address."""

    def __init__(self, secret: str, base_url: str) -> None:
        self.secret = secret
        self.base_url = base_url

    def dashboard(self, now: datetime) -> str | None:
        """A 15-minute dashboard link."""
        if not (self.secret and self.base_url):
            return None
        return dashboard_link(self.secret, self.base_url, now)

    def export(self, now: datetime) -> str | None:
        """A 15-minute export download link."""
        if not (self.secret and self.base_url):
            return None
        return export_link(self.secret, self.base_url, now)

    def chart(self, now: datetime) -> str | None:
        """A link to the programme chart image, for the report in chat."""
        if not (self.secret and self.base_url):
            return None
        return chart_link(self.secret, self.base_url, now)
