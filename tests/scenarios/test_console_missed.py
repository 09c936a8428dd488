"""A missed session on the console, with the real `mentorbot` command and `chat --as` both
partners: "We couldn't meet" names nobody, each partner is asked privately what got in the
way, and the admin's escalation singles nobody out and says "not reported" where nobody
answered. No Slack or Teams configured."""

from __future__ import annotations

import shlex
from datetime import UTC, date, datetime
from pathlib import Path

from bot.demo import TRY_AS, try_it_yourself
from bot.settings import load_config
from tests.scenarios.test_console_platform import ROOT, later_working_day, ok, run
from tests.scenarios.test_console_platform import workdir as workdir  # the fixture

MENTOR = "aisha.alsayed@example.com"  # the junior the sample roster pairs with TRY_AS


def test_a_missed_session_is_answered_privately_on_the_console(workdir: Path, db_url: str) -> None:
    hint = try_it_yourself(workdir / "app.yaml", datetime.now(UTC).date())
    imp, publish, tick, chat_senior, chat_junior = [
        shlex.split(line) for line in hint.splitlines() if line.startswith("  ")
    ]
    mentorbot = imp[: -len(["roster", "import", imp[-1]])]
    ok(run(imp, workdir, db_url))
    assert "Aisha Al-Sayed" in ok(run(publish, workdir, db_url))
    ok(run(tick, workdir, db_url))
    ok(run(chat_senior, workdir, db_url, "accept\nquit\n"))
    ok(run(chat_junior, workdir, db_url, "accept\nquit\n"))  # both partners consent
    first_day = date.fromisoformat(tick[-1][:10])

    # Session 1 is due; Aisha says they couldn't meet.
    session_1 = later_working_day(first_day, 30)
    ok(run([*mentorbot, "tick", "--now", session_1], workdir, db_url))
    aisha = ok(
        run(
            [*mentorbot, "chat", "--as", MENTOR, "--now", session_1],
            workdir,
            db_url,
            "we couldn't meet\ndiary clash\nquit\n",
        )
    )
    said = aisha[aisha.index("Thanks for telling me — it happens.") :]
    # The pair's reply, up to the next message the console prints ("→ NAME (kind)").
    shared = " ".join(said[: said.index("→")].split())
    assert "I'll ask you each privately what got in the way" in shared
    for word in ("Aisha", "Priya", "who", "called off"):
        assert word not in shared
    assert "Who had to call off" not in aisha
    # Her own question came at once, in her own chat, with reasons rather than names.
    asked = aisha[aisha.index("What got in the way of Session 1 of 6?") :]
    assert "Diary clash" in asked and "Urgent work" in asked and "Rather not say" in asked
    assert "never Priya" in asked
    assert "Thanks — noted." in asked

    # Priya gets hers privately at her next delivery hour, and answers by label.
    next_day = later_working_day(date.fromisoformat(session_1[:10]), 1)
    ok(run([*mentorbot, "tick", "--now", next_day], workdir, db_url))
    priya = ok(
        run(
            [*mentorbot, "chat", "--as", TRY_AS, "--now", next_day],
            workdir,
            db_url,
            "urgent work\nquit\n",
        )
    )
    asked = priya[priya.index("What got in the way of Session 1 of 6?") :]
    assert "never Aisha" in asked and "Thanks — noted." in asked
    assert "called off" not in priya and "Aisha did" not in priya

    # Session 2 goes unreported; after its lapse the admin hears about both alike.
    after_lapse = later_working_day(first_day, 56 + 17)
    ok(run([*mentorbot, "tick", "--now", after_lapse], workdir, db_url))
    (admin,) = load_config(ROOT / "app.yaml").admins
    notices = ok(run([*mentorbot, "chat", "--as", admin, "--now", after_lapse], workdir, db_url))
    start = notices.index("Aisha Al-Sayed and Priya Raghunathan have not held 2 of their")
    notice = " ".join(notices[start : notices.index("may help.", start)].split())  # unwrapped
    assert "Session 1 — couldn't meet (diary clash, urgent work)" in notice
    assert "Session 2 — not reported" in notice
    for word in ("mentor", "mentee", "called off"):
        assert word not in notice
