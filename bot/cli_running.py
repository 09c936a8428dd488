"""The `mentorbot` commands that run the bot: `tick`, `serve`, `chat`, `demo` and `teams
package`, with what they print for the operator. Each takes the parsed arguments and returns the
exit status."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.app import Mentorbot, build_app
from bot.cli_parser import settings_of, where
from bot.clock import SimulatedClock
from bot.errors import UserError
from bot.settings import ConfigError, Settings
from conversations.texts import plural


def parse_now(text: str) -> datetime:
    """Read `--now`: ISO 8601; a time without a zone is taken as UTC."""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UserError(
            f"--now: {text!r} is not an ISO 8601 time; use e.g. 2027-03-01T10:00Z"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


async def tick(args: argparse.Namespace) -> int:
    """`mentorbot tick`: run everything due once (at `--now`, if given), then exit."""
    from bot.platforms import attach_platforms, console_inbox, console_is_the_platform

    clock = SimulatedClock(parse_now(args.now)) if args.now else None
    settings = settings_of(args)
    async with build_app(settings, clock=clock) as app:
        await _warn_concern_contacts(app, settings, sys.stderr)
        console = console_is_the_platform(app)
        plugins = [] if console else attach_platforms(app)
        if console:
            app.add_sender(console_inbox(app))
        try:
            stats = await app.tick()
        finally:
            # Each platform closes its HTTP session (else aiohttp warns "Unclosed client
            # session" at exit) and lets what it already acknowledged finish.
            for plugin in plugins:
                if plugin.stop is not None:
                    await plugin.stop()
        # After the tick, which passed on any concern someone can now receive.
        await _warn_waiting_concerns(app, sys.stderr)
    if stats is None:  # not reached today: the console is the platform when no other is
        print("Ran the programme work that was due; no platform to deliver to.")
    elif console:
        print(
            f"No Slack or Teams is configured, so the console is the platform: delivered "
            f"{plural(stats.sent, 'message')} to console inboxes (read them with `mentorbot "
            f"chat --as EMAIL`), will retry {stats.retried}, failed {stats.failed}."
        )
    else:
        print(f"Sent {stats.sent}, will retry {stats.retried}, failed {stats.failed}.")
    return 0


async def _warn_concern_contacts(app: Mentorbot, settings: Settings, out: TextIO) -> None:
    """At start: a concern contact the directory does not know could never read a concern."""
    from conversations.admin.tools import concern_contact_warnings

    for line in await concern_contact_warnings(app.store, settings.config):
        print(line, file=out, flush=True)


async def _warn_waiting_concerns(app: Mentorbot, out: TextIO) -> None:
    """For the operator: concerns that still reach nobody (a count; never in an admin chat)."""
    from conversations.admin.tools import waiting_concern_lines

    for line in await waiting_concern_lines(app.store):
        print(line, file=out, flush=True)


def _say(line: str) -> None:
    print(line, flush=True)


def quiet_libraries() -> None:
    """Keep the libraries' routine chatter out of `serve`'s INFO log.

    APScheduler logs every run of the tick ("Running job …", "… executed successfully"),
    four lines a minute that say nothing; its warnings (a missed run) still show.
    """
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # Alembic names its dialect at every start; the migrations it runs still show.
    logging.getLogger("alembic.runtime.migration").addFilter(_not_alembic_preamble)


def _not_alembic_preamble(record: logging.LogRecord) -> bool:
    return not record.getMessage().startswith(("Context impl ", "Will assume "))


async def serve_command(args: argparse.Namespace) -> int:
    """`mentorbot serve`: run the HTTP server and the scheduler."""
    from adapters.teams.trust import dev_mode_host_problem
    from bot.platforms import attach_platforms
    from bot.server import serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    quiet_libraries()
    settings = settings_of(args)
    secrets = settings.secrets
    problem = dev_mode_host_problem(
        dev_mode=secrets.teams_dev_mode, app_id=secrets.microsoft_app_id, host=secrets.host
    )
    if problem:  # refused, never a warning-and-go: dev mode has no authentication
        raise ConfigError(problem)
    print(where(settings), flush=True)
    wait = settings.secrets.db_wait_seconds
    async with build_app(settings, wait=wait, waiting=_say) as app:
        await _warn_concern_contacts(app, settings, sys.stdout)
        await _warn_waiting_concerns(app, sys.stdout)
        plugins = attach_platforms(app)
        if not plugins:
            print(
                "No Slack or Teams settings: serving the dashboard and health only; messages "
                "wait in the queue (set SLACK_BOT_TOKEN or MICROSOFT_APP_ID to send them).",
                flush=True,
            )
        return await serve(
            app, host=settings.secrets.host, port=settings.secrets.port, plugins=plugins
        )


async def teams(args: argparse.Namespace) -> int:
    """`mentorbot teams package`: write the Teams app package to upload."""
    from bot.teams import write_package

    path = write_package(args.app_id, Path(args.out) if args.out else None)
    print(f"Wrote {path}. Upload it in Teams: Apps → Manage your apps → Upload an app.")
    return 0


async def demo(args: argparse.Namespace) -> int:
    """`mentorbot demo`: play a simulated programme in the terminal."""
    from bot.demo import run_demo

    return await run_demo(database_url=args.database_url, out=sys.stdout, config=args.config)


async def chat(args: argparse.Namespace) -> int:
    """`mentorbot chat --as EMAIL`: talk to the bot in the terminal as one person."""
    from bot.chat import run_chat

    clock = SimulatedClock(parse_now(args.now)) if args.now else None
    async with build_app(settings_of(args), clock=clock) as app:
        return await run_chat(app, args.email, stdin=sys.stdin, out=sys.stdout)
