"""The `mentorbot` command line (README.md, "Using it"). Exit 0 on success, 1 on a user error.

Each subcommand is a small async function taking the parsed arguments; user errors are raised
as `UserError` (or `ConfigError`) and printed as one clear message, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn, TextIO

from sqlalchemy.exc import ArgumentError

from bot.app import Mentorbot, build_app
from bot.clock import SimulatedClock
from bot.dashboard.data import headline_lines
from bot.database import open_database
from bot.errors import UserError
from bot.roster_import import import_roster_file
from bot.settings import ConfigError, Settings, load_settings
from conversations.enrolment.enrolment_texts import plural, report_text
from conversations.insights.windows import PublishRules
from storage.db import display_url, sqlite_file, sqlite_memory_copy

REPORT_KEYS = (
    "participants",
    "active_pairs",
    "messages_sent",
    "meetings_reported",
    "pulse_responses",
    "average_rating",
    "late_answers",
    "open_respondents",
    "open_counts",
)


_INVALID_CHOICE = re.compile(r"argument (\w+): invalid choice: (.+?) \(choose from (.+)\)$")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake exits 1 (as every other mistake) with one line.

    argparse's own exit code 2 and two-line usage+error would break the README's promise
    that 1 means a mistake in the input, explained in one message.
    """

    def error(self, message: str) -> NoReturn:
        """Print one line naming what is wrong and how to get help, then exit 1."""
        wrong = _INVALID_CHOICE.match(message)
        if wrong:
            what = "command" if wrong.group(1) == "COMMAND" else wrong.group(1).lower()
            known = wrong.group(3).replace("'", "")
            message = f"unknown {what} {wrong.group(2)}; the {what}s are: {known}"
        self.exit(1, f"{self.prog}: {message}. See `{self.prog} --help`.\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mentorbot",
        description="Run a reverse-mentoring programme in Slack and Microsoft Teams.",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=Path(os.environ.get("MENTORBOT_CONFIG", "app.yaml")),
        help="path to app.yaml (default ./app.yaml, or $MENTORBOT_CONFIG)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="play a simulated programme in the terminal")
    demo.add_argument("--database-url", help="keep the demo's data here (default: a temp file)")

    chat = sub.add_parser("chat", help="talk to the bot in the terminal as one person")
    chat.add_argument("--as", dest="email", required=True, metavar="EMAIL")
    chat.add_argument("--now", help="pretend it is this time (ISO 8601), as `tick --now` does")

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply every migration")

    roster = sub.add_parser("roster", help="the people directory")
    roster_sub = roster.add_subparsers(dest="roster_command", required=True, metavar="ACTION")
    imp = roster_sub.add_parser("import", help="import a roster CSV (all or nothing)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--dry-run", action="store_true", help="check and summarise; write nothing")
    imp.add_argument(
        "--deactivate-missing",
        action="store_true",
        help="mark people who are not in the file inactive",
    )

    match = sub.add_parser("match", help="propose pairs (a dry run), or publish them")
    match.add_argument("--publish", action="store_true", help="store the pairs and tell people")
    match.add_argument("--format", choices=("text", "json"), default="text")

    report = sub.add_parser("report", help="the programme's headline figures")
    report.add_argument("--format", choices=("text", "json"), default="text")

    sub.add_parser("health", help="delivery health: the queue, failures, who cannot be reached")

    sub.add_parser("serve", help="run the HTTP server and the scheduler")

    forget = sub.add_parser(
        "forget", help="erase one person's personal data (what `forget me` does in chat)"
    )
    forget.add_argument("email", metavar="EMAIL")
    forget.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    teams = sub.add_parser("teams", help="Microsoft Teams tools")
    teams_sub = teams.add_subparsers(dest="teams_command", required=True, metavar="ACTION")
    package = teams_sub.add_parser("package", help="write the Teams app package to upload")
    package.add_argument("--app-id", required=True, help="the Azure Bot's Microsoft App ID")
    package.add_argument("--out", help="where to write the zip (default ./mentorbot-teams.zip)")

    export = sub.add_parser("export", help="write the programme as CSV files into a folder")
    export.add_argument("directory", type=Path, metavar="DIR")

    tick = sub.add_parser("tick", help="run everything due once, then exit")
    tick.add_argument("--now", help="pretend it is this time (ISO 8601, e.g. 2027-03-01T10:00Z)")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(args.config)


def _where(settings: Settings) -> str:
    """The "Database: …" line: the resolved SQLite file, or the URL without its password."""
    return f"Database: {display_url(settings.secrets.database_url)}"


async def _db_upgrade(args: argparse.Namespace) -> int:
    settings = _settings(args)
    print(_where(settings), flush=True)
    await open_database(settings.secrets.database_url)
    print("Database is up to date.")
    return 0


@contextmanager
def _dry_run_database(settings: Settings) -> Iterator[Settings]:
    """For a dry run on SQLite: the settings pointed at an in-memory copy of the database, so
    the check creates, migrates and leaves behind no file (PostgreSQL dry runs roll back)."""
    url = settings.secrets.database_url
    try:
        is_file = sqlite_file(url) is not None
    except ArgumentError:  # an unparsable URL: open_database reports it in one line
        is_file = False
    if not is_file:
        yield settings
        return
    with sqlite_memory_copy(url) as memory:
        yield replace(settings, secrets=replace(settings.secrets, database_url=memory))


async def _roster_import(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.dry_run:
        # The same checks the real import meets first (a SQLite file in a missing folder, an
        # unsupported URL), without migrating anything: a dry run that passes where the real
        # import would fail promises something untrue.
        await open_database(settings.secrets.database_url, migrate=False)
    database = _dry_run_database(settings) if args.dry_run else nullcontext(settings)
    with database as chosen:
        async with build_app(chosen) as app:
            return await import_roster_file(
                app,
                args.file,
                dry_run=args.dry_run,
                deactivate_missing=args.deactivate_missing,
                out=sys.stdout,
            )


async def _match(args: argparse.Namespace) -> int:
    from conversations.pairing.pairing_texts import match_summary
    from conversations.pairing.rounds import propose, publish
    from conversations.ports import PairConflict

    async with build_app(_settings(args)) as app:
        if args.publish:
            try:
                result, _, told = await publish(app.engine.ctx, "cli", app.clock.now())
            except PairConflict as error:
                raise UserError(
                    f"pairs changed while publishing ({error}); nothing was "
                    "stored. Run `mentorbot match` again."
                ) from None
        else:
            result = await propose(app.store, app.settings.config)
            told = 0
    if args.format == "json":
        print(
            json.dumps(
                {
                    "pairs": [
                        {
                            "mentor": p.mentor.email,
                            "mentee": p.mentee.email,
                            "score": round(p.score, 3),
                            "reasons": list(p.reasons),
                        }
                        for p in result.pairs
                    ],
                    "unmatched": [
                        {"email": u.person.email, "reason": u.reason, "detail": u.for_admin}
                        for u in result.unmatched
                    ],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        summary = match_summary(
            result,
            app.settings.config,
            published=args.publish,
            limit=None,
            publish_with="mentorbot match --publish",
            pair_by_hand="in an admin chat: `pair MENTOR with MENTEE`",
            told=told,
        )
        print(summary)
    return 0


async def _report(args: argparse.Namespace) -> int:
    async with build_app(_settings(args)) as app:
        rules = PublishRules.from_config(app.settings.config, app.clock.now())
        figures = (await app.store.figures(rules)).private(rules.k)
        extra = await headline_lines(app) if args.format == "text" else []
    if args.format == "json":
        data = asdict(figures)
        print(json.dumps({key: data[key] for key in REPORT_KEYS}, indent=2))
    else:
        print("\n".join([report_text(figures, app.settings.config), *extra]))
    return 0


async def _forget(args: argparse.Namespace) -> int:
    from conversations.enrolment.self_service import erase

    async with build_app(_settings(args)) as app:
        person = await app.store.person_by_email(args.email)
        if person is None:
            raise UserError(
                f"nobody with the email {args.email!r} is in the directory; check the spelling "
                "(`mentorbot export DIR` writes everyone to people.csv)"
            )
        if not args.yes:
            if not sys.stdin.isatty():
                raise UserError("add --yes to erase without being asked (stdin is not a terminal)")
            print(
                f"This erases {person.display_name} <{person.email}> everywhere and cancels "
                "messages about them that have not gone out. It can't be undone."
            )
            answer = await asyncio.to_thread(input, "Type yes to erase: ")
            if answer.strip().casefold() != "yes":
                print("Nothing was erased.")
                return 1
        now = app.clock.now()
        # Recorded before erasing, by email: erasing rewrites it to the pseudonym.
        await app.store.record("cli", "forget", person.email, at=now)
        await erase(app.engine.ctx, person, now)
        erased = await app.store.get_person(person.id)
    pseudonym = erased.email if erased is not None else f"person {person.id}"
    print(f"Erased. The audit log and the programme's history now call them {pseudonym}.")
    if app.settings.config.is_admin(person.email):
        # Erasing reaches the database only; the configuration file is the operator's.
        print(
            f"{person.email} is still listed under `admins` in app.yaml: remove it there too "
            "(the configuration file is not the database) and restart the bot."
        )
    return 0


async def _health(args: argparse.Namespace) -> int:
    from conversations.admin.tools import health_text

    settings = _settings(args)
    async with build_app(settings) as app:
        print(await health_text(app.store, settings.config, operator=True))
    return 0


async def _export(args: argparse.Namespace) -> int:
    from bot.export import run_export

    async with build_app(_settings(args)) as app:
        written = await run_export(app, args.directory)
    names = ", ".join(p.name for p in written)
    print(f"Wrote {plural(len(written), 'file')} to {args.directory}: {names}")
    return 0


def parse_now(text: str) -> datetime:
    """Read `--now`: ISO 8601; a time without a zone is taken as UTC."""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UserError(
            f"--now: {text!r} is not an ISO 8601 time; use e.g. 2027-03-01T10:00Z"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


async def _tick(args: argparse.Namespace) -> int:
    from bot.platforms import attach_platforms, console_inbox, console_is_the_platform

    clock = SimulatedClock(parse_now(args.now)) if args.now else None
    settings = _settings(args)
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


async def _serve(args: argparse.Namespace) -> int:
    from adapters.teams.trust import dev_mode_host_problem
    from bot.platforms import attach_platforms
    from bot.server import serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    quiet_libraries()
    settings = _settings(args)
    secrets = settings.secrets
    problem = dev_mode_host_problem(
        dev_mode=secrets.teams_dev_mode, app_id=secrets.microsoft_app_id, host=secrets.host
    )
    if problem:  # refused, never a warning-and-go: dev mode has no authentication
        raise ConfigError(problem)
    print(_where(settings), flush=True)
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


async def _teams(args: argparse.Namespace) -> int:
    from bot.teams import write_package

    path = write_package(args.app_id, Path(args.out) if args.out else None)
    print(f"Wrote {path}. Upload it in Teams: Apps → Manage your apps → Upload an app.")
    return 0


async def _demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return await run_demo(database_url=args.database_url, out=sys.stdout, config=args.config)


async def _chat(args: argparse.Namespace) -> int:
    from bot.chat import run_chat

    clock = SimulatedClock(parse_now(args.now)) if args.now else None
    async with build_app(_settings(args), clock=clock) as app:
        return await run_chat(app, args.email, stdin=sys.stdin, out=sys.stdout)


COMMANDS: dict[str, Callable[[argparse.Namespace], Awaitable[int]]] = {
    "db": _db_upgrade,
    "roster": _roster_import,
    "report": _report,
    "health": _health,
    "match": _match,
    "tick": _tick,
    "serve": _serve,
    "teams": _teams,
    "demo": _demo,
    "chat": _chat,
    "export": _export,
    "forget": _forget,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `mentorbot` script and `python -m bot`."""
    args = _parser().parse_args(argv)
    try:
        return asyncio.run(COMMANDS[args.command](args))
    except (UserError, ConfigError) as error:
        print(f"mentorbot: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `mentorbot match | head`: the reader left; that is fine
        sys.stdout = open(os.devnull, "w")
        return 0


if __name__ == "__main__":
    sys.exit(main())
