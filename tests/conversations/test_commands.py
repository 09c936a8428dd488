"""The one command grammar shared by the console, Slack and Teams."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conversations import grammar as cmd
from conversations import registry
from conversations.types import Role


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("help", cmd.Help()),
        ("  HELP ", cmd.Help()),
        ("join", cmd.Join()),
        ("join as mentor", cmd.Join(Role.MENTOR)),
        ("join senior", cmd.Join(Role.MENTEE)),
        ("leave", cmd.Leave()),
        ("pause", cmd.Pause()),
        ("pause until 2027-02-01", cmd.Pause(until=date(2027, 2, 1))),
        ("pause until 1st Feb 2027", cmd.Pause(until=date(2027, 2, 1))),
        ("pause until February 1, 2027", cmd.Pause(until=date(2027, 2, 1))),
        ("resume", cmd.Resume()),
        ("status", cmd.StatusQuery()),
        ("profile", cmd.Profile()),
        (
            "profile learns GenAI tools; Accessibility",
            cmd.Profile("learns", "GenAI tools; Accessibility"),
        ),
        ("forget me", cmd.ForgetMe()),
        ("Forget ME", cmd.ForgetMe()),
        ("forget Ana@X.com", cmd.Forget(cmd.PersonRef("Ana@X.com", email="ana@x.com"))),
        ("forget <@U0ANA|ana>", cmd.Forget(cmd.PersonRef("<@U0ANA|ana>", user_id="U0ANA"))),
        ("report", cmd.Report()),
        ("match", cmd.Match()),
        ("match publish", cmd.Match(publish=True)),
        ("/mentoring status", cmd.StatusQuery()),
        (
            'prompt add inclusion "Share a time you felt like an outsider"',
            cmd.PromptAdd("inclusion", "Share a time you felt like an outsider"),
        ),
    ],
)
def test_parses_what_people_type(text: str, expected: cmd.ParsedCommand) -> None:
    assert registry.parse(text) == expected


def test_admin_forms_name_people_by_email_or_slack_mention() -> None:
    parsed = registry.parse("pair <@U123ABC|ana> with Bo@Example.com --force")
    assert parsed == cmd.PairByHand(
        mentor=cmd.PersonRef("<@U123ABC|ana>", user_id="U123ABC"),
        mentee=cmd.PersonRef("Bo@Example.com", email="bo@example.com"),
        force=True,
    )
    pause = registry.parse("pause <mailto:dana@example.com|dana@example.com> until 2027-03-01")
    assert isinstance(pause, cmd.Pause) and pause.who is not None
    assert pause.who.email == "dana@example.com" and pause.until == date(2027, 3, 1)
    assert registry.is_admin_command(pause)
    assert registry.is_admin_command(registry.parse("forget dana@example.com"))
    assert not registry.is_admin_command(registry.parse("forget me"))
    assert not registry.is_admin_command(cmd.Pause(until=date(2027, 3, 1)))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("pause until whenever", "couldn't read the date"),
        ("pause tomorrow", "couldn't read 'tomorrow'"),
        ("join as boss", "Join as `mentor`"),
        ("pair ana with", "Use `pair MENTOR with MENTEE`"),
        ("profile shoe size 9", "I can change your"),
        ("status please", "takes nothing after it"),
        ("forget", "Type `forget me`"),
        ("forget everything", "admins: `forget EMAIL`"),
        ("x" * 5000, "too long"),
    ],
)
def test_bad_commands_say_what_to_fix(text: str, problem: str) -> None:
    parsed = registry.parse(text)
    assert isinstance(parsed, cmd.Unknown)
    assert problem in parsed.problem


def test_typos_get_a_suggestion() -> None:
    assert registry.parse("stauts") == cmd.Unknown("stauts", "", "status")
    assert registry.parse("hello there").suggestion == ""  # type: ignore[union-attr]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_never_raises(text: str) -> None:
    assert registry.parse(text) is not None
