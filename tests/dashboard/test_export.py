"""`mentorbot export DIR`: CSV content, privacy, and formula injection neutralised."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import pytest
from sqlalchemy import update

from bot.app import build_app
from bot.cli import main
from bot.export import safe_cell
from bot.settings import Secrets, Settings, parse_config
from storage.db import create_engine, make_sessionmaker, upgrade
from storage.models import PairRow, PersonRow
from tests.dashboard.seed import (
    CONSENTED_COMMENTS,
    FORMULA_COMMENT,
    NOW,
    PRIVATE_COMMENT,
    SCRIPT_NAME,
    seed_programme,
)
from tests.fakes import FakeClock

FILES = ["people.csv", "pairs.csv", "sessions.csv", "pulse_aggregate.csv", "comments.csv"]


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1 great", "'+1 great"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rCR", "'\rCR"),
        ("plain = fine", "plain = fine"),
        (None, ""),
        (True, "true"),
        (3, "3"),
    ],
)
def test_cells_that_a_spreadsheet_would_run_get_an_apostrophe(value: object, cell: str) -> None:
    assert safe_cell(value) == cell


async def _make_formula_person(url: str, person_id: int) -> None:
    engine = create_engine(url)
    try:
        async with make_sessionmaker(engine).begin() as session:
            await session.execute(
                update(PersonRow)
                .where(PersonRow.id == person_id)
                .values(name="=cmd|' /C calc'!A0", title="-2+3", department="@SUM(A1)")
            )
    finally:
        await engine.dispose()


async def test_export_writes_private_safe_csv_files(db_url: str, tmp_path: Path) -> None:
    seeded = await seed_programme(db_url)
    await _make_formula_person(db_url, seeded.people["e4"])
    config = parse_config({"programme": {"start_date": "2027-01-11"}})
    settings = Settings(config, Secrets(database_url=db_url))
    from bot.export import run_export

    async with build_app(settings, clock=FakeClock(NOW)) as app:
        written = await run_export(app, tmp_path / "out" / "nested")
    assert [p.name for p in written] == FILES
    assert (tmp_path / "out" / "nested" / "people.csv").read_bytes().startswith(b"\xef\xbb\xbf")

    people = {int(row["id"]): row for row in read(written[0])}
    assert "paused_until" not in next(iter(people.values()))
    gone = people[seeded.people["gone"]]
    assert gone["status"] == "forgotten" and gone["email"] == gone["name"] == ""
    assert gone["level"] == gone["role"] == ""
    assert people[seeded.people["e2"]]["name"] == SCRIPT_NAME  # CSV is text, not HTML
    formula = people[seeded.people["e4"]]
    assert formula["name"] == "'=cmd|' /C calc'!A0"
    assert (formula["title"], formula["department"]) == ("'-2+3", "'@SUM(A1)")

    assert len(read(written[1])) == 9
    sessions = read(written[2])
    assert len(sessions) == 22 and {"met", "true", "false", ""} >= {s["met"] for s in sessions}

    # Round 1's session 1 is the only closed window with 5 or more respondents; session 2
    # (2 people) has no row, and two seniors are too few for a per-side row.
    pulse = read(written[3])
    assert all(int(row["people"]) >= 5 for row in pulse)
    assert [(row["dimension"], row["window"], row["group"]) for row in pulse] == [
        ("window", "Round 1 · session 1", "all")
    ]
    assert (pulse[0]["people"], pulse[0]["answers"], pulse[0]["average_rating"]) == (
        "8",
        "9",
        "3.89",
    )

    comments = [row["comment"] for row in read(written[4])]
    assert list(read(written[4])[0]) == ["comment"]  # no name, pair, date or side column
    assert PRIVATE_COMMENT not in comments
    assert "'" + FORMULA_COMMENT in comments and "'+1 would do again" in comments
    assert len(comments) == len(CONSENTED_COMMENTS) and comments == sorted(comments)
    text = written[4].read_text(encoding="utf-8-sig")
    assert not any(row["name"] and row["name"] in text for row in people.values())


def _cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    config = tmp_path / "app.yaml"
    config.write_text("programme:\n  start_date: 2027-01-11\n")
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    return main(["--config", str(config), *args])


def test_cli_export_writes_the_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    asyncio.run(upgrade(url))
    asyncio.run(seed_programme(url))
    assert _cli(tmp_path, monkeypatch, "export", str(tmp_path / "csv")) == 0
    assert "Wrote 5 files" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == sorted(FILES)


def test_cli_export_into_a_file_is_a_user_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "taken").write_text("not a folder")
    assert _cli(tmp_path, monkeypatch, "export", str(tmp_path / "taken")) == 1
    assert "is a file; give a folder" in capsys.readouterr().err
    assert _cli(tmp_path, monkeypatch, "export", str(tmp_path / "taken" / "sub")) == 1
    err = capsys.readouterr().err
    assert "cannot create" in err and "Traceback" not in err


async def test_pairs_csv_reasons_name_no_one_and_no_small_department(
    db_url: str, tmp_path: Path
) -> None:
    seeded = await seed_programme(db_url)
    reasons = [
        "teaches ai and excel, which Senior wants to learn",
        "Engineering ↔ Legal",
        "Finance ↔ Sales",
        "level gap 6",
    ]
    engine = create_engine(db_url)
    try:
        async with make_sessionmaker(engine).begin() as session:
            await session.execute(
                update(PairRow).where(PairRow.id == seeded.pairs["P1"]).values(reasons=reasons)
            )
    finally:
        await engine.dispose()
    config = parse_config({"programme": {"start_date": "2027-01-11"}})
    settings = Settings(config, Secrets(database_url=db_url))
    from bot.export import run_export

    async with build_app(settings, clock=FakeClock(NOW)) as app:
        written = await run_export(app, tmp_path)
    pairs = {int(row["id"]): row for row in read(written[1])}
    # Engineering (7 people) is the only department the dashboard shows: Sales (6) joins Legal
    # and Finance (3 together) in "other", or they would follow from the total.
    assert pairs[seeded.pairs["P1"]]["reasons"] == (
        "teaches ai and excel, which the mentee wants to learn;"
        "Engineering ↔ another department;another department ↔ another department;level gap 6"
    )
    text = written[1].read_text(encoding="utf-8-sig")
    names = {row["name"].split()[0] for row in read(written[0]) if row["name"]}
    assert not any(name in text for name in names)
    assert not any(dept in text for dept in ("Legal", "Finance", "Sales"))
