"""Roster CSV parsing (README.md, "The roster"): every rule, with the exact line an admin would
read."""

from __future__ import annotations

import codecs

from conversations.enrolment.roster_csv import (
    COLUMNS,
    RosterParse,
    RosterProblem,
    format_problems,
    parse_roster,
)
from conversations.types import Role, RosterEntry

HEADER = "email,name,level,manager_email,timezone,role,teaches,learns"


def parse(text: str, known: dict[str, str | None] | None = None) -> RosterParse:
    return parse_roster(text.encode("utf-8"), known_managers=known or {})


def lines(text: str, known: dict[str, str | None] | None = None) -> list[str]:
    result = parse(text, known)
    assert result.entries == ()  # all or nothing
    return [str(p) for p in result.problems]


def roster(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


# --- a good file -----------------------------------------------------------------------------


def test_a_good_row_becomes_an_entry_with_normalised_values() -> None:
    text = roster(
        "Boss@Example.com,Bo Ss,8,,Europe/London,,,",
        " Ann@Example.com , Ann Lee ,3,BOSS@example.com,Asia/Kolkata,Mentor,"
        '"GenAI tools; social media ;;genai TOOLS",',
    )
    result = parse(text)
    assert result.problems == () and result.ok
    boss, ann = result.entries
    assert boss == RosterEntry(
        line=2, email="boss@example.com", name="Bo Ss", level=8, timezone="Europe/London"
    )
    assert ann.line == 3
    assert ann.email == "ann@example.com"
    assert ann.name == "Ann Lee"
    assert ann.manager_email == "boss@example.com"
    assert ann.role is Role.MENTOR
    assert ann.teaches == ("GenAI tools", "social media")
    assert ann.learns == ()


def test_header_names_are_case_insensitive_trimmed_and_in_any_order() -> None:
    text = " LEVEL ,Teams_ID, Email \n4,8f0c2a4e-1111-2222-3333-444455556666,a@example.com\n"
    (entry,) = parse(text).entries
    assert (entry.email, entry.level, entry.teams_id) == (
        "a@example.com",
        4,
        "8f0c2a4e-1111-2222-3333-444455556666",
    )


def test_every_documented_column_is_accepted() -> None:
    text = ",".join(COLUMNS) + "\n" + "a@x.com,A,Analyst,2,Ops,,UTC,either,x,y,U123ABC,abc-1\n"
    (entry,) = parse(text).entries
    assert entry.role is Role.EITHER and entry.slack_id == "U123ABC"


def test_roles_are_case_insensitive_and_blank_means_directory_only() -> None:
    text = roster("a@x,,5,,,MENTEE,,", "b@x,,1,,,Either,,", "c@x,,1,,,,,")
    assert [e.role for e in parse(text).entries] == [Role.MENTEE, Role.EITHER, None]


def test_topics_split_on_semicolons_and_line_breaks_trimmed_and_deduplicated() -> None:
    text = roster('a@x,,1,,,,"  Data  literacy ;\nAllyship;;data LITERACY; ",Allyship')
    (entry,) = parse(text).entries
    assert entry.teaches == ("Data literacy", "Allyship")
    assert entry.learns == ("Allyship",)


def test_blank_rows_and_short_rows_are_fine() -> None:
    text = HEADER + "\n\n,,,,,,,\na@x,,3\n\n"
    (entry,) = parse(text).entries
    assert entry.line == 4 and entry.level == 3


def test_a_whole_number_written_as_decimal_is_accepted() -> None:
    assert parse(roster("a@x,,4.0,,,,,")).entries[0].level == 4


def test_a_manager_already_in_the_database_is_found() -> None:
    result = parse(roster("a@x,,3,boss@x,,,,"), known={"boss@x": None})
    assert result.ok and result.entries[0].manager_email == "boss@x"


def test_a_manager_later_in_the_file_is_found() -> None:
    assert parse(roster("a@x,,3,b@x,,,,", "b@x,,6,,,,,")).ok


# --- encodings and separators ----------------------------------------------------------------


def test_utf8_with_bom() -> None:
    data = codecs.BOM_UTF8 + roster("zoë@x,Zoë,3,,,,,").encode("utf-8")
    result = parse_roster(data, known_managers={})
    assert result.ok and result.entries[0].name == "Zoë"


def test_utf16_with_bom_is_decoded_and_tabs_are_accepted() -> None:
    data = "email\tlevel\tname\nzoë@x\t3\tZoë\n".encode("utf-16")  # Excel "Unicode Text"
    (entry,) = parse_roster(data, known_managers={}).entries
    assert (entry.email, entry.name) == ("zoë@x", "Zoë")


def test_semicolon_separated_csv_from_european_excel_is_accepted() -> None:
    (entry,) = parse('email;level;teaches\na@x;3;"Allyship;Accessibility"\n').entries
    assert entry.teaches == ("Allyship", "Accessibility")


def test_a_file_that_is_not_utf8_gets_one_problem_saying_how_to_fix_it() -> None:
    data = "email,name,level\na@x,Ann,3\nb@x,Zoë,3\n".encode("latin-1")
    result = parse_roster(data, known_managers={})
    (problem,) = result.problems
    assert (problem.line, problem.column) == (3, "file")
    assert "not UTF-8" in problem.message and "CSV UTF-8" in problem.message


def test_utf16_without_bom_is_refused_not_garbled() -> None:
    data = "email,level\na@x,3\n".encode("utf-16-le")
    (problem,) = parse_roster(data, known_managers={}).problems
    assert problem.column == "file" and "UTF-8" in problem.message


def test_an_empty_file() -> None:
    assert lines("") == [
        "line 1: header: the file is empty; line 1 must be a header such as email,name,level,role"
    ]
    assert lines("\n\n") == lines("")


def test_a_cell_past_the_csv_size_limit_is_a_problem_not_a_crash() -> None:
    text = 'email,level,name\na@x,3,"' + "x" * 200_000 + "\n"  # the quote is never closed
    (problem,) = parse(text).problems
    assert (problem.line, problem.column) == (2, "file")
    assert "double quote" in problem.message


# --- header ----------------------------------------------------------------------------------


def test_unknown_columns_are_named_with_the_allowed_list() -> None:
    (problem,) = lines("email,level,Manager,Shoe size\na@x,3,b@x,42\n")
    assert problem.startswith("line 1: header: unknown columns 'Manager' (did you mean ")
    assert "'Shoe size'" in problem
    assert "allowed columns are " + ", ".join(COLUMNS) in problem


def test_required_columns_must_be_in_the_header() -> None:
    assert lines("name,title\nAnn,CEO\n") == [
        "line 1: header: required column 'email' is missing",
        "line 1: header: required column 'level' is missing",
    ]


def test_a_repeated_column_is_refused() -> None:
    assert lines("email,level,Email\na@x,3,b@x\n") == [
        "line 1: header: column 'email' appears more than once"
    ]


# --- rows ------------------------------------------------------------------------------------


def test_missing_and_invalid_emails() -> None:
    text = roster(",Ann,3,,,,,", "Ann Lee <ann@x>,,3,,,,,", "ann@@x,,3,,,,,")
    assert lines(text) == [
        "line 2: email: is missing",
        "line 3: email: is not an email address: 'Ann Lee <ann@x>'",
        "line 4: email: is not an email address: 'ann@@x'",
    ]


def test_a_duplicate_is_reported_on_each_later_copy_naming_the_first_line() -> None:
    text = roster("b@x,,3,,,,,", "a@x,,3,,,,,", "c@x,,3,,,,,", "A@X,,3,,,,,", "a@x,,4,,,,,")
    assert lines(text) == [
        "line 5: email: A@X is a duplicate of line 3",
        "line 6: email: a@x is a duplicate of line 3",
    ]


def test_level_must_be_a_whole_number() -> None:
    text = roster("a@x,,senior,,,,,", "b@x,,,,,,,", "c@x,,3.5,,,,,", "d@x,,-1,,,,,")
    assert lines(text) == [
        "line 2: level: must be a whole number, not 'senior'",
        "line 3: level: is missing; give a whole number, higher = more senior",
        "line 4: level: must be a whole number, not '3.5'",
        "line 5: level: must be between 0 and 1000, not -1",
    ]


def test_role_must_be_one_of_the_four() -> None:
    assert lines(roster("a@x,,3,,,junior,,")) == [
        "line 2: role: must be mentor, mentee, either or blank, not 'junior'"
    ]


def test_time_zone_must_be_an_iana_name_with_a_hint_for_wrong_case() -> None:
    text = roster("a@x,,3,,Mars/Olympus,,,", "b@x,,3,,europe/london,,,", "c@x,,3,,Europe,,,")
    problems = lines(text)
    assert problems[0].startswith("line 2: timezone: must be an IANA time zone name")
    assert problems[1].endswith("did you mean Europe/London?")
    assert problems[2].startswith("line 4: timezone: ")  # a tzdata folder, not a crash


def test_manager_found_nowhere() -> None:
    assert lines(roster("a@x,,3,ghost@x,,,,"), known={"b@x": None}) == [
        "line 2: manager_email: ghost@x is not in this file nor among people already imported"
    ]


def test_manager_email_must_be_an_email_and_not_ones_own() -> None:
    text = roster("a@x,,3,A@X,,,,", "b@x,,3,the boss,,,,")
    assert lines(text) == [
        "line 2: manager_email: is the person's own email",
        "line 3: manager_email: is not an email address: 'the boss'",
    ]


def test_a_manager_loop_is_reported_on_each_row_in_it() -> None:
    text = roster("a@x,,3,b@x,,,,", "b@x,,4,c@x,,,,", "c@x,,5,a@x,,,,", "d@x,,1,a@x,,,,")
    assert lines(text) == [
        "line 2: manager_email: manager chain loops: a@x → b@x → c@x → a@x",
        "line 3: manager_email: manager chain loops: b@x → c@x → a@x → b@x",
        "line 4: manager_email: manager chain loops: c@x → a@x → b@x → c@x",
    ]


def test_a_loop_through_people_already_imported() -> None:
    # b's manager in the database is a; the file makes b a's manager.
    assert lines(roster("a@x,,3,b@x,,,,"), known={"b@x": "a@x", "a@x": None}) == [
        "line 2: manager_email: manager chain loops: a@x → b@x → a@x"
    ]


def test_rows_in_the_file_override_the_database_so_fixing_a_loop_works() -> None:
    known: dict[str, str | None] = {"a@x": "b@x", "b@x": "a@x"}  # a loop stored earlier
    assert parse(roster("a@x,,3,b@x,,,,", "b@x,,6,,,,,"), known).ok


def test_a_loop_only_among_people_already_imported_is_reported_on_rows_reaching_it() -> None:
    (problem,) = lines(roster("a@x,,3,b@x,,,,"), known={"b@x": "c@x", "c@x": "b@x"})
    assert problem.startswith("line 2: manager_email: manager chain reaches a loop among ")
    assert "b@x → c@x → b@x" in problem


def test_a_long_loop_is_abbreviated() -> None:
    rows = [f"p{i}@x,,3,p{(i + 1) % 50}@x,,,," for i in range(50)]
    problems = lines(roster(*rows))
    assert len(problems) == 50
    assert problems[0] == (
        "line 2: manager_email: manager chain loops: p0@x → p1@x → p2@x → p3@x → … 45 more … "
        "→ p49@x → p0@x"
    )


def test_over_long_fields_are_refused() -> None:
    text = roster("a@x," + "N" * 201 + ",3,,,,,", "b@x,,3,,,," + "t" * 101 + ",")
    assert lines(text) == [
        "line 2: name: is too long (201 characters, at most 200)",
        f"line 3: teaches: topic {'t' * 40!r}… is longer than 100 characters "
        "(separate topics with ';')",
    ]


def test_text_past_the_last_column_is_reported() -> None:
    assert lines("email,level\na@x,3,oops\n") == [
        "line 2: column 3: 'oops' is past the last column; "
        "put a cell that contains a comma in double quotes"
    ]


def test_quoted_line_breaks_keep_line_numbers_physical() -> None:
    text = roster(
        'a@x,"Ann\nLee",3,,,,,',  # lines 2-3: a line break inside a name is a mistake
        'b@x,,3,,,,"Allyship\nAccessibility",',  # lines 4-5: fine in topics
        "c@x,,x,,,,,",  # line 6
    )
    assert lines(text) == [
        "line 2: name: contains a line break (is a double quote missing?)",
        "line 6: level: must be a whole number, not 'x'",
    ]


def test_five_different_mistakes_give_exactly_five_precise_lines() -> None:
    text = roster(
        "boss@x,,8,,,,,",
        "ann@x,,three,boss@x,,,,",
        "bob@x,,2,boss@x,Europe/Londn,,,",
        "ANN@x,,2,boss@x,,,,",
        "cy@x,,2,nobody@x,,,,",
        "dee@x,,2,boss@x,,helper,,",
    )
    assert lines(text) == [
        "line 3: level: must be a whole number, not 'three'",
        "line 4: timezone: must be an IANA time zone name such as Europe/London, got "
        "'Europe/Londn'",
        "line 5: email: ANN@x is a duplicate of line 3",
        "line 6: manager_email: nobody@x is not in this file nor among people already imported",
        "line 7: role: must be mentor, mentee, either or blank, not 'helper'",
    ]


# --- reporting -------------------------------------------------------------------------------


def test_a_problem_reads_line_column_message() -> None:
    assert str(RosterProblem(7, "level", "is missing")) == "line 7: level: is missing"


def test_format_problems_stops_at_the_limit() -> None:
    problems = [RosterProblem(i, "email", "is missing") for i in range(2, 62)]
    text = format_problems(problems, limit=50)
    assert text.splitlines()[0] == "line 2: email: is missing"
    assert text.splitlines()[-1] == "… and 10 more"
    assert len(text.splitlines()) == 51
    assert format_problems(problems[:3]) == "\n".join(str(p) for p in problems[:3])
    assert format_problems([]) == ""
