"""`mentorbot demo` shows the closing's new outcome: the demo's people answer "Could you speak
openly?" as well as "again?", the transcript names the question each tap answers, and the
admin's final report shows the published figure."""

from __future__ import annotations

import io
import re
from pathlib import Path

from bot.demo import run_demo


async def test_the_demo_answers_the_open_question_and_reports_it(tmp_path: Path) -> None:
    out = io.StringIO()
    assert await run_demo(database_url=None, out=out, config=tmp_path / "app.yaml") == 0
    text = out.getvalue()
    assert re.search(r"taps: (Yes|Mostly|Not really) \(could you speak openly\?\)", text)
    assert "taps: Yes (would you take part again?)" in text
    report = text[text.rindex("programme report") :]
    found = re.search(
        r"Could speak openly: \d+% \((\d+) yes, (\d+) mostly, (\d+) not really", report
    )
    assert found is not None, report
    assert sum(int(n) for n in found.groups()) >= 20
    assert "not enough answers" not in report and "not closed yet" not in report
