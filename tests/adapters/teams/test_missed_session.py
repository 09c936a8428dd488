"""A missed session through Teams (the real `serve` against a fake Bot Connector): "We
couldn't meet" names nobody and asks nothing about who; each partner is asked privately, in
their own chat, what got in the way; the admin's escalation singles nobody out and says "not
reported" where nobody answered."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp

from storage.store import SqlStore
from tests.adapters.teams import activities as a
from tests.adapters.teams.fake_connector import FakeConnector, _card_text
from tests.adapters.teams.test_serve import card_button, post
from tests.fakes import run_cli
from tests.serving import serve

MAYA = a.user("aad-maya", "Maya Okafor")
SAM = a.user("aad-sam", "Sam Lee")
KIM = a.user("aad-kim", "Kim Park")  # the programme admin, matched by email
DEV = {"TEAMS_DEV_MODE": "1"}
APP_YAML = """programme:
  name: Teams Pilot
  start_date: 2024-01-08
  require_mentor_consent: false
admins: [kim@example.com]
"""


def answer_text(answer: Any) -> str:
    """The readable text of an invoke's answer (the card that replaces the tapped one)."""
    return _card_text(answer)


async def test_a_missed_session_is_answered_privately_in_teams(
    tmp_path: Path, db_url: str, people: SqlStore, connector: FakeConnector
) -> None:
    (tmp_path / "app.yaml").write_text(APP_YAML)
    connector.members[KIM["id"]] = {
        "id": KIM["id"],
        "aadObjectId": "aad-kim",
        "name": "Kim Park",
        "email": "kim@example.com",
        "userPrincipalName": "kim@example.com",
    }
    maya_chat, kim_chat = a.chat_id(MAYA), a.chat_id(KIM)
    async with serve(tmp_path, db_url, DEV) as server, aiohttp.ClientSession() as http:
        await post(http, server.url, a.installed(MAYA, connector.url))
        await post(http, server.url, a.message(KIM, "status", connector.url))
        await post(http, server.url, a.message(KIM, "match publish", connector.url))
        await connector.wait_for(lambda f: any("Accept" in c.text for c in f.sent(maya_chat)))
        consent = next(c for c in connector.sent(maya_chat) if "Accept" in c.text)
        accept = card_button(consent, "Accept")
        await post(http, server.url, a.execute(MAYA, accept["data"], connector.url))
        await connector.wait_for(lambda f: sum("Meet your" in c.text for c in f.sent()) == 2)
        sam_chat = next(
            c.conversation_id
            for c in connector.sent()
            if c.conversation_id != maya_chat and "Meet your" in c.text
        )

        # A month on, each partner's copy asks whether they met; Maya couldn't.
        maya = await people.person_by_email("maya@example.com")
        sam = await people.person_by_email("sam@example.com")
        assert maya is not None and sam is not None
        (pair,) = await people.pairs_of(maya.id)
        sessions = await people.sessions_of(pair.id)
        later = f"{sessions[0].due_date + timedelta(days=1)}T12:00:00Z"
        await run_cli(tmp_path, db_url, "tick", "--now", later, env=DEV)
        asked = next(c for c in connector.sent(maya_chat) if "Did you meet" in c.text)
        missed = card_button(asked, "We couldn't meet")
        answer = await post(http, server.url, a.execute(MAYA, missed["data"], connector.url))
        assert answer["statusCode"] == 200
        said = answer_text(answer)
        assert "ask you each privately what got in the way" in said
        for word in ("Maya", "Sam", "Who", "called off"):
            assert word not in said
        assert "Action.Execute" not in str(answer)  # no buttons: nothing to answer there

        # Her own question comes at once, to her chat, with reasons rather than names.
        await connector.wait_for(
            lambda f: any("What got in the way" in c.text for c in f.sent(maya_chat)),
        )
        question = next(c for c in connector.sent(maya_chat) if "What got in the way" in c.text)
        assert "never Sam" in question.text
        diary = card_button(question, "Diary clash")
        assert card_button(question, "Rather not say")
        noted = await post(http, server.url, a.execute(MAYA, diary["data"], connector.url))
        assert "Thanks — noted." in answer_text(noted)
        assert not any("What got in the way" in c.text for c in connector.sent(sam_chat))

        # Sam's reaches his own chat at his next delivery hour; he answers there.
        next_day = f"{sessions[0].due_date + timedelta(days=3)}T12:00:00Z"
        await run_cli(tmp_path, db_url, "tick", "--now", next_day, env=DEV)
        question = next(c for c in connector.sent(sam_chat) if "What got in the way" in c.text)
        assert "never Maya" in question.text
        work = card_button(question, "Urgent work")
        await post(http, server.url, a.execute(SAM, work["data"], connector.url))
        answers = await people.survey_answers(pair.id)
        assert answers == {(maya.id, "missed:1"): "diary", (sam.id, "missed:1"): "work"}

        # Session 2 goes unreported; after its lapse the admin hears about both alike.
        after = f"{sessions[1].due_date + timedelta(days=17)}T12:00:00Z"
        await run_cli(tmp_path, db_url, "tick", "--now", after, env=DEV)
    notices = [c.text for c in connector.sent(kim_chat) if "have not held" in c.text]
    (notice,) = notices
    assert "Maya Okafor and Sam Lee have not held 2 of their sessions" in notice
    assert "Session 1 — couldn't meet (diary clash, urgent work)" in notice
    assert "Session 2 — not reported" in notice
    for word in ("mentor", "mentee", "called off"):
        assert word not in notice
    # Neither partner's chat ever said who called a session off.
    for chat in (maya_chat, sam_chat):
        seen = " ".join(c.text for c in connector.sent(chat))
        assert "called off" not in seen and "Who had to" not in seen
        assert "Maya did" not in seen and "Sam did" not in seen
