"""`mentorbot roster import`: check a roster file, store it all or nothing, welcome newcomers."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.errors import UserError
from conversations.enrolment.roster_csv import format_problems, parse_roster
from conversations.texts import plural
from conversations.types import ImportSummary

if TYPE_CHECKING:
    from bot.app import Mentorbot

MAX_NAMES_SHOWN = 10
# Parsing and importing hold every row in memory (~1.7 KB a row: a million rows took 1.75 GB
# for a dry run), so a file past this is refused up front. Generous for one programme's
# directory; MENTORBOT_MAX_ROSTER_ROWS raises (or lowers) it.
MAX_ROWS = 200_000
MAX_ROWS_ENV = "MENTORBOT_MAX_ROSTER_ROWS"
MAX_ROW_BYTES = 8 * 1024  # longer than any valid row (the column limits add up to ~5.4 KB)


def max_rows() -> int:
    """The row limit: MENTORBOT_MAX_ROSTER_ROWS when set to a positive number, else MAX_ROWS."""
    raw = os.environ.get(MAX_ROWS_ENV, "").strip()
    if not raw:
        return MAX_ROWS
    if not raw.isdigit() or int(raw) < 1:
        raise UserError(f"{MAX_ROWS_ENV} must be a positive whole number, not {raw!r}")
    return int(raw)


def _too_big(path: Path, size: int, lines: int | None, limit: int) -> UserError:
    what = f"{lines:,} lines" if lines is not None else f"{size / 2**20:,.0f} MB"
    return UserError(
        f"{path} was not imported: it has {what}, and at most {limit:,} rows can be imported "
        f"at once (nothing was changed). Split the file, or set {MAX_ROWS_ENV} to raise the "
        "limit if this machine has the memory for it."
    )


def _names(emails: tuple[str, ...]) -> str:
    shown = ", ".join(emails[:MAX_NAMES_SHOWN])
    more = len(emails) - MAX_NAMES_SHOWN
    return f"{shown}, … and {more} more" if more > 0 else shown


def describe(summary: ImportSummary, *, dry_run: bool) -> list[str]:
    """The summary as lines a programme admin reads."""
    verb = "Would import" if dry_run else "Imported"
    total = len(summary.created) + len(summary.updated) + len(summary.unchanged)
    lines = [
        f"{verb} {plural(total, 'person', 'people')}: {len(summary.created)} new, "
        f"{len(summary.updated)} updated, {len(summary.unchanged)} unchanged; "
        f"{len(summary.enrolled)} newly enrolled."
    ]
    if summary.missing:
        are = "is" if len(summary.missing) == 1 else "are"
        lines.append(
            f"{plural(len(summary.missing), 'person', 'people')} in the directory {are} not "
            f"in this file: {_names(summary.missing)}."
        )
        if not summary.deactivated:
            lines.append(
                "They were left as they are; add --deactivate-missing to mark them inactive."
            )
    if summary.deactivated:
        were = "was" if len(summary.deactivated) == 1 else "were"
        verb_d = "would be" if dry_run else were
        lines.append(f"{len(summary.deactivated)} {verb_d} marked inactive.")
    return lines


async def import_roster_file(
    app: Mentorbot, path: Path, *, dry_run: bool, deactivate_missing: bool, out: TextIO
) -> int:
    """Import `path`; print problems (exit 1, nothing written) or the summary (exit 0)."""
    limit = max_rows()
    try:
        size = (await asyncio.to_thread(path.stat)).st_size
        if size > (limit + 1) * MAX_ROW_BYTES:  # refuse before reading it all into memory
            raise _too_big(path, size, None, limit)
        data = await asyncio.to_thread(path.read_bytes)
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except OSError as error:
        raise UserError(f"{path}: cannot be read ({error.strerror})") from None
    lines = data.count(b"\n")  # physical lines: at least the number of rows (header aside)
    if lines > limit + 1:
        raise _too_big(path, size, lines, limit)
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
            f"{plural(queued, 'welcome message')} queued for each person's next delivery "
            "time (sent by `mentorbot tick`, or by `mentorbot serve` once Slack or Teams is "
            "set up).",
            file=out,
        )
    return 0
