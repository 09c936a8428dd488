"""The command parser and the roster parser on hostile text: a typed answer, never a raise."""

from __future__ import annotations

import csv
import io
import re
import typing

from hypothesis import given
from hypothesis import strategies as st

from conversations import grammar, registry
from conversations.enrolment.roster_csv import COLUMNS, parse_roster
from tests.hostile.strategies import FUZZ, HUGE, SPECIALS, odd_text

PARSED = typing.get_args(grammar.ParsedCommand)
WORDS = (
    *(w for e in registry.COMMANDS for w in (e.word, *e.also, *e.phrases) if w),
    "forget",
    "with",
    "until",
    "as",
)
PROBLEM = re.compile(r"^line \d+: [^:]+: .+", re.DOTALL)

command_text = st.one_of(
    odd_text,
    st.lists(st.one_of(st.sampled_from(WORDS), odd_text), min_size=1, max_size=6).map(" ".join),
)


@FUZZ
@given(text=command_text)
def test_parse_always_returns_a_typed_command(text: str) -> None:
    parsed = registry.parse(text)
    assert isinstance(parsed, PARSED)
    if isinstance(parsed, grammar.Unknown):
        assert isinstance(parsed.problem, str) and isinstance(parsed.suggestion, str)
        assert len(parsed.text) <= max(len(text), 80)
    assert isinstance(registry.is_admin_command(parsed), bool)


def test_parse_specials_and_huge_text() -> None:
    for text in (
        *SPECIALS,
        *HUGE,
        "",
        "   ",
        "/",
        "/ ",
        "pause \u00a0until\u3000",
        "pair \x00 with",
    ):
        assert isinstance(registry.parse(text), PARSED)
    assert isinstance(registry.parse("x" * 1_000_000), grammar.Unknown)
    # Look-alikes of admin words must not parse as admin commands (or as anything else).
    for text in ("m\u200batch publish", "\u202ematch", "match\u00a0publish\u200b"):
        assert not isinstance(registry.parse(text), grammar.Match)


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


cells = st.one_of(odd_text, st.sampled_from(["a@b.c", "3", "mentor", "Europe/London", ""]))
rows = st.lists(st.lists(cells, max_size=len(COLUMNS) + 2), max_size=6)


@FUZZ
@given(rows=rows, encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]))
def test_roster_of_odd_cells_in_any_encoding_is_entries_or_problems(
    rows: list[list[str]], encoding: str
) -> None:
    text = _csv([list(COLUMNS), *rows])
    data = text.encode(
        encoding, errors="surrogatepass" if encoding.startswith("utf") else "replace"
    )
    result = parse_roster(data, known_managers={})
    assert (result.entries == ()) or (result.problems == ())
    for problem in result.problems:
        assert PROBLEM.match(str(problem)), str(problem)
