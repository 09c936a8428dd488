"""Roster CSV parsing at scale and under random input, and the shipped sample roster (the rules
themselves: tests/conversations/test_roster.py)."""

from __future__ import annotations

import time
from importlib import resources

from hypothesis import given, settings
from hypothesis import strategies as st

from conversations.data.catalogue import all_topics
from conversations.enrolment.roster_csv import COLUMNS, parse_roster
from conversations.types import Role
from tests.conversations.test_roster import parse, roster

# --- scale and robustness --------------------------------------------------------------------


def test_100k_rows_parse_in_a_few_seconds() -> None:
    rows = [
        f"p{i}@example.com,Person {i},{8 if i == 0 else 1 + i % 7},"
        f"{'' if i == 0 else f'p{(i - 1) // 10}@example.com'},Europe/London,"
        f"{'mentor' if i % 3 else ''},GenAI tools;Allyship,"
        for i in range(100_000)
    ]
    data = roster(*rows).encode()
    started = time.perf_counter()
    result = parse_roster(data, known_managers={})
    elapsed = time.perf_counter() - started
    assert result.ok and len(result.entries) == 100_000
    assert elapsed < 15, f"took {elapsed:.1f}s"  # ~1.5 s on a laptop; generous for slow CI


def test_100k_rows_in_one_manager_loop_stay_linear() -> None:
    rows = [f"p{i}@x,,3,p{(i + 1) % 100_000}@x,,,," for i in range(100_000)]
    started = time.perf_counter()
    result = parse(roster(*rows))
    assert len(result.problems) == 100_000
    assert time.perf_counter() - started < 20


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(data: bytes) -> None:
    result = parse_roster(data, known_managers={})
    assert result.entries == () or result.problems == ()


_CELL = st.text(alphabet=st.sampled_from('ab@x.;,"\n\r 3-/É\t'), max_size=12)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_CELL, max_size=9), max_size=8), st.sampled_from([",", ";", "\t"]))
def test_random_csv_under_a_real_header_never_raises(rows: list[list[str]], sep: str) -> None:
    text = sep.join(COLUMNS) + "\n" + "\n".join(sep.join(r) for r in rows)
    result = parse_roster(text.encode("utf-8"), known_managers={"b@x": "a@x", "a@x": "b@x"})
    assert result.entries == () or result.problems == ()
    assert all(p.line >= 1 for p in result.problems)


# --- the shipped sample ----------------------------------------------------------------------


def test_the_sample_roster_parses_cleanly_and_uses_catalogue_topics() -> None:
    data = resources.files("bot.data").joinpath("sample_roster.csv").read_bytes()
    result = parse_roster(data, known_managers={})
    assert result.problems == ()
    entries = {e.email: e for e in result.entries}
    assert 50 <= len(entries) <= 70
    topics = set(all_topics())
    for entry in entries.values():
        assert set(entry.teaches + entry.learns) <= topics, entry.email
        if entry.manager_email:  # managers are more senior
            assert entries[entry.manager_email].level > entry.level, entry.email
        if entry.role is Role.MENTOR:
            assert entry.level <= 3 and entry.teaches, entry.email
        if entry.role is Role.MENTEE:
            assert entry.level >= 6 and entry.learns, entry.email
    roles = [e.role for e in entries.values()]
    assert roles.count(Role.MENTOR) >= 15 and roles.count(Role.MENTEE) >= 12
    assert roles.count(Role.EITHER) >= 2 and roles.count(None) >= 10
    assert [e.level for e in entries.values() if not e.manager_email] == [8]  # one CEO
