"""`mentorbot roster import`: check a roster file, store it all or nothing, welcome newcomers."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.errors import UserError
from conversations.domain import ImportSummary
from conversations.roster import format_problems, parse_roster

if TYPE_CHECKING:
    from bot.app import Mentorbot

MAX_NAMES_SHOWN = 10


def _names(emails: tuple[str, ...]) -> str:
    shown = ", ".join(emails[:MAX_NAMES_SHOWN])
    more = len(emails) - MAX_NAMES_SHOWN
    return f"{shown}, … and {more} more" if more > 0 else shown


def describe(summary: ImportSummary, *, dry_run: bool) -> list[str]:
    """The summary as lines a programme admin reads."""
    verb = "Would import" if dry_run else "Imported"
    total = len(summary.created) + len(summary.updated) + len(summary.unchanged)
    lines = [
        f"{verb} {total} people: {len(summary.created)} new, {len(summary.updated)} updated, "
        f"{len(summary.unchanged)} unchanged; {len(summary.enrolled)} newly enrolled."
    ]
    if summary.missing:
        lines.append(
            f"{len(summary.missing)} people in the directory are not in this file: "
            f"{_names(summary.missing)}."
        )
        if not summary.deactivated:
            lines.append(
                "They were left as they are; add --deactivate-missing to mark them inactive."
            )
    if summary.deactivated:
        verb_d = "would be" if dry_run else "were"
        lines.append(f"{len(summary.deactivated)} {verb_d} marked inactive.")
    return lines


async def import_roster_file(
    app: Mentorbot, path: Path, *, dry_run: bool, deactivate_missing: bool, out: TextIO
) -> int:
    """Import `path`; print problems (exit 1, nothing written) or the summary (exit 0)."""
    try:
        data = await asyncio.to_thread(path.read_bytes)
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except OSError as error:
        raise UserError(f"{path}: cannot be read ({error.strerror})") from None
    people = await app.store.all_people()
    by_id = {p.id: p.email for p in people}
    known = {p.email: by_id.get(p.manager_id) if p.manager_id else None for p in people}
    parsed = parse_roster(data, known_managers=known)
    if parsed.problems:
        raise UserError(
            f"{path} was not imported; fix these and try again (nothing was changed):\n"
            + format_problems(parsed.problems)
        )
    now = app.clock.now()
    summary = await app.store.import_roster(
        parsed.entries, deactivate_missing=deactivate_missing, dry_run=dry_run, at=now
    )
    for line in describe(summary, dry_run=dry_run):
        print(line, file=out)
    if not dry_run and summary.enrolled:
        newly = set(summary.enrolled)
        enrolled = [p for p in await app.store.all_people() if p.email in newly]
        queued = await app.engine.welcome(enrolled)
        print(
            f"{queued} welcome messages queued for each person's next delivery time "
            "(sent by `mentorbot serve` or `mentorbot tick`).",
            file=out,
        )
    return 0
