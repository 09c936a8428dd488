"""Parse and validate a roster CSV (README.md, "The roster") into `RosterEntry`s — pure, no I/O.

An import is all or nothing, so this module's job is to find *every* problem in one pass and
say each one the way an HR admin fixing the file in a spreadsheet needs it: `line N: column:
what is wrong`. Entries are returned only when there are no problems at all.

Decisions worth knowing:
- Encoding: UTF-8 with or without BOM. UTF-16 with a BOM is decoded too, because Excel's
  "Unicode Text" export produces it. Anything else gets one problem on the line of the first
  unreadable byte, telling the admin how to re-save as CSV UTF-8.
- Separator: a comma. When the header holds no comma but a tab or a semicolon, that character
  is used instead (Excel's "Unicode Text" is tab-separated; Excel in many European locales saves
  "CSV" with semicolons and then quotes any cell that itself contains one).
- Line numbers are physical lines of the file, header = line 1; a record whose quoted cell spans
  several lines is reported at the line where it starts.
- Emails (own and manager's) are stored lowercased; roles lowercased; time zones as written.
- Rows whose every cell is blank are skipped (spreadsheets pad files with them).
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import operator
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from conversations.enrolment.manager_chains import manager_problems
from conversations.enrolment.roster_cells import split_topics, timezone_problem
from conversations.types import Role, RosterEntry

# In the README's column order ("The roster"); the header may list them in any order and any case.
COLUMNS: tuple[str, ...] = tuple(
    "email name title level department manager_email timezone role teaches learns "
    "slack_id teams_id".split()
)
REQUIRED_COLUMNS: tuple[str, ...] = ("email", "level")

# Longest accepted value per column. Generous for real data, but a 10 kB "name" is a pasted
# mistake, and everything here ends up in chat messages and database columns.
MAX_LENGTH: Mapping[str, int] = {
    "email": 254,  # RFC 5321 path limit
    "name": 200,
    "title": 200,
    "department": 200,
    "manager_email": 254,
    "timezone": 64,
    "role": 20,
    "level": 20,
    "teaches": 2000,
    "learns": 2000,
    "slack_id": 64,
    "teams_id": 64,
}
MAX_TOPIC_LENGTH = 100
MAX_TOPICS = 30
MAX_LEVEL = 1000

# Deliberately lenient (no dot required after the @: some test domains have none) but it
# refuses the usual paste mistakes: display names, spaces, two addresses in one cell.
_EMAIL = re.compile(r"[^\s@\"',;:<>()\[\]\\]+@[^\s@\"',;:<>()\[\]\\]+")
_LEVEL = re.compile(r"[+-]?[0-9]+(?:\.0+)?")
_ID = re.compile(r"[A-Za-z0-9:._@-]+")
_ROLES: Mapping[str, Role | None] = {"": None, **{r.value: r for r in Role}}


@dataclass(frozen=True)
class RosterProblem:
    """One thing to fix: where it is (line, column) and what is wrong."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.column}: {self.message}"


@dataclass(frozen=True)
class RosterParse:
    """The outcome of parsing: entries only when `problems` is empty (all or nothing)."""

    entries: tuple[RosterEntry, ...]
    problems: tuple[RosterProblem, ...]

    @property
    def ok(self) -> bool:
        """True when the file can be imported."""
        return not self.problems


def parse_roster(data: bytes, *, known_managers: Mapping[str, str | None]) -> RosterParse:
    """Parse roster CSV bytes, checking every rule the README lists ("The roster"); never raises on
    bad input.

    `known_managers` maps each email already in the database (lowercased) to that person's
    manager email (lowercased) or None. It lets a row name a manager who is not in the file, and
    lets the loop check follow chains through people already imported (rows in the file
    override what the database says about the same person).
    """
    text = _decode(data)
    if isinstance(text, RosterProblem):
        return RosterParse((), (text,))
    records = _Records(text)
    problems: list[RosterProblem] = []
    try:
        header = next((r for r in records if any(c.strip() for c in r)), None)
        if header is None:
            message = "the file is empty; line 1 must be a header such as email,name,level,role"
            return _fail([RosterProblem(1, "header", message)])
        header_line = records.line
        problems, columns = _read_header(header_line, header)
        if not all(c in columns for c in REQUIRED_COLUMNS):
            return _fail(problems)
        checker = _RowChecker(columns, header)
        for cells in records:
            checker.check(records.line, cells)
    except csv.Error as err:  # a cell past the csv module's size limit (an unclosed quote)
        message = f"cannot be read as CSV: {err} (is a double quote missing?)"
        return _fail([*problems, RosterProblem(records.line, "file", message)])
    problems.extend(checker.problems)
    # Lowercase defensively: a caller holding mixed-case emails must not see false problems.
    known = {k.lower(): (v.lower() if v else None) for k, v in known_managers.items()}
    problems.extend(
        RosterProblem(line, "manager_email", message)
        for line, message in manager_problems(checker.people, known)
    )
    if problems:
        return _fail(problems)
    return RosterParse(tuple(checker.entries), ())


