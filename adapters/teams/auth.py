"""Bot Framework authentication: CloudAdapter + ConfigurationBotFrameworkAuthentication.

With an app id every request must carry a valid Bot Framework token (botbuilder validates it
against the Bot Framework's published keys). Without one, botbuilder treats authentication as
disabled — the Bot Framework Emulator's mode — which we allow only with TEAMS_DEV_MODE=1.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
    ConfigurationServiceClientCredentialFactory,
)
from msrest.universal_http.requests import ClientRetryPolicy

from adapters.teams.tokens import AppTokens

log = logging.getLogger(__name__)

APP_TYPES = {"multitenant": "MultiTenant", "singletenant": "SingleTenant"}
DEV_MODE_WARNING = (
    "TEAMS_DEV_MODE=1: /api/messages accepts UNAUTHENTICATED requests (Bot Framework Emulator "
    "mode). Anyone who can reach this server can act as any Teams user. Never use this in "
    "production: set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD instead."
)


class TeamsConfigError(ValueError):
    """The Microsoft app settings are incomplete; the message says which variable to set."""


@dataclass(frozen=True)
class TeamsCredentials:
    """The Azure Bot registration, from MICROSOFT_APP_* (docs/teams.md, "Configure Mentorbot")."""

    app_id: str = ""
    app_password: str = ""
    app_type: str = ""  # MultiTenant (default) or SingleTenant
    tenant_id: str = ""  # required for SingleTenant
    dev_mode: bool = False

    @property
    def authenticated(self) -> bool:
        """True when inbound requests must carry a valid token."""
        return bool(self.app_id)

    def check(self) -> None:
        """Raise TeamsConfigError when the settings cannot work."""
        app_type = (self.app_type or "MultiTenant").casefold()
        if app_type not in APP_TYPES:
            raise TeamsConfigError(
                f"MICROSOFT_APP_TYPE: must be MultiTenant or SingleTenant, got {self.app_type!r} "
                "(managed identities are not supported)"
            )
        if self.app_id and not self.app_password:
            raise TeamsConfigError("MICROSOFT_APP_PASSWORD: required with MICROSOFT_APP_ID")
        if app_type == "singletenant" and not self.tenant_id:
            raise TeamsConfigError("MICROSOFT_APP_TENANT_ID: required for a SingleTenant app")
        if not self.app_id and not self.dev_mode:
            raise TeamsConfigError("MICROSOFT_APP_ID: required unless TEAMS_DEV_MODE=1")


class _Configuration:
    """The attribute bag botbuilder's configuration classes read (`APP_ID`, …)."""

    def __init__(self, credentials: TeamsCredentials) -> None:
        self.APP_ID = credentials.app_id or None
        self.APP_PASSWORD = credentials.app_password or None
        self.APP_TYPE = APP_TYPES[(credentials.app_type or "MultiTenant").casefold()]
        self.APP_TENANTID = credentials.tenant_id or None


def _speed_up_retry_policy() -> None:
    """botbuilder builds a connector client, and so an msrest retry policy, for every send;
    the policy's constructor tests 999 codes against a 502-item *list* (about 3 ms a send,
    measured in benchmarks/fanout.py). The same values as a frozenset: same policy, O(1)."""
    codes = ClientRetryPolicy.safe_codes
    if not isinstance(codes, frozenset):
        ClientRetryPolicy.safe_codes = frozenset(codes)


def build_adapter(
    credentials: TeamsCredentials,
) -> tuple[CloudAdapter, ConfigurationBotFrameworkAuthentication]:
    """The adapter and its authentication for these credentials (checked first)."""
    credentials.check()
    _speed_up_retry_policy()
    if credentials.dev_mode and credentials.app_id:
        log.warning("TEAMS_DEV_MODE is ignored: MICROSOFT_APP_ID is set, so tokens are required")
    elif credentials.dev_mode:
        log.warning(DEV_MODE_WARNING)
    configuration = _Configuration(credentials)
    # Our factory in front of botbuilder's: the same credentials, but their Azure AD token is
    # fetched off the event loop with a timeout and shared by every turn (adapters.teams.tokens).
    authentication = ConfigurationBotFrameworkAuthentication(
        configuration,
        credentials_factory=AppTokens(ConfigurationServiceClientCredentialFactory(configuration)),
    )
    return CloudAdapter(authentication), authentication


def looks_like_bearer_token(header: str) -> bool:
    """True for `Bearer <header>.<payload>.<signature>`: worth handing to botbuilder.

    Anything else is refused before botbuilder sees it: its validator raises a plain exception
    on a malformed token (a 500), and checking the shape first costs nothing.
    """
    scheme, _, token = header.partition(" ")
    parts = token.strip().split(".")
    return scheme == "Bearer" and len(parts) == 3 and all(parts)


def credentials_source(adapter: CloudAdapter, app_id: str) -> Callable[[str], Awaitable[Any]]:
    """How our own Bot Connector requests get botbuilder's app credentials for a service URL:
    the ones its connector factory would give its own client (token scope, login endpoint and
    tenant as configured), so authentication stays entirely botbuilder's."""

    async def credentials_for(service_url: str) -> Any:
        factory = adapter.bot_framework_authentication.create_connector_factory(
            adapter.create_claims_identity(app_id)
        )
        client = await factory.create(service_url, None)
        return client.config.credentials

    return credentials_for
