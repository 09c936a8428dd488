"""`concern` on the console, with the real `mentorbot` command: a junior raises one in
`chat --as`, the programme admin's inbox has it, the partner's has nothing about it.

The example app.yaml's admin (Folasade) is herself a senior in the sample roster, so this
also shows the partner rule does not shut the team out: only partners are left out.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.scenarios.test_console_platform import SAMPLE, ok, run, workdir

__all__ = ["workdir"]  # the fixture, shared with the console platform test

JUNIOR = "aisha.alsayed@example.com"
SENIOR = "priya.raghunathan@example.com"  # Aisha's proposed partner in the sample round
ADMIN = "folasade.adeyemi@example.com"
WORRY = "My partner made a joke about my accent in front of others and I felt small"


def _flat(text: str) -> str:
    """The terminal wraps long lines: compare words, not line breaks."""
    return " ".join(text.split())


def test_a_junior_raises_a_concern_that_only_the_programme_team_reads(
    workdir: Path, db_url: str
) -> None:
    mentorbot = [sys.executable, "-m", "bot"]
    ok(run([*mentorbot, "roster", "import", str(SAMPLE)], workdir, db_url))
    published = ok(run([*mentorbot, "match", "--publish"], workdir, db_url))
    assert "Aisha Al-Sayed mentors Priya Raghunathan" in published

    said = _flat(
        ok(run([*mentorbot, "chat", "--as", JUNIOR], workdir, db_url, f"concern\n{WORRY}\n"))
    )
    assert "Only the programme team reads it — never your partner" in said
    assert "Thank you for telling us. Folasade Adeyemi will be in touch, in confidence" in said
    assert "Your reference is C-1." in said
    assert "Employee Assistance Programme" in said  # app.yaml's privacy.support_text

    admin = _flat(ok(run([*mentorbot, "chat", "--as", ADMIN], workdir, db_url, "quit\n")))
    assert "Concern C-1" in admin and WORRY in admin
    assert (
        "From Aisha Al-Sayed (aisha.alsayed@example.com), the junior mentor in a proposed "
        "pair with Priya Raghunathan" in admin
    )
    senior = _flat(ok(run([*mentorbot, "chat", "--as", SENIOR], workdir, db_url, "quit\n")))
    assert WORRY not in senior and "Concern C-1" not in senior and "concern" not in senior.lower()

    health = ok(run([*mentorbot, "health"], workdir, db_url))
    assert "could not be delivered" not in health and WORRY not in health


def test_a_concern_contact_missing_from_the_directory_is_reported(
    workdir: Path, db_url: str
) -> None:
    config = (workdir / "app.yaml").read_text(encoding="utf-8")
    config = config.replace("concern_contacts: []", "concern_contacts: [ghost@example.com]")
    assert "[ghost@example.com]" in config
    (workdir / "app.yaml").write_text(config, encoding="utf-8")
    mentorbot = [sys.executable, "-m", "bot"]
    ok(run([*mentorbot, "roster", "import", str(SAMPLE)], workdir, db_url))
    warning = "privacy.concern_contacts: ghost@example.com is not in the directory"
    ticked = run([*mentorbot, "tick"], workdir, db_url)
    assert ticked.code == 0 and warning in _flat(ticked.err)
    assert warning in _flat(ok(run([*mentorbot, "health"], workdir, db_url)))


def test_a_concern_nobody_could_receive_reaches_the_team_at_the_next_tick(
    workdir: Path, db_url: str
) -> None:
    # The only admin is Priya, Aisha's proposed partner: Aisha's concern can reach nobody.
    config = (workdir / "app.yaml").read_text(encoding="utf-8")
    config = config.replace(f"admins: [{ADMIN}]", f"admins: [{SENIOR}]")
    assert f"admins: [{SENIOR}]" in config
    (workdir / "app.yaml").write_text(config, encoding="utf-8")
    mentorbot = [sys.executable, "-m", "bot"]
    ok(run([*mentorbot, "roster", "import", str(SAMPLE)], workdir, db_url))
    ok(run([*mentorbot, "match", "--publish"], workdir, db_url))
    said = _flat(
        ok(run([*mentorbot, "chat", "--as", JUNIOR], workdir, db_url, f"concern {WORRY}\n"))
    )
    assert "it will reach them as soon as someone is set up to receive it" in said
    waiting = "1 concern could not be delivered yet"
    assert waiting in _flat(ok(run([*mentorbot, "health"], workdir, db_url)))
    # Priya, an admin, asks `health` in her chat: nothing about a concern.
    priya = _flat(ok(run([*mentorbot, "chat", "--as", SENIOR], workdir, db_url, "health\n")))
    assert "Delivery:" in priya
    assert "could not be delivered" not in priya and WORRY not in priya and "C-1" not in priya
    ticked = run([*mentorbot, "tick"], workdir, db_url)
    assert ticked.code == 0 and waiting in _flat(ticked.err)  # still nobody: said again
    # The operator names a concern contact; the next tick passes the concern on.
    config = config.replace("concern_contacts: []", f"concern_contacts: [{ADMIN}]")
    (workdir / "app.yaml").write_text(config, encoding="utf-8")
    ticked = run([*mentorbot, "tick"], workdir, db_url)
    assert ticked.code == 0 and "could not be delivered" not in ticked.err
    admin = _flat(ok(run([*mentorbot, "chat", "--as", ADMIN], workdir, db_url, "quit\n")))
    assert "Concern C-1" in admin and WORRY in admin and "it waited until someone could" in admin
    junior = _flat(ok(run([*mentorbot, "chat", "--as", JUNIOR], workdir, db_url, "quit\n")))
    assert "Your concern C-1 has now reached the programme team" in junior
    priya = _flat(ok(run([*mentorbot, "chat", "--as", SENIOR], workdir, db_url, "quit\n")))
    assert WORRY not in priya and "C-1" not in priya
    assert "could not be delivered" not in ok(run([*mentorbot, "health"], workdir, db_url))
