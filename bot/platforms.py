"""Which chat platforms this deployment talks to, and how each plugs into the server.

Each platform's wiring lives in its own `bot/<platform>.py` (the only place that knows both the
adapter and the rest of the bot) and returns a `PlatformPlugin`: the sender the delivery worker
uses, the HTTP routes `serve` mounts, and optional start/stop hooks (Slack Socket Mode).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web

from adapters.console.inbox import Delivered, InboxSender
from adapters.console.sender import PLATFORM as CONSOLE
from conversations.ports import Sender

if TYPE_CHECKING:
    from bot.app import Mentorbot
    from bot.settings import Secrets

Route = tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]]


@dataclass
class PlatformPlugin:
    """One configured platform: how it sends, and what it adds to `mentorbot serve`."""

    name: str
    sender: Sender
    routes: Sequence[Route] = ()  # (method, path, handler)
    start: Callable[[], Awaitable[None]] | None = None  # e.g. connect Socket Mode
    stop: Callable[[], Awaitable[None]] | None = None
    # Housekeeping run at every tick before delivery (e.g. finding roster people on Slack).
    tick: Callable[[], Awaitable[None]] | None = None
    # Extra /metrics lines (Prometheus text format), read at each scrape.
    metrics: Callable[[], Sequence[str]] | None = None
    extra: dict[str, object] = field(default_factory=dict)


def console_is_the_platform(bot: Mentorbot) -> bool:
    """True when neither Slack nor Teams is configured: `tick` and `chat` then deliver to the
    console inbox (`serve` does not: nobody reads a server's terminal, and marking messages
    delivered there would keep them from Slack or Teams once configured)."""
    return delivering_platforms(bot.settings.secrets) == {CONSOLE}


def delivering_platforms(secrets: Secrets) -> frozenset[str]:
    """The platforms this deployment delivers on: the configured ones, else the console (see
    `console_is_the_platform`). Only an account on one of them makes someone reachable."""
    found = set()
    if secrets.slack_bot_token:
        found.add("slack")
    if secrets.microsoft_app_id or secrets.teams_dev_mode:
        found.add("teams")
    return frozenset(found or {CONSOLE})


def console_inbox(bot: Mentorbot, delivered: Delivered | None = None) -> InboxSender:
    """The console inbox as a sender (see `console_is_the_platform`); `delivered` is told of
    each message it delivers."""

    async def person_of(email: str) -> int | None:
        found = await bot.store.person_by_email(email)
        return found.id if found else None

    return InboxSender(person_of, bot.clock.now, delivered)


def configured_platforms(bot: Mentorbot) -> list[PlatformPlugin]:
    """The plugins of every platform whose credentials are set in the environment."""
    secrets = bot.settings.secrets
    plugins: list[PlatformPlugin] = []
    if secrets.slack_bot_token:
        from bot.slack import slack_plugin

        plugins.append(slack_plugin(bot))
    if secrets.microsoft_app_id or secrets.teams_dev_mode:
        from bot.teams import teams_plugin

        plugins.append(teams_plugin(bot))
    return plugins


def attach_platforms(bot: Mentorbot) -> list[PlatformPlugin]:
    """Build the configured plugins and register their senders with the delivery worker."""
    plugins = configured_platforms(bot)
    for plugin in plugins:
        bot.add_sender(plugin.sender)
        if plugin.tick is not None:
            bot.housekeeping.append(plugin.tick)
    return plugins
