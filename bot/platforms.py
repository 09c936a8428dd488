"""Which chat platforms this deployment talks to, and how each plugs into the server.

Each platform's wiring lives in its own `bot/<platform>.py` and returns a `PlatformPlugin`
(`bot/plugin.py`): the sender the delivery worker uses, the HTTP routes `serve` mounts, and
optional start/stop hooks (Slack Socket Mode). This module hands every adapter the same
`AdapterDeps` (adapters/kit/deps.py), built from the bot's parts; it reads those parts through
the `Wiring` protocol rather than importing the composition root, so no import loops back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.console.inbox import Delivered, InboxSender
from adapters.console.platform import PLATFORM as CONSOLE
from adapters.kit.deps import AdapterDeps
from adapters.slack.platform import PLATFORM as SLACK
from adapters.teams.platform import PLATFORM as TEAMS
from bot.plugin import PlatformPlugin
from bot.settings import Secrets, Settings
from bot.slack import slack_plugin
from bot.teams import teams_plugin
from conversations.data.catalogue import load_topics
from conversations.engine import Engine
from conversations.pairing.disclosure import WHAT_PARTNERS_SEE
from conversations.ports import Clock, Sender
from storage.store import SqlStore


class Kick(Protocol):
    """The bot's wakeup: `kick` runs delivery now (bot/app.py `Wakeup`)."""

    def kick(self) -> None:
        """Tell the listener, if any, that work is waiting."""
        ...


class Wiring(Protocol):
    """The parts of a built bot (`bot.app.Mentorbot`) the platforms are wired from."""

    @property
    def settings(self) -> Settings: ...
    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...
    @property
    def store(self) -> SqlStore: ...
    @property
    def engine(self) -> Engine: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def wakeup(self) -> Kick: ...
    @property
    def housekeeping(self) -> list[Callable[[], Awaitable[None]]]: ...

    def add_sender(self, sender: Sender) -> None:
        """Register a platform's sender with the delivery worker."""
        ...


def console_is_the_platform(bot: Wiring) -> bool:
    """True when neither Slack nor Teams is configured: `tick` and `chat` then deliver to the
    console inbox (`serve` does not: nobody reads a server's terminal, and marking messages
    delivered there would keep them from Slack or Teams once configured)."""
    return delivering_platforms(bot.settings.secrets) == {CONSOLE}


def delivering_platforms(secrets: Secrets) -> frozenset[str]:
    """The platforms this deployment delivers on: the configured ones, else the console (see
    `console_is_the_platform`). Only an account on one of them makes someone reachable."""
    found = set()
    if secrets.slack_bot_token:
        found.add(SLACK)
    if secrets.microsoft_app_id or secrets.teams_dev_mode:
        found.add(TEAMS)
    return frozenset(found or {CONSOLE})


def console_inbox(bot: Wiring, delivered: Delivered | None = None) -> InboxSender:
    """The console inbox as a sender (see `console_is_the_platform`); `delivered` is told of
    each message it delivers."""

    async def person_of(email: str) -> int | None:
        found = await bot.store.person_by_email(email)
        return found.id if found else None

    return InboxSender(person_of, bot.clock.now, delivered)


def adapter_deps(bot: Wiring) -> AdapterDeps:
    """What every adapter is handed: the engine's entry points, the store's look-ups, the
    clock, the wakeup's kick, and what the enrolment forms show."""
    return AdapterDeps(
        handle=bot.engine.handle,
        people=bot.store,
        clock=bot.clock,
        home=bot.engine.home,
        queue=bot.engine.queue,
        kick=bot.wakeup.kick,
        catalogue=load_topics(),
        tracks=tuple(bot.settings.config.programme.tracks),
        partners_see=WHAT_PARTNERS_SEE,
    )


def configured_platforms(bot: Wiring) -> list[PlatformPlugin]:
    """The plugins of every platform whose credentials are set in the environment."""
    secrets = bot.settings.secrets
    plugins: list[PlatformPlugin] = []
    deps = adapter_deps(bot)
    if secrets.slack_bot_token:
        plugins.append(slack_plugin(bot.settings, deps, bot.store))
    if secrets.microsoft_app_id or secrets.teams_dev_mode:
        plugins.append(teams_plugin(bot.settings, deps, bot.sessions))
    return plugins


def attach_platforms(bot: Wiring) -> list[PlatformPlugin]:
    """Build the configured plugins and register their senders with the delivery worker."""
    plugins = configured_platforms(bot)
    for plugin in plugins:
        bot.add_sender(plugin.sender)
        if plugin.tick is not None:
            bot.housekeeping.append(plugin.tick)
    return plugins
