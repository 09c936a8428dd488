"""`mentorbot demo` shows one `end pairing`: the junior's private steps, the admin's notices
(with the reason) and the partner's blame-free note (without it)."""

from __future__ import annotations

import io
from pathlib import Path

from bot.demo import run_demo


async def test_the_demo_shows_one_pairing_ended_without_blame(tmp_path: Path) -> None:
    out = io.StringIO()
    assert await run_demo(database_url=None, out=out, config=tmp_path / "app.yaml") == 0
    text = out.getvalue()
    shown = text[text.index("ends a pairing — privately, no fault") :]
    shown = " ".join(shown[: shown.index("━━ 8.")].split())  # terminal lines joined again
    assert "types: end pairing" in shown and "Done — your pairing with" in shown
    assert "is held out of matching until you've reviewed it" in shown
    reason = "“Our calls kept turning into status updates.”"
    note = shown[shown.index("(partner_left)") :]
    assert reason in shown and reason not in note
    assert "has come to an end. This happens, and it's nobody's fault." in note