def format_problems(problems: Sequence[RosterProblem], limit: int = 50) -> str:
    """List problems one a line, the first `limit` of them, then "… and N more"."""
    shown = [str(p) for p in problems[: max(limit, 0)]]
    if len(problems) > len(shown):
        shown.append(f"… and {len(problems) - len(shown)} more")
    return "\n".join(shown)


# --- reading ---------------------------------------------------------------------------------


def _fail(problems: Iterable[RosterProblem]) -> RosterParse:
    # Stable sort: problems on one line keep the order the checks found them in.
    return RosterParse((), tuple(sorted(problems, key=lambda p: p.line)))


_RESAVE = (
    'save it again as UTF-8 (Excel: Save As › "CSV UTF-8 (Comma delimited)"; '
    "Google Sheets: File › Download › CSV)"
)


def _decode(data: bytes) -> str | RosterProblem:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, body = "utf-16", data  # the codec reads the BOM to pick the byte order
    else:
        encoding, body = "utf-8", data.removeprefix(codecs.BOM_UTF8)
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as err:
        line = body[: err.start].decode(encoding, errors="replace").count("\n") + 1
        byte = body[err.start : err.start + 1].hex().upper()
        message = f"the file is not {encoding.upper()} text (byte 0x{byte} on this line); {_RESAVE}"
        return RosterProblem(line, "file", message)
    nul = text.find("\x00")
    if nul >= 0:  # UTF-16 without a BOM decodes as "UTF-8" full of NULs
        line = text.count("\n", 0, nul) + 1
        return RosterProblem(line, "file", f"contains NUL characters; {_RESAVE}")
    return text


class _Records:
    """The CSV records of `text`, with `line` = the physical line where the latest one starts."""

    def __init__(self, text: str) -> None:
        first_line = text.split("\n", 1)[0]
        delimiter = ","
        if "," not in first_line:
            delimiter = "\t" if "\t" in first_line else ";" if ";" in first_line else ","
        # newline="" keeps quoted line breaks inside cells and counts \r\n, \n and \r alike.
        self._reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        self.line = 1

    def __iter__(self) -> Iterator[list[str]]:
        return self

    def __next__(self) -> list[str]:
        # line_num is the last physical line read so far, so the next record starts after it.
        self.line = self._reader.line_num + 1
        return next(self._reader)


def _read_header(line: int, cells: list[str]) -> tuple[list[RosterProblem], dict[str, int]]:
    """Map each known column name to its cell index; report unknown, repeated, missing."""
    problems: list[RosterProblem] = []

    def problem(message: str) -> None:
        problems.append(RosterProblem(line, "header", message))

    columns: dict[str, int] = {}
    unknown: list[str] = []
    for index, raw in enumerate(cells):
        name = raw.strip().lstrip("\ufeff").strip().lower()
        if not name:
            continue  # spreadsheets add blank columns at the edge; their cells are checked
        if name in columns:
            problem(f"column {name!r} appears more than once")
        elif name in COLUMNS:
            columns[name] = index
        else:
            unknown.append(raw.strip())
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name.lower().replace(" ", "_"), COLUMNS, n=1)
            hints.append(f"{name!r} (did you mean {close[0]!r}?)" if close else repr(name))
        problem(
            f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(hints)}; "
            f"allowed columns are {', '.join(COLUMNS)}"
        )
    for name in REQUIRED_COLUMNS:
        if name not in columns:
            problem(f"required column {name!r} is missing")
    return problems, columns


# --- rows ------------------------------------------------------------------------------------


