"""Who may reach the bot through Teams, and where the bot may send its token (docs/teams.md).

These rules, each enforced before anything is stored or any connection is opened:

- **Service URLs.** The bot sends its bearer token to an activity's `serviceUrl` (replies, the
  email look-up) and to the service URL stored for a person (queued messages, new chats).
  botbuilder 4.17 no longer checks that URL, so we do: only Microsoft's Bot Connector hosts by
  default, or the prefixes in `TEAMS_ALLOWED_SERVICE_URLS`; in dev mode without that variable,
  only loopback URLs (the Emulator and test fakes).
- **Tenants.** Only the tenants in `TEAMS_ALLOWED_TENANTS` (default `MICROSOFT_APP_TENANT_ID`) are
  served. With neither set, every tenant is refused, except in dev mode, where any tenant (or
  none: the Emulator sends none) is accepted, since only loopback service URLs are. The same
  rule holds outbound: the sender never writes to a stored identity or reference of a tenant
  that is not served, and creates chats for roster people (whose tenant is not known yet) only
  in the `home` tenant.
- **Personal chats only.** A group chat or channel activity is refused: its tenant is the host
  conversation's, which says nothing about a guest or federated sender in a shared channel.
- **Dev mode listens on loopback only** (`dev_mode_host_problem`, checked by `mentorbot serve`).

Matching is done on the parsed URL: scheme and host must be equal, and the path must start with
the prefix's path on a segment boundary, so `https://smba.trafficmanager.net.evil.example/` or
`https://smba.trafficmanager.net@evil.example/` never match.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from adapters.teams.translate import is_personal

# Microsoft's documented Bot Connector service URLs for Teams (public cloud, whose activities
# carry region paths such as /amer/ or /emea/, then GCC, GCC High and DoD). Whole hosts: the
# paths under them vary by region.
MICROSOFT_SERVICE_URLS = (
    "https://smba.trafficmanager.net/",
    "https://smba.infra.gcc.teams.microsoft.com/",
    "https://smba.infra.gov.teams.microsoft.us/",
    "https://smba.infra.dod.teams.microsoft.us/",
)
LOOPBACK_NAMES = frozenset({"localhost"})


class TrustConfigError(ValueError):
    """A TEAMS_ALLOWED_* variable cannot be used; the message says what to fix."""


def is_loopback_host(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and `localhost` (a bracketed IPv6 literal is accepted too).

    For service URLs in dev mode (the Emulator sends `http://localhost:…`); a listening address
    must be checked with `is_loopback_ip`, which does not trust what a name resolves to.
    """
    name = host.strip().strip("[]").casefold()
    return name in LOOPBACK_NAMES or is_loopback_ip(name)


def is_loopback_ip(host: str) -> bool:
    """True for an IP literal in 127.0.0.0/8 or ::1 (bracketed IPv6 accepted); never a name.

    A name such as `localhost` resolves to whatever /etc/hosts or DNS says, which can be a
    network address: a server bound to it would not be on loopback.
    """
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def is_secure_fetch_url(url: str) -> bool:
    """True for an https URL, or an http one on a loopback IP literal (test fakes).

    Where the bot fetches what it trusts (the OpenID metadata and the signing keys it names):
    over plain http anyone on the network path could hand it their own keys.
    """
    split = _split(url)
    if split is None:
        return False
    scheme, host, _, _ = split
    return scheme == "https" or is_loopback_ip(host)


def dev_mode_host_problem(*, dev_mode: bool, app_id: str, host: str) -> str | None:
    """Why `mentorbot serve` must not start with these settings, or None when it may.

    Dev mode (no app id) serves /api/messages without authentication: on any address but
    loopback, anyone on the network could act as any Teams user. Only loopback IP literals
    count: `localhost` is refused, since it may resolve to a network address.
    """
    if not dev_mode or app_id or is_loopback_ip(host):
        return None
    return (
        "TEAMS_DEV_MODE=1 serves /api/messages without authentication, so HOST must be a "
        f"loopback IP address (127.0.0.1 or ::1, not a name); got {host or '(empty)'}. Set "
        "HOST=127.0.0.1, or configure MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD."
    )


@dataclass(frozen=True)
class _Prefix:
    scheme: str
    host: str  # lower case, no brackets
    port: int | None
    path: str  # always ends with "/"


