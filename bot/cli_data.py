"""The `mentorbot` commands on the programme's data: `db upgrade`, `roster import`, `match`,
`report`, `forget`, `health` and `export`. Each takes the parsed arguments and returns the exit
status; a user error is raised as `UserError`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, replace

from sqlalchemy.exc import ArgumentError

from bot.app import build_app
from bot.cli_parser import settings_of, where
from bot.dashboard.data import headline_lines
from bot.database import open_database
from bot.errors import UserError
from bot.roster_import import import_roster_file
from bot.settings import Settings
from conversations.admin.tools import report_text
from conversations.texts import plural
from conversations.types import PublishRules
from storage.db import sqlite_file, sqlite_memory_copy

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


async def db_upgrade(args: argparse.Namespace) -> int:
    """`mentorbot db upgrade`: apply every migration."""
    settings = settings_of(args)
    print(where(settings), flush=True)
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


async def roster_import(args: argparse.Namespace) -> int:
    """`mentorbot roster import FILE`: import a roster CSV (all or nothing)."""
    settings = settings_of(args)
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


async def match(args: argparse.Namespace) -> int:
    """`mentorbot match`: propose pairs (a dry run), or publish them with `--publish`."""
    from conversations.pairing.pairing_texts import match_summary
    from conversations.pairing.rounds import propose, publish
    from conversations.ports import PairConflict

    async with build_app(settings_of(args)) as app:
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


async def report(args: argparse.Namespace) -> int:
    """`mentorbot report`: the programme's headline figures."""
    async with build_app(settings_of(args)) as app:
        rules = PublishRules.from_config(app.settings.config, app.clock.now())
        figures = (await app.store.figures(rules)).private(rules.k)
        extra = await headline_lines(app) if args.format == "text" else []
    if args.format == "json":
        data = asdict(figures)
        print(json.dumps({key: data[key] for key in REPORT_KEYS}, indent=2))
    else:
        print("\n".join([report_text(figures, app.settings.config), *extra]))
    return 0


async def forget(args: argparse.Namespace) -> int:
    """`mentorbot forget EMAIL`: erase one person's personal data."""
    from conversations.enrolment.self_service import erase

    async with build_app(settings_of(args)) as app:
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


async def health(args: argparse.Namespace) -> int:
    """`mentorbot health`: the queue, the latest failures, who cannot be reached."""
    from conversations.admin.tools import health_text

    settings = settings_of(args)
    async with build_app(settings) as app:
        print(await health_text(app.engine.ctx, operator=True))
    return 0


async def export(args: argparse.Namespace) -> int:
    """`mentorbot export DIR`: write the programme as CSV files into a folder."""
    from bot.export import run_export

    async with build_app(settings_of(args)) as app:
        written = await run_export(app, args.directory)
    names = ", ".join(p.name for p in written)
    print(f"Wrote {plural(len(written), 'file')} to {args.directory}: {names}")
    return 0
