"""`mentorbot export DIR`: the programme as CSV files for the people team's own analysis.

What goes out follows the privacy rules of issue 7:

- people.csv: the directory without private fields (no pause dates, no comments); a person who
  asked to be forgotten is a row with their id and `forgotten`, nothing else.
- pairs.csv, sessions.csv: ids, dates and outcomes (names are in people.csv only).
- pulse_aggregate.csv: average ratings per group (overall, side, track, session, month), only
  for groups of at least `privacy.min_group_size` people; never one person's answer.
- comments.csv: comments whose authors agreed to share them, with no name, pair, date or
  order that could point back to them, and only once at least k people shared one.

Every cell that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
return) gets a leading apostrophe: a name like `=HYPERLINK(…)` must stay text (OWASP CSV
injection). Files are UTF-8 with a byte-order mark so Excel reads accents and RTL names right.
"""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.dashboard.data import repository
from bot.errors import UserError
from conversations.insights import (
    NO_TRACK,
    OTHER,
    SIDES,
    Breakdown,
    PulseFact,
    rating_breakdown,
    shareable_comments,
)

if TYPE_CHECKING:
    from bot.app import Mentorbot

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PEOPLE_COLUMNS = (
    "id",
    "email",
    "name",
    "title",
    "level",
    "department",
    "manager_id",
    "timezone",
    "role",
    "teaches",
    "learns",
    "status",
    "enrolled_at",
)
PAIR_COLUMNS = (
    "id",
    "cycle",
    "mentor_id",
    "mentee_id",
    "status",
    "score",
    "reasons",
    "created_at",
    "ended_at",
)
SESSION_COLUMNS = (
    "pair_id",
    "number",
    "due_date",
    "status",
    "met",
    "reported_by",
    "reported_at",
)
PULSE_COLUMNS = ("dimension", "group", "people", "answers", "average_rating")


def safe_cell(value: Any) -> str:
    """The text of one cell, defused when a spreadsheet would read it as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> Path:
    """Write `rows` (dicts; missing keys are blank) under `columns`, every cell made safe."""
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([safe_cell(row.get(column)) for column in columns])
    return path


def pulse_aggregate(pulses: Sequence[PulseFact], k: int, tz: ZoneInfo) -> list[dict[str, Any]]:
    """Average ratings per group, each group k-anonymous (see `conversations.insights`)."""
    dimensions: list[tuple[str, Callable[[PulseFact], str]]] = [
        ("overall", lambda p: "all"),
        ("side", lambda p: SIDES.get(p.side, p.side)),
        ("track", lambda p: p.track or NO_TRACK),
        ("session", lambda p: f"session {p.session_number}"),
        ("month", lambda p: p.answered_at.astimezone(tz).strftime("%Y-%m")),
    ]
    rows = []
    for dimension, label_of in dimensions:
        breakdown: Breakdown = rating_breakdown(pulses, k, label_of)
        for group in breakdown.groups:
            average = group.average
            rows.append(
                {
                    "dimension": dimension,
                    "group": group.label if group.label != OTHER else "other (small groups)",
                    "people": group.size,
                    "answers": len(group.ratings),
                    "average_rating": None if average is None else round(average, 2),
                }
            )
    return rows


def _prepare(directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise UserError(f"{directory} is a file; give a folder to export into")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot create {directory}: {error.strerror or error}") from None


async def run_export(app: Mentorbot, directory: Path) -> list[Path]:
    """Write the five CSV files into `directory` (created if needed); return their paths."""
    _prepare(directory)
    repo = repository(app)
    config = app.settings.config
    k = config.privacy.min_group_size
    tz = ZoneInfo(config.programme.timezone)
    today = app.clock.now().astimezone(tz).date()
    data = await repo.gather(today=today, answer_by=today)
    tables: list[tuple[str, Sequence[str], Iterable[Mapping[str, Any]]]] = [
        ("people.csv", PEOPLE_COLUMNS, await repo.people_rows()),
        ("pairs.csv", PAIR_COLUMNS, await repo.pair_rows()),
        ("sessions.csv", SESSION_COLUMNS, await repo.session_rows()),
        ("pulse_aggregate.csv", PULSE_COLUMNS, pulse_aggregate(data.pulses, k, tz)),
        # Consented comments, sorted so their order says nothing about who or when, and only
        # once k people shared one: authors were promised anonymity, which a lone comment lacks.
        (
            "comments.csv",
            ("comment",),
            ({"comment": c} for c in shareable_comments(data.consented_comments, k)),
        ),
    ]
    written = []
    try:
        for name, columns, rows in tables:
            written.append(write_csv(directory / name, columns, rows))
    except OSError as error:
        raise UserError(f"cannot write to {directory}: {error.strerror or error}") from None
    return written


async def export_archive(app: Mentorbot) -> bytes:
    """The same CSV files as `run_export`, zipped in memory (the dashboard's download)."""
    with tempfile.TemporaryDirectory(prefix="mentorbot-export-") as folder:
        paths = await run_export(app, Path(folder))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in paths:
                archive.write(path, arcname=path.name)
    return buffer.getvalue()
