"""Wire the Slack adapter into the bot: `slack_plugin(bot)` for `configured_platforms`.

The only module that knows both `adapters.slack` and the rest of the bot (docs/architecture.md,
"Four floors"): it hands
the adapter the engine, the store and the clock as plain callables.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from adapters.slack.answer import Backend
from adapters.slack.app import SlackRuntime
from bot.platforms import PlatformPlugin
from bot.settings import ConfigError

if TYPE_CHECKING:
    from bot.app import Mentorbot

log = logging.getLogger(__name__)


def slack_runtime(bot: Mentorbot) -> SlackRuntime:
    """The Slack runtime for this bot's settings (no network until it starts or sends)."""
    secrets = bot.settings.secrets
    if not secrets.slack_app_token and not secrets.slack_signing_secret:
        raise ConfigError(
            "SLACK_SIGNING_SECRET is not set: copy it from your Slack app's Basic Information "
            "page, or set SLACK_APP_TOKEN to use Socket Mode instead of a public URL."
        )
    engine = bot.engine
    backend = Backend(
        directory=bot.store,
        handle=engine.handle,
        record_event=bot.store.record_event,
        now=bot.clock.now,
        after_event=bot.wakeup.kick,
        home=engine.home,
    )
    return SlackRuntime(
        backend,
        bot_token=secrets.slack_bot_token,
        signing_secret=secrets.slack_signing_secret,
        app_token=secrets.slack_app_token,
        api_url=secrets.slack_api_url,
        command=bot.settings.config.slack.command,
    )


def slack_plugin(bot: Mentorbot) -> PlatformPlugin:
    """Slack as a platform plug-in: its sender, its Request URL route, Socket Mode hooks."""
    runtime = slack_runtime(bot)
    return PlatformPlugin(
        name="slack",
        sender=runtime.sender,
        routes=runtime.routes(),
        start=runtime.start,
        stop=runtime.stop,
        tick=SlackHousekeeping(bot, runtime).run,
        extra={"runtime": runtime, "socket_mode": runtime.socket_mode},
    )


class SlackHousekeeping:
    """The Slack tick: roster ids get the workspace, then roster people are looked up by email."""

    def __init__(self, bot: Mentorbot, runtime: SlackRuntime) -> None:
        self.bot = bot
        self.runtime = runtime
        self.email_linking = EmailLinking(bot, runtime)

    async def run(self) -> None:
        """Fill in the workspace of roster ids (before delivery decides on group DMs), then
        link a page of people by email."""
        workspace = await self.runtime.linker.workspace()
        if workspace:
            # One token serves one workspace, so every Slack id still without one is in it.
            # Every tick, not only at start: a roster imported meanwhile adds ids without it.
            filled = await self.bot.store.fill_tenant("slack", workspace)
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

    def __init__(self, bot: Mentorbot, runtime: SlackRuntime) -> None:
        self.bot = bot
        self.runtime = runtime
        self.cursor = 0  # the last person id looked at in this pass
        self.pass_started: datetime | None = None

    async def run(self) -> None:
        """Link up to PER_TICK people who have no Slack identity yet."""
        now = self.bot.clock.now()
        if self.cursor == 0:
            if self.pass_started is not None and now - self.pass_started < self.RESCAN:
                return
            self.pass_started = now
        people = await self.bot.store.people_without_identity(
            "slack", limit=self.PER_TICK, after_id=self.cursor
        )
        for person in people:
            await self.runtime.linker.link_by_email(person)
        self.cursor = people[-1].id if len(people) == self.PER_TICK else 0