def _split(url: str) -> tuple[str, str, int | None, str] | None:
    """(scheme, host, port, path) of an absolute http(s) URL, or None when it is not one.

    A URL with user info (`https://smba.trafficmanager.net@evil/`) is never a service URL, nor
    one with non-ASCII characters, whitespace, control characters or backslashes, which other
    URL parsers (the HTTP clients that would connect) may read differently from this one.
    """
    if not url.isascii() or any(c <= " " or c in "\\\x7f" for c in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in ("http", "https") or not host or "@" in parts.netloc:
        return None
    return scheme, host, port, parts.path or "/"


def _default_port(scheme: str, port: int | None) -> int:
    return port if port is not None else (443 if scheme == "https" else 80)


def _parse_prefix(text: str) -> _Prefix:
    split = _split(text)
    if split is None or urlsplit(text.strip()).query or urlsplit(text.strip()).fragment:
        raise TrustConfigError(
            f"TEAMS_ALLOWED_SERVICE_URLS: {text!r} is not an http(s) URL prefix such as "
            "https://smba.trafficmanager.net/"
        )
    scheme, host, port, path = split
    return _Prefix(scheme, host, port, path if path.endswith("/") else path + "/")


@dataclass(frozen=True)
class ServiceUrls:
    """The Bot Connector URLs the bot may talk to (and so send its token to)."""

    prefixes: tuple[_Prefix, ...] = ()
    loopback: bool = False  # dev mode without a list: any loopback URL, http allowed

    @classmethod
    def parse(cls, text: str, *, dev_mode: bool) -> ServiceUrls:
        """From TEAMS_ALLOWED_SERVICE_URLS (comma-separated prefixes); unset means Microsoft's
        hosts, or in dev mode loopback URLs only."""
        items = [item.strip() for item in text.split(",") if item.strip()]
        if not items:
            if dev_mode:
                return cls(loopback=True)
            items = list(MICROSOFT_SERVICE_URLS)
        return cls(tuple(_parse_prefix(item) for item in items))

    def allows(self, url: object) -> bool:
        """True when `url` is a service URL the bot may open a connection to."""
        if not isinstance(url, str):
            return False
        split = _split(url)
        if split is None:
            return False
        scheme, host, port, path = split
        if self.loopback:
            return is_loopback_host(host)
        path = path if path.endswith("/") else path + "/"
        return any(
            scheme == p.scheme
            and host == p.host
            and _default_port(scheme, port) == _default_port(p.scheme, p.port)
            and path.startswith(p.path)
            for p in self.prefixes
        )

    def describe(self) -> str:
        """The list in words, for log lines and errors."""
        if self.loopback:
            return "loopback URLs only (dev mode)"
        return ", ".join(
            f"{p.scheme}://{p.host}{f':{p.port}' if p.port else ''}{p.path}" for p in self.prefixes
        )


@dataclass(frozen=True)
class Tenants:
    """The Azure AD tenants whose users the bot serves."""

    allowed: frozenset[str] = frozenset()
    any_tenant: bool = False  # dev mode with no list: the Emulator sends no tenant at all
    # Where a chat is created with a roster person whose tenant is not known yet: the only
    # allowed tenant, else MICROSOFT_APP_TENANT_ID when it is allowed; '' when neither says.
    home: str = ""

    @classmethod
    def parse(cls, text: str, *, default: str, dev_mode: bool) -> Tenants:
        """From TEAMS_ALLOWED_TENANTS (comma-separated ids), else MICROSOFT_APP_TENANT_ID."""
        items = [item.strip() for item in (text or default).split(",") if item.strip()]
        allowed = frozenset(i.casefold() for i in items)
        app_tenant = default.strip()
        if len(allowed) == 1:
            home = items[0]
        elif app_tenant and app_tenant.casefold() in allowed:
            home = app_tenant
        else:
            home = ""
        return cls(allowed, any_tenant=dev_mode and not items, home=home)

    def allows(self, tenant_id: str) -> bool:
        """True when activities from this tenant ('' when the activity names none) are served."""
        if self.any_tenant:
            return True
        return bool(tenant_id) and tenant_id.casefold() in self.allowed


@dataclass(frozen=True)
class TeamsTrust:
    """The service URL and tenant rules of one deployment."""

    service_urls: ServiceUrls = field(default_factory=lambda: ServiceUrls(loopback=True))
    tenants: Tenants = field(default_factory=lambda: Tenants(any_tenant=True))

    @classmethod
    def from_settings(
        cls,
        *,
        allowed_service_urls: str,
        allowed_tenants: str,
        app_tenant_id: str,
        dev_mode: bool,
    ) -> TeamsTrust:
        """The rules for these settings; TrustConfigError when a list cannot be read.

        Pass `dev_mode` False when an app id is set: dev mode is ignored then (tokens are
        required, and Microsoft's hosts are the default list).
        """
        return cls(
            ServiceUrls.parse(allowed_service_urls, dev_mode=dev_mode),
            Tenants.parse(allowed_tenants, default=app_tenant_id, dev_mode=dev_mode),
        )

    def refusal(self, activity: Mapping[str, Any]) -> tuple[str, str] | None:
        """(reason, detail) when this activity must be refused, else None.

        The reason is a metric label: "service_url", "tenant" or "conversation" (a group chat
        or channel: the bot works in personal chats only).
        """
        service_url = activity.get("serviceUrl")
        if not self.service_urls.allows(service_url):
            return "service_url", "serviceUrl is not an allowed Bot Connector URL"
        tenant, conflicting = tenants_of(activity)
        if conflicting:
            return "tenant", "the activity names two different tenants"
        if not self.tenants.allows(tenant):
            return "tenant", "this bot does not serve your organisation"
        if not is_personal(activity):
            # The tenant check reads the conversation's tenant: in a shared channel hosted by an
            # allowed tenant, a guest of any organisation would pass it. The bot's app is
            # installed for personal chats only and its replies are private, so nothing from a
            # group chat or channel is acted on (no email look-up, no link, no reply).
            return "conversation", "this bot works in personal chats only"
        return None


def tenants_of(activity: Mapping[str, Any]) -> tuple[str, bool]:
    """(tenant id, whether the activity names two different ones).

    Teams puts the tenant in `channelData.tenant.id` (and, in personal chats, in
    `conversation.tenantId`, which botbuilder's model drops); the turn reads the first one
    present, so both must agree for the check to mean anything.
    """
    found = [t for t in _tenant_fields(activity) if t]
    return (found[0] if found else ""), len({t.casefold() for t in found}) > 1


def _tenant_fields(activity: Mapping[str, Any]) -> Iterable[str]:
    channel_data = activity.get("channelData")
    tenant = channel_data.get("tenant") if isinstance(channel_data, Mapping) else None
    value = tenant.get("id") if isinstance(tenant, Mapping) else None
    yield value if isinstance(value, str) else ""
    conversation = activity.get("conversation")
    value = conversation.get("tenantId") if isinstance(conversation, Mapping) else None
    yield value if isinstance(value, str) else ""


@dataclass
class TeamsCounters:
    """What the trust boundary refused, for /metrics (`lines()`)."""

    refused: dict[str, int] = field(
        default_factory=lambda: {
            "service_url": 0,
            "tenant": 0,
            "conversation": 0,
            "outbound_service_url": 0,
            "outbound_tenant": 0,
        }
    )
    signing_keys_unavailable: int = 0
    azure_token_unavailable: int = 0

    def refuse(self, reason: str) -> None:
        """Count one refusal."""
        self.refused[reason] = self.refused.get(reason, 0) + 1

    def lines(self) -> list[str]:
        """The counters in Prometheus text format."""
        lines = [
            "# HELP mentorbot_teams_refused_total Teams activities refused (service_url, tenant, "
            "conversation: not a personal chat) "
            "and sends not made (outbound_service_url, outbound_tenant) at the trust boundary.",
            "# TYPE mentorbot_teams_refused_total counter",
        ]
        lines += [
            f'mentorbot_teams_refused_total{{reason="{reason}"}} {count}'
            for reason, count in sorted(self.refused.items())
        ]
        lines += [
            "# HELP mentorbot_teams_signing_keys_unavailable_total Teams requests answered 401 "
            "because the Bot Framework signing keys could not be fetched.",
            "# TYPE mentorbot_teams_signing_keys_unavailable_total counter",
            f"mentorbot_teams_signing_keys_unavailable_total {self.signing_keys_unavailable}",
            "# HELP mentorbot_teams_azure_token_unavailable_total Teams activities answered 503 "
            "because the bot's Azure AD token could not be fetched in time.",
            "# TYPE mentorbot_teams_azure_token_unavailable_total counter",
            f"mentorbot_teams_azure_token_unavailable_total {self.azure_token_unavailable}",
        ]
        return lines
