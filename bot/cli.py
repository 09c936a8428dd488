"""The `mentorbot` command line (README.md, "Using it"). Exit 0 on success, 1 on a user error.

Each subcommand is a small async function taking the parsed arguments (`bot.cli_data`: the
programme's data; `bot.cli_running`: running the bot; the grammar in `bot.cli_parser`); user
errors are raised as `UserError` (or `ConfigError`) and printed as one clear message, never a
traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Sequence

from bot.cli_data import db_upgrade, export, forget, health, match, report, roster_import
from bot.cli_parser import build_parser
from bot.cli_running import chat, demo, serve_command, teams, tick
from bot.errors import UserError
from bot.settings import ConfigError

COMMANDS: dict[str, Callable[[argparse.Namespace], Awaitable[int]]] = {
    "db": db_upgrade,
    "roster": roster_import,
    "report": report,
    "health": health,
    "match": match,
    "tick": tick,
    "serve": serve_command,
    "teams": teams,
    "demo": demo,
    "chat": chat,
    "export": export,
    "forget": forget,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `mentorbot` script and `python -m bot`."""
    args = build_parser().parse_args(argv)
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
