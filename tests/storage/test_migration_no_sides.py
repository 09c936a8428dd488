"""Migration 0011: the sides stored by the old "who had to call it off?" question are cleared;
everything else about the sessions stays. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from storage.db import create_engine, upgrade

T0 = datetime(2027, 1, 4, 9, tzinfo=UTC)


async def test_migration_0011_clears_who_called_a_session_off(blank_db_url: str) -> None:
    await upgrade(blank_db_url, revision="0007")
    engine = create_engine(blank_db_url)
    statements = [
        "INSERT INTO people (id, email, name, title, level, department, timezone, teaches, "
        "learns, status, first_in_line, created_at, updated_at) VALUES "
        "(1, 'bo@x.com', 'Bo', '', 2, '', '', '[]', '[]', 'enrolled', false, :at, :at), "
        "(2, 'tara@x.com', 'Tara', '', 7, '', '', '[]', '[]', 'enrolled', false, :at, :at)",
        "INSERT INTO pairs (id, mentor_id, mentee_id, score, reasons, status, created_at) "
        "VALUES (1, 1, 2, 1.0, '[]', 'active', :at)",
        "INSERT INTO sessions (pair_id, number, due_date, status, met, reported_by, "
        "reported_at, cancelled_by) VALUES "
        "(1, 1, '2027-02-08', 'missed', false, 1, :at, 'mentee'), "
        "(1, 2, '2027-03-08', 'missed', false, NULL, :at, NULL), "
        "(1, 3, '2027-04-05', 'met', true, 2, :at, NULL)",
    ]
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement), {"at": T0})
        await upgrade(blank_db_url)
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    text(
                        "SELECT number, status, reported_by, cancelled_by FROM sessions "
                        "ORDER BY number"
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    assert [tuple(r) for r in rows] == [
        (1, "missed", 1, None),
        (2, "missed", None, None),
        (3, "met", 2, None),
    ]
