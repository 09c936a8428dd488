"""Wire the Slack adapter into the bot: `slack_plugin(settings, deps, roster)` for
`configured_platforms`.

It knows `adapters.slack` and is handed everything else explicitly (docs/architecture.md,
"Four floors"): the settings, the adapters' shared `AdapterDeps` and the store's roster
look-ups for the Slack tick.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Protocol

from adapters.kit.deps import AdapterDeps
from adapters.slack.app import SlackRuntime
from adapters.slack.platform import PLATFORM
from bot.plugin import PlatformPlugin
from bot.settings import ConfigError, Settings
from conversations.ports import Clock
from conversations.types import Person

log = logging.getLogger(__name__)


class SlackRoster(Protocol):
    """The store's look-ups the Slack tick uses (storage/sql_people.py)."""

    async def fill_tenant(self, platform: str, tenant_id: str) -> int:
        """Give every identity on `platform` still without a tenant this one; how many."""
        ...

    async def people_without_identity(
        self, platform: str, *, limit: int, after_id: int = 0
    ) -> list[Person]:
        """Enrolled people with no identity on `platform` yet, in id order after `after_id`."""
        ...


def slack_runtime(settings: Settings, deps: AdapterDeps) -> SlackRuntime:
    """The Slack runtime for these settings (no network until it starts or sends)."""
    secrets = settings.secrets
    if not secrets.slack_app_token and not secrets.slack_signing_secret:
        raise ConfigError(
            "SLACK_SIGNING_SECRET is not set: copy it from your Slack app's Basic Information "
            "page, or set SLACK_APP_TOKEN to use Socket Mode instead of a public URL."
        )
    return SlackRuntime(
        deps,
        bot_token=secrets.slack_bot_token,
        signing_secret=secrets.slack_signing_secret,
        app_token=secrets.slack_app_token,
        api_url=secrets.slack_api_url,
        command=settings.config.slack.command,
    )


def slack_plugin(settings: Settings, deps: AdapterDeps, roster: SlackRoster) -> PlatformPlugin:
    """Slack as a platform plug-in: its sender, its Request URL route, Socket Mode hooks."""
    runtime = slack_runtime(settings, deps)
    return PlatformPlugin(
        name=PLATFORM,
        sender=runtime.sender,
        routes=runtime.routes(),
        start=runtime.start,
        stop=runtime.stop,
        tick=SlackHousekeeping(roster, deps.clock, runtime).run,
        extra={"runtime": runtime, "socket_mode": runtime.socket_mode},
    )


class SlackHousekeeping:
    """The Slack tick: roster ids get the workspace, then roster people are looked up by email."""

    def __init__(self, roster: SlackRoster, clock: Clock, runtime: SlackRuntime) -> None:
        self.roster = roster
        self.runtime = runtime
        self.email_linking = EmailLinking(roster, clock, runtime)

    async def run(self) -> None:
        """Fill in the workspace of roster ids (before delivery decides on group DMs), then
        link a page of people by email."""
        workspace = await self.runtime.linker.workspace()
        if workspace:
            # One token serves one workspace, so every Slack id still without one is in it.
            # Every tick, not only at start: a roster imported meanwhile adds ids without it.
            filled = await self.roster.fill_tenant(PLATFORM, workspace)
            if filled:
                log.info("%d Slack ids from the roster placed in workspace %s", filled, workspace)
        await self.email_linking.run()


class EmailLinking:
    """Find enrolled roster people on Slack by email before they ever write to the bot, so
    their welcome and intro can reach them (users.lookupByEmail, paced by the linker).

    Walks the people without a Slack identity a page per tick; after a full pass it waits
    `RESCAN` before looking again at those it could not find (they may join Slack later).
    """

    PER_TICK = 20  # users.lookupByEmail is Tier 3 (~50/min): a few per tick keeps well under
    RESCAN = timedelta(hours=6)

    def __init__(self, roster: SlackRoster, clock: Clock, runtime: SlackRuntime) -> None:
        self.roster = roster
        self.clock = clock
        self.runtime = runtime
        self.cursor = 0  # the last person id looked at in this pass
        self.pass_started: datetime | None = None

    async def run(self) -> None:
        """Link up to PER_TICK people who have no Slack identity yet."""
        now = self.clock.now()
        if self.cursor == 0:
            if self.pass_started is not None and now - self.pass_started < self.RESCAN:
                return
            self.pass_started = now
        people = await self.roster.people_without_identity(
            PLATFORM, limit=self.PER_TICK, after_id=self.cursor
        )
        for person in people:
            await self.runtime.linker.link_by_email(person)
        self.cursor = people[-1].id if len(people) == self.PER_TICK else 0
