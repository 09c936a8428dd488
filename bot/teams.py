"""Wiring for Microsoft Teams: the only module that knows both the Teams adapter and the bot.

`teams_plugin(settings, deps, sessions)` builds the CloudAdapter from the MICROSOFT_APP_*
settings (or the unauthenticated dev mode), the sender the delivery worker uses, and the
`/api/messages` route.
`write_package(app_id, out_path)` backs `mentorbot teams package --app-id ID [--out FILE]`.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.kit.deps import AdapterDeps
from adapters.teams.auth import TeamsConfigError, TeamsCredentials, build_adapter
from adapters.teams.endpoint import MessagesEndpoint
from adapters.teams.keys import KeyStore
from adapters.teams.package import PackageError, Publisher
from adapters.teams.package import write_package as _write_package
from adapters.teams.platform import PLATFORM
from adapters.teams.ports import TeamsSetup
from adapters.teams.sender import TeamsSender
from adapters.teams.trust import TeamsCounters, TeamsTrust, TrustConfigError
from adapters.teams.turn import TeamsTurn
from bot.errors import UserError
from bot.plugin import PlatformPlugin
from bot.settings import ConfigError, Secrets, Settings
from storage.sql_teams_identities import TeamsIdentities

log = logging.getLogger(__name__)

# botbuilder sends through `requests` in the event loop's default thread pool (msrest's
# `run_in_executor(None, …)`), which holds min(32, CPUs + 4) threads: 6 on two cores. Queued
# messages go over our own aiohttp connector, but turn replies and new chats are botbuilder's,
# and Teams allows ~30 requests/s per tenant at a few hundred ms a send: size the pool for that
# rate rather than let it cap throughput (docs/teams.md, "Limits").
SEND_THREADS = 32
DEFAULT_PACKAGE = Path("mentorbot-teams.zip")


def credentials_from(secrets: Secrets) -> TeamsCredentials:
    """The Teams credentials of this deployment (environment only, docs/teams.md)."""
    return TeamsCredentials(
        app_id=secrets.microsoft_app_id,
        app_password=secrets.microsoft_app_password,
        app_type=secrets.microsoft_app_type,
        tenant_id=secrets.microsoft_app_tenant_id,
        dev_mode=secrets.teams_dev_mode,
    )


def trust_from(secrets: Secrets) -> TeamsTrust:
    """The deployment's service URL and tenant rules (TEAMS_ALLOWED_*), said at start.

    Dev mode counts only without an app id: with one, tokens are required and Microsoft's
    Bot Connector hosts are the default list.
    """
    dev_mode = secrets.teams_dev_mode and not secrets.microsoft_app_id
    try:
        trust = TeamsTrust.from_settings(
            allowed_service_urls=secrets.teams_allowed_service_urls,
            allowed_tenants=secrets.teams_allowed_tenants,
            app_tenant_id=secrets.microsoft_app_tenant_id,
            dev_mode=dev_mode,
        )
    except TrustConfigError as error:
        raise ConfigError(str(error)) from None
    if trust.tenants.any_tenant:
        log.info("Teams: dev mode without TEAMS_ALLOWED_TENANTS: any tenant is served")
    elif not trust.tenants.allowed:
        log.warning(
            "Teams: neither TEAMS_ALLOWED_TENANTS nor MICROSOFT_APP_TENANT_ID is set, so every "
            "tenant is refused. Set TEAMS_ALLOWED_TENANTS to your tenant id(s)."
        )
    else:
        log.info("Teams: serving tenant(s) %s", ", ".join(sorted(trust.tenants.allowed)))
    log.info("Teams: service URLs allowed: %s", trust.service_urls.describe())
    return trust


def teams_plugin(
    settings: Settings, deps: AdapterDeps, sessions: async_sessionmaker[AsyncSession]
) -> PlatformPlugin:
    """The Teams platform: sender, `POST /api/messages`, and the send thread pool.

    `sessions` is the composition root's one session factory (`Mentorbot.sessions`): the
    Teams identity look-ups share it with the store.
    """
    credentials = credentials_from(settings.secrets)
    try:
        adapter, authentication = build_adapter(credentials)
    except TeamsConfigError as error:
        raise ConfigError(str(error)) from None
    trust = trust_from(settings.secrets)
    counters = TeamsCounters()
    if credentials.authenticated:
        # Signing keys over aiohttp with a timeout, never botbuilder's blocking fetch.
        KeyStore(override=settings.secrets.teams_openid_metadata_url).install()
    setup = TeamsSetup(
        directory=TeamsIdentities(sessions),
        app_id=credentials.app_id,
        service_urls=trust.service_urls,
        tenants=trust.tenants,
        counters=counters,
    )
    sender = TeamsSender(adapter, deps, setup)
    endpoint = MessagesEndpoint(
        adapter,
        authentication,
        TeamsTurn(deps, setup),
        require_token=credentials.authenticated,
        trust=trust,
        counters=counters,
    )
    executor = ThreadPoolExecutor(max_workers=SEND_THREADS, thread_name_prefix="teams-send")

    async def start() -> None:
        asyncio.get_running_loop().set_default_executor(executor)

    async def stop() -> None:
        await sender.close()
        executor.shutdown(wait=False, cancel_futures=True)

    return PlatformPlugin(
        name=PLATFORM,
        sender=sender,
        routes=[("POST", "/api/messages", endpoint.handle)],
        start=start,
        stop=stop,
        metrics=counters.lines,
        extra={"adapter": adapter},
    )


def write_package(
    app_id: str, out_path: Path | None = None, *, publisher: Publisher | None = None
) -> Path:
    """Write the Teams app package for `app_id` (default ./mentorbot-teams.zip).

    Raises UserError with what to fix (a bad app id, an unwritable path).
    """
    try:
        return _write_package(app_id, out_path or DEFAULT_PACKAGE, publisher or Publisher())
    except PackageError as error:
        raise UserError(str(error)) from None
    except OSError as error:
        raise UserError(f"{out_path}: cannot write the package ({error.strerror})") from None
