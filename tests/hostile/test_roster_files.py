"""Hostile roster files through `mentorbot roster import`, and what `mentorbot export` makes
of hostile cells: a clear exit-1 message (no traceback, nothing written) or a clean import."""

from __future__ import annotations

import asyncio
import codecs
import csv
import os
import resource
import sys
import time
from pathlib import Path

import pytest

from storage.store import SqlStore
from tests.hostile.conftest import APP_YAML

SQLITE_ONLY = pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
HEADER = "email,name,title,level,role\n"
GOOD = HEADER + "zoë@example.com,Zoë Ørsted,Directrice générale,7,mentee\n"


async def cli(workdir: Path, db_url: str, *args: str) -> tuple[int, str, str]:
    """`mentorbot ARGS` in a subprocess: (exit code, stdout, stderr)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--config",
        str(workdir / "app.yaml"),
        *args,
        cwd=workdir,
        env={**os.environ, "DATABASE_URL": db_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "app.yaml").write_text(APP_YAML)
    return tmp_path


@pytest.mark.parametrize(
    ("encoding", "says"),
    [
        ("latin-1", "not UTF-8"),  # Excel's "CSV" on Windows, Western European
        ("cp1252", "not UTF-8"),
        ("utf-16-le", "not UTF-8"),  # UTF-16 without a byte-order mark
        ("utf-16-be", "not UTF-8"),
        ("ascii-as-utf-16-le", "NUL"),  # plain ASCII text as UTF-16: decodes, full of NULs
    ],
)
async def test_a_file_in_another_encoding_is_refused_naming_the_problem(
    workdir: Path, db_url: str, store: SqlStore, encoding: str, says: str
) -> None:
    text = (
        GOOD.replace("ë", "e").replace("Ø", "O").replace("é", "e") if "ascii" in encoding else GOOD
    )
    (workdir / "people.csv").write_bytes(text.encode(encoding.removeprefix("ascii-as-")))
    code, out, err = await cli(workdir, db_url, "roster", "import", "people.csv")
    assert code == 1, out + err
    assert says in err and "UTF-8" in err and "line" in err, err
    assert "Traceback" not in err
    assert await store.all_people() == []  # nothing written


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF8 + GOOD.encode("utf-8"),  # Excel's "CSV UTF-8"
        GOOD.encode("utf-16"),  # UTF-16 with a BOM: Excel's "Unicode Text"
        GOOD.encode("utf-8"),
    ],
    ids=["utf-8-bom", "utf-16-bom", "utf-8"],
)
async def test_utf8_with_or_without_bom_and_bom_marked_utf16_import(
    workdir: Path, db_url: str, store: SqlStore, data: bytes
) -> None:
    (workdir / "people.csv").write_bytes(data)
    code, _, err = await cli(workdir, db_url, "roster", "import", "people.csv")
    assert code == 0, err
    [zoe] = await store.all_people()
    assert (zoe.email, zoe.name, zoe.title) == (
        "zoë@example.com",
        "Zoë Ørsted",
        "Directrice générale",
    )


INJECTIONS = {
    "a@example.com": ("=cmd|' /C calc'!A0", '=HYPERLINK("http://evil","x")'),
    "b@example.com": ("+1+2", "@SUM(A1:A9)"),
    "c@example.com": ("-2+3", "\t=1+2"),  # a tab before the formula: trimmed, then defused
    "d@example.com": ("\r=1+2", '=DDE("cmd";"/C calc";"x")'),
}


async def test_formula_cells_import_as_data_and_export_defused(
    workdir: Path, db_url: str, store: SqlStore
) -> None:
    with (workdir / "people.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["email", "name", "title", "level", "role"])
        for i, (email, (name, title)) in enumerate(INJECTIONS.items()):
            writer.writerow([email, name, title, i + 1, "mentor"])
    code, out, err = await cli(workdir, db_url, "roster", "import", "people.csv")
    assert code == 0, err
    stored = {p.email: (p.name, p.title) for p in await store.all_people()}
    # Stored as typed (trimmed): the data is the person's, only the spreadsheet is defended.
    assert stored == {e: (n.strip(), t.strip()) for e, (n, t) in INJECTIONS.items()}

    code, out, err = await cli(workdir, db_url, "export", str(workdir / "csv"))
    assert code == 0, err
    with (workdir / "csv" / "people.csv").open(encoding="utf-8-sig", newline="") as exported:
        rows = {r["email"]: r for r in csv.DictReader(exported)}
    for email, (name, title) in stored.items():
        assert rows[email]["name"] == "'" + name
        assert rows[email]["title"] == "'" + title
    for path in (workdir / "csv").glob("*.csv"):
        for row in csv.reader(path.open(encoding="utf-8-sig", newline="")):
            assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in row), (
                path.name,
                row,
            )


MILLION = int(os.environ.get("HOSTILE_ROSTER_ROWS", "1000000"))


@SQLITE_ONLY
async def test_a_million_row_roster_is_refused_quickly_with_bounded_memory(
    workdir: Path, db_url: str, store: SqlStore
) -> None:
    """A million rows is past the row limit (bot/roster_import.py MAX_ROWS): one clear
    message, nothing written, memory bounded by the file size (it is never parsed)."""
    path = workdir / "big.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("email,name,title,level,department,manager_email,timezone,role\n")
        for i in range(MILLION):
            manager = f"p{(i - 1) // 10}@example.com" if i else ""
            out.write(f"p{i}@example.com,Person {i},T,{1 + i % 7},D{i % 20},{manager},UTC,mentor\n")
    size_mb = path.stat().st_size / 2**20
    started = time.perf_counter()
    code, out, err = await cli(workdir, db_url, "roster", "import", "big.csv")
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"\n{MILLION} rows ({size_mb:.0f} MB): exit {code} in {elapsed:.1f} s, "
        f"peak {peak_mb:.0f} MB"
    )
    assert code == 1, out
    assert "rows" in err and "at most" in err and "Traceback" not in err, err
    assert await store.all_people() == []
    assert elapsed < 120
    assert peak_mb < 1024


@SQLITE_ONLY
async def test_the_row_limit_is_configurable_and_names_itself(
    workdir: Path, db_url: str, store: SqlStore
) -> None:
    rows = "".join(f"p{i}@example.com,P{i},T,{i + 1},mentor\n" for i in range(5))
    (workdir / "people.csv").write_text(HEADER + rows)
    os.environ["MENTORBOT_MAX_ROSTER_ROWS"] = "4"
    try:
        code, _, err = await cli(workdir, db_url, "roster", "import", "people.csv")
        assert code == 1 and "MENTORBOT_MAX_ROSTER_ROWS" in err and "at most 4 rows" in err, err
        assert await store.all_people() == []
        os.environ["MENTORBOT_MAX_ROSTER_ROWS"] = "lots"
        code, _, err = await cli(workdir, db_url, "roster", "import", "people.csv")
        assert code == 1 and "positive whole number" in err and "Traceback" not in err, err
        os.environ["MENTORBOT_MAX_ROSTER_ROWS"] = "5"
        code, _, err = await cli(workdir, db_url, "roster", "import", "people.csv")
        assert code == 0, err
    finally:
        del os.environ["MENTORBOT_MAX_ROSTER_ROWS"]
    assert len(await store.all_people()) == 5
