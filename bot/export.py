"""`mentorbot export DIR`: the programme as CSV files for the people team's own analysis.

What goes out follows the privacy rules of issue 7:

- people.csv: the directory without private fields (no pause dates, no comments); a person who
  asked to be forgotten is a row with their id and `forgotten`, nothing else.
- pairs.csv, sessions.csv: ids, dates and outcomes (names are in people.csv only). A pair's
  reasons name no one ("the mentee"), and name a department only when the dashboard's
  department breakdown shows it (k or more participants); otherwise "another department".
- pulse_aggregate.csv: the published pulse windows (`conversations.insights.windows`): one row
  per closed window with k or more respondents, and one per side group when the privacy rule
  allows. Rows are stored when first published and never change; windows under k have no row.
- comments.csv: comments whose authors agreed to share them, from published windows with k or
  more respondents only (like pulse_aggregate.csv), with no name, pair, date or order that
  could point back to them, and only once at least k people shared one.

Every cell that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
return) gets a leading apostrophe: a name like `=HYPERLINK(…)` must stay text (OWASP CSV
injection). Files are UTF-8 with a byte-order mark so Excel reads accents and RTL names right.
"""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.dashboard.data import published_pulse, repository
from bot.errors import UserError
from conversations.insights.breakdowns import OTHER
from conversations.insights.summary import department_breakdown, public_reason, shareable_comments
from conversations.insights.windows import PublishedPulse
from conversations.types import PublishRules

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
    "outcome",
    "met",
    "reported_by",
    "reported_at",
)
PULSE_COLUMNS = (
    "dimension",
    "window",
    "group",
    "track",
    "people",
    "answers",
    "average_rating",
    "published_at",
)


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


def pulse_aggregate(published: PublishedPulse) -> list[dict[str, Any]]:
    """One row per published window with a value, and one per side group it shows.

    Only stored figures go out, so a row present in two exports is the same in both; there is
    no running total (it would move with every newly published window).
    """
    rows = []
    for window in published.shown:
        figures = [("window", window.overall), *(("side", f) for f in window.sides)]
        for dimension, figure in figures:
            average = figure.average
            rows.append(
                {
                    "dimension": dimension,
                    "window": window.key.label,
                    "group": "other (small groups)" if figure.label == OTHER else figure.label,
                    "track": window.track,
                    "people": figure.respondents,
                    "answers": figure.answers,
                    "average_rating": None if average is None else round(average, 2),
                    "published_at": window.published_at,
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
    rules = PublishRules.from_config(config, app.clock.now())
    k = rules.k
    data = await repo.gather(today=rules.today, answer_by=rules.today)
    published = await published_pulse(app, rules)
    shown = {g.label for g in department_breakdown(data.participants, k).groups}
    pairs = [
        {**row, "reasons": ";".join(public_reason(r, shown) for r in row["reasons"])}
        for row in await repo.pair_rows()
    ]
    tables: list[tuple[str, Sequence[str], Iterable[Mapping[str, Any]]]] = [
        ("people.csv", PEOPLE_COLUMNS, await repo.people_rows()),
        ("pairs.csv", PAIR_COLUMNS, pairs),
        ("sessions.csv", SESSION_COLUMNS, await repo.session_rows()),
        ("pulse_aggregate.csv", PULSE_COLUMNS, pulse_aggregate(published)),
        # Consented comments of published windows only (so two exports cannot be differenced
        # around one answer), sorted so their order says nothing about who or when, and only
        # once k were shared: authors were promised anonymity, which a lone comment lacks.
        (
            "comments.csv",
            ("comment",),
            ({"comment": c} for c in shareable_comments(published.comments, k)),
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
