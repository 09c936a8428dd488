"""The `mentorbot` command line's grammar: every subcommand and option, and the settings the
parsed arguments name."""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path
from typing import NoReturn

from bot.settings import Settings, load_settings
from storage.db import display_url

_INVALID_CHOICE = re.compile(r"argument (\w+): invalid choice: (.+?) \(choose from (.+)\)$")


class Parser(argparse.ArgumentParser):
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


def build_parser() -> argparse.ArgumentParser:
    """Every subcommand of `mentorbot`, with its options."""
    parser = Parser(
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


def settings_of(args: argparse.Namespace) -> Settings:
    """The settings of the `--config` named on the command line."""
    return load_settings(args.config)


def where(settings: Settings) -> str:
    """The "Database: …" line: the resolved SQLite file, or the URL without its password."""
    return f"Database: {display_url(settings.secrets.database_url)}"
