"""An operator's first hour: the real `mentorbot` command as a subprocess.

Database trouble in one line for every command, SQLite paths next to app.yaml, a dry run that
touches no file (`mentorbot health` and the CLI wording: test_operator_health.py).
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from storage.db import upgrade
from tests.bot.operator_cli import (
    EVERY_COMMAND,
    ROSTER,
    closed_port,
    one_line_error,
    pg_server_url,
    run,
    workdir_in,
)
from tests.serving import serve as serve_process


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return workdir_in(tmp_path)


# --- Database trouble is one line, for every command -------------------------------------------


@pytest.mark.parametrize("command", EVERY_COMMAND, ids=lambda c: " ".join(c))
def test_a_refused_connection_is_one_line_for_every_command(
    workdir: Path, command: tuple[str, ...]
) -> None:
    url = f"postgresql://mentorbot:s3cret-pw@127.0.0.1:{closed_port()}/mentorbot"
    ran = run(workdir, *command, env={"DATABASE_URL": url, "MENTORBOT_DB_WAIT_SECONDS": "0"})
    line = one_line_error(ran)
    assert "cannot connect to the database at 127.0.0.1:" in line and "connection refused" in line
    assert "s3cret-pw" not in ran.err + ran.out


def test_an_unknown_postgresql_database_is_one_line(workdir: Path) -> None:
    url = make_url(pg_server_url()).set(database="mentorbot_no_such_db")
    for command in (("report",), ("db", "upgrade"), ("serve",)):
        ran = run(workdir, *command, env={"DATABASE_URL": url.render_as_string(False)})
        line = one_line_error(ran)
        assert "the database 'mentorbot_no_such_db' does not exist on 127.0.0.1" in line
        assert "createdb mentorbot_no_such_db" in line


def test_an_unsupported_url_scheme_is_one_line_without_the_password(workdir: Path) -> None:
    dry_run = ("roster", "import", "people.csv", "--dry-run")
    for command in (("report",), ("db", "upgrade"), ("serve",), dry_run):
        ran = run(workdir, *command, env={"DATABASE_URL": "mysql://root:hunter2@db/mentorbot"})
        line = one_line_error(ran)
        assert line.startswith("mentorbot: DATABASE_URL: unsupported database URL")
        assert "postgresql://" in line and "hunter2" not in ran.err + ran.out


def test_sqlite_in_a_missing_folder_is_one_line_and_creates_nothing(workdir: Path) -> None:
    commands = (
        ("report",),
        ("db", "upgrade"),
        ("serve",),
        ("roster", "import", "x.csv"),
        ("roster", "import", "people.csv", "--dry-run"),  # fails just as the real import would
    )
    for command in commands:
        ran = run(workdir, *command, env={"DATABASE_URL": "sqlite:///no/such/folder/x.db"})
        line = one_line_error(ran)
        assert f"the folder {workdir / 'no/such/folder'} does not exist" in line
    assert not (workdir / "no").exists()


def test_serve_waits_for_a_refused_database_for_a_bounded_time(workdir: Path) -> None:
    url = f"postgresql://mentorbot@127.0.0.1:{closed_port()}/mentorbot"
    ran = run(workdir, "serve", env={"DATABASE_URL": url, "MENTORBOT_DB_WAIT_SECONDS": "1"})
    line = one_line_error(ran)
    assert "connection refused" in line and "Gave up after waiting 1 s." in line
    assert "Trying again for up to 1 s." in ran.out  # said once, on stdout, while waiting
    assert ran.out.count("Trying again") == 1


@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
async def test_serve_starts_once_a_starting_database_accepts_connections(
    blank_db_url: str, workdir: Path
) -> None:
    """A database that refuses connections at first (still starting) and then comes up: the
    retry reaches it, migrates it, and `serve` runs — through a loopback relay on a port that
    is closed until the relay opens it after the first retries."""
    from bot.database import open_database

    target = make_url(blank_db_url)
    port = closed_port()
    relay: asyncio.Server | None = None

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()

    async def forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(target.host, target.port or 5432)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    slept: list[float] = []
    told: list[str] = []

    async def sleep(seconds: float) -> None:
        nonlocal relay
        slept.append(seconds)
        if len(slept) == 3:  # the database "finishes starting" after three refusals
            relay = await asyncio.start_server(forward, "127.0.0.1", port)

    url = target.set(port=port).render_as_string(hide_password=False)
    try:
        await open_database(url, wait=30, sleep=sleep, waiting=told.append)
    finally:
        if relay is not None:
            relay.close()
    assert slept == [0.5, 1.0, 2.0]  # backoff, and no sleeping once it answers
    assert len(told) == 1 and "Trying again for up to 30 s." in told[0]
    ran = run(workdir, "report", env={"DATABASE_URL": blank_db_url})
    assert ran.code == 0, ran.err  # migrated through the relay: the tables are there


async def test_the_retry_is_bounded_by_its_wait() -> None:
    from bot.database import open_database
    from bot.errors import UserError

    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    url = f"postgresql://mentorbot@127.0.0.1:{closed_port()}/mentorbot"
    with pytest.raises(UserError, match="Gave up after waiting 10 s"):
        await open_database(url, wait=10, sleep=sleep, monotonic=lambda: now[0])
    assert slept == [0.5, 1.0, 2.0, 4.0, 2.5]  # doubling, the last one cut to the deadline
    assert sum(slept) == 10


# --- Relative SQLite paths are next to app.yaml ------------------------------------------------


def test_the_default_database_is_next_to_app_yaml_not_the_current_directory(
    workdir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    ran = run(workdir, "db", "upgrade", cwd=elsewhere)
    assert ran.code == 0, ran.err
    assert f"Database: {workdir / 'mentorbot.db'}" in ran.out.splitlines()
    assert (workdir / "mentorbot.db").is_file() and not list(elsewhere.iterdir())
    # A relative DATABASE_URL too; `report` from a third directory reads the same file.
    (workdir / "data").mkdir()
    env = {"DATABASE_URL": "sqlite:///data/x.db"}
    ran = run(workdir, "roster", "import", str(workdir / "people.csv"), env=env, cwd=elsewhere)
    assert ran.code == 0, ran.err
    assert (workdir / "data" / "x.db").is_file() and not list(elsewhere.iterdir())
    ran = run(workdir, "report", env=env, cwd=tmp_path_factory.mktemp("third"))
    assert "Participants: 2" in ran.out


@pytest.mark.parametrize(
    ("url", "resolved"),
    [
        ("sqlite+aiosqlite:///mentorbot.db", "sqlite+aiosqlite:///{dir}/mentorbot.db"),
        ("sqlite:///data/x.db", "sqlite:///{dir}/data/x.db"),
        ("sqlite:///file:data/x.db?uri=true", "sqlite:///file:{dir}/data/x.db?uri=true"),
        ("sqlite:////var/lib/x.db", "sqlite:////var/lib/x.db"),  # absolute: as it is
        ("sqlite:///:memory:", "sqlite:///:memory:"),
        ("sqlite:///file:x?mode=memory&uri=true", "sqlite:///file:x?mode=memory&uri=true"),
        ("postgresql://u:p@db/x", "postgresql://u:p@db/x"),
    ],
)
def test_which_database_urls_are_resolved_next_to_app_yaml(
    workdir: Path, url: str, resolved: str
) -> None:
    from bot.settings import load_settings

    settings = load_settings(workdir / "app.yaml", {"DATABASE_URL": url})
    assert settings.secrets.database_url == resolved.format(dir=workdir)


async def test_serve_prints_the_resolved_database_and_says_once_that_no_platform_is_set(
    workdir: Path,
) -> None:
    async with serve_process(workdir, "sqlite:///served.db") as served:
        pass
    printed = served.log_text
    assert f"Database: {workdir / 'served.db'}" in printed
    assert printed.count("No Slack or Teams settings") == 1
    assert (workdir / "served.db").is_file()


# --- A dry run touches no file -----------------------------------------------------------------


def files_in(folder: Path) -> dict[str, bytes]:
    """The database files in `folder` (-wal and -shm included) and their bytes."""
    kept = ("db", "-wal", "-shm")
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.name.endswith(kept)}


def test_a_dry_run_creates_no_database(workdir: Path) -> None:
    ran = run(workdir, "roster", "import", "people.csv", "--dry-run")
    assert ran.code == 0, ran.err
    assert "Would import 3 people: 3 new, 0 updated, 0 unchanged; 2 newly enrolled." in ran.out
    assert files_in(workdir) == {}


def test_a_dry_run_changes_no_existing_database(workdir: Path) -> None:
    assert run(workdir, "roster", "import", "people.csv").code == 0
    before = files_in(workdir)
    assert list(before) == ["mentorbot.db"]
    (workdir / "more.csv").write_text(
        ROSTER + "lee@example.com,Lee Chan,VP,7,Sales,,UTC,mentee,,\n"
    )
    ran = run(workdir, "roster", "import", "more.csv", "--dry-run")
    assert ran.code == 0, ran.err
    # Checked against what is stored: three people unchanged, one new.
    assert "Would import 4 people: 1 new, 0 updated, 3 unchanged; 1 newly enrolled." in ran.out
    assert files_in(workdir) == before  # same bytes, no -wal or -shm left behind


async def test_a_dry_run_does_not_migrate_an_older_database(workdir: Path) -> None:
    """A file at the first schema version stays at it: the dry run migrates its copy."""
    path = workdir / "mentorbot.db"
    await upgrade(f"sqlite+aiosqlite:///{path}", "0001")
    before = files_in(workdir)
    ran = await asyncio.to_thread(run, workdir, "roster", "import", "people.csv", "--dry-run")
    assert ran.code == 0, ran.err
    assert "Would import 3 people: 3 new" in ran.out
    assert files_in(workdir) == before
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [
            ("0001",)
        ]


@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
def test_a_dry_run_on_postgresql_stores_nothing(workdir: Path, db_url: str) -> None:
    ran = run(workdir, "roster", "import", "people.csv", "--dry-run", env={"DATABASE_URL": db_url})
    assert "Would import 3 people" in ran.out
    assert "Participants: 0" in run(workdir, "report", env={"DATABASE_URL": db_url}).out