class _RowChecker:
    """Checks rows one by one, remembering emails seen so duplicates name their first line."""

    def __init__(self, columns: Mapping[str, int], header: Sequence[str]) -> None:
        self.columns = tuple(columns.items())
        self.limits = tuple(MAX_LENGTH[name] for name in columns)
        self.width = len(header)
        # Cells under unknown columns are already reported once, in the header.
        self.unnamed = tuple(i for i, name in enumerate(header) if not name.strip())
        self.first_line: dict[str, int] = {}
        self.entries: list[RosterEntry] = []
        self.problems: list[RosterProblem] = []
        # (line, email, manager email) of every first copy of a usable email, problems or not,
        # so a bad level on one row does not make its reports look like unknown managers.
        self.people: list[tuple[int, str, str]] = []

    def check(self, line: int, cells: list[str]) -> None:
        """Validate one record; keep its entry when it has no problem."""
        # This runs once a row (a million times for a big company): fast paths first.
        joined = "".join(cells)
        if not joined.strip():
            return
        before = len(self.problems)
        if len(cells) > self.width or self.unnamed:
            self.stray_cells(line, cells)
        if len(cells) < self.width:  # a spreadsheet may drop trailing empty cells
            cells = cells + [""] * (self.width - len(cells))
        values = {name: cells[i].strip() for name, i in self.columns}
        too_long = any(map(operator.gt, map(len, values.values()), self.limits))
        if too_long or "\n" in joined or "\r" in joined:
            for name, value in values.items():
                if len(value) > MAX_LENGTH[name]:
                    limit = MAX_LENGTH[name]
                    self.add(line, name, f"is too long ({len(value)} characters, at most {limit})")
                    values[name] = ""
                elif ("\n" in value or "\r" in value) and name not in ("teaches", "learns"):
                    self.add(line, name, "contains a line break (is a double quote missing?)")
                    values[name] = ""
        get = values.get
        email = self.email(line, get("email", ""))
        level = self.level(line, get("level", ""))
        role_text = get("role", "").lower()
        if role_text not in _ROLES:
            self.add(line, "role", f"must be mentor, mentee, either or blank, not {get('role')!r}")
        timezone = get("timezone", "")
        if timezone and (problem := timezone_problem(timezone)):
            self.add(line, "timezone", problem)
        manager = get("manager_email", "").lower()
        if manager and not _EMAIL.fullmatch(manager):
            self.add(line, "manager_email", f"is not an email address: {get('manager_email')!r}")
            manager = ""
        elif manager and manager == email:
            self.add(line, "manager_email", "is the person's own email")
        teaches = self.topics(line, "teaches", get("teaches", ""))
        learns = self.topics(line, "learns", get("learns", ""))
        for name in ("slack_id", "teams_id"):
            if get(name) and not _ID.fullmatch(values[name]):
                self.add(line, name, f"is not a user id: {values[name]!r}")
        if email is not None:
            self.people.append((line, email, manager))
        if email is None or level is None or len(self.problems) > before:
            return
        self.entries.append(
            RosterEntry(
                line=line,
                email=email,
                name=get("name", ""),
                level=level,
                title=get("title", ""),
                department=get("department", ""),
                manager_email=manager,
                timezone=timezone,
                role=_ROLES[role_text],
                teaches=teaches,
                learns=learns,
                slack_id=get("slack_id", ""),
                teams_id=get("teams_id", ""),
            )
        )

    def stray_cells(self, line: int, cells: list[str]) -> None:
        """Report the first text that sits under no column name (once a row is enough)."""
        for index in (*self.unnamed, *range(self.width, len(cells))):
            if index < len(cells) and cells[index].strip():
                where = "is past the last column" if index >= self.width else "has no header"
                hint = "; put a cell that contains a comma in double quotes"
                text = cells[index].strip()[:40]
                self.add(line, f"column {index + 1}", f"{text!r} {where}{hint}")
                return

    def add(self, line: int, column: str, message: str) -> None:
        """Record one problem."""
        self.problems.append(RosterProblem(line, column, message))

    def email(self, line: int, raw: str) -> str | None:
        """The lowercased email, or None after recording why it is unusable."""
        email = raw.lower()
        if not email:
            self.add(line, "email", "is missing")
            return None
        if not _EMAIL.fullmatch(email):
            self.add(line, "email", f"is not an email address: {raw!r}")
            return None
        first = self.first_line.setdefault(email, line)
        if first != line:
            self.add(line, "email", f"{raw} is a duplicate of line {first}")
            return None
        return email

    def level(self, line: int, raw: str) -> int | None:
        """The level as an int, or None after recording why it is unusable."""
        if not raw:
            self.add(line, "level", "is missing; give a whole number, higher = more senior")
            return None
        if not _LEVEL.fullmatch(raw):
            self.add(line, "level", f"must be a whole number, not {raw!r}")
            return None
        level = int(raw.split(".", 1)[0])  # "4.0" is what some exports write for 4
        if not 0 <= level <= MAX_LEVEL:
            self.add(line, "level", f"must be between 0 and {MAX_LEVEL}, not {level}")
            return None
        return level

    def topics(self, line: int, column: str, raw: str) -> tuple[str, ...]:
        """Split on ';' (and on line breaks: Alt+Enter in a cell), trim, drop blanks and
        case-insensitive repeats (the first spelling wins)."""
        topics = split_topics(raw)
        if not topics:
            return topics
        long = [t for t in topics if len(t) > MAX_TOPIC_LENGTH]
        if long:
            self.add(
                line,
                column,
                f"topic {long[0][:40]!r}… is longer than {MAX_TOPIC_LENGTH} characters "
                "(separate topics with ';')",
            )
        elif len(topics) > MAX_TOPICS:
            self.add(line, column, f"lists {len(topics)} topics; at most {MAX_TOPICS}")
        return topics
