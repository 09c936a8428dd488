"""`end pairing` in Teams, with the real `mentorbot serve` against the fake Bot Connector: the
junior types "end pairing" and confirms with an Action.Submit, then types a reason. The senior
— here also an admin — gets only the blame-free note, never the reason nor the admins' notice;
the other admin gets both, and the senior is held for review."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import aiohttp

from storage.store import SqlStore
from tests.adapters.teams import activities as a
from tests.adapters.teams.fake_connector import FakeConnector
from tests.adapters.teams.test_serve import DEV, KIM, MAYA, card_button, post
from tests.fakes import run_cli
from tests.serving import serve

SAM = a.user("aad-sam", "Sam Lee")  # roster teams_id: matched by AAD object id
REASON = "Our sessions kept turning into status updates about his team."
APP_YAML = """programme:
  name: Teams Pilot
  start_date: 2024-01-08
  require_mentee_consent: false
  require_mentor_consent: false
admins: [maya@example.com, kim@example.com]
"""


async def test_a_junior_ends_the_pairing_in_teams_and_an_admin_partner_never_reads_why(
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
    maya_chat, sam_chat, kim_chat = a.chat_id(MAYA), a.chat_id(SAM), a.chat_id(KIM)
    async with serve(tmp_path, db_url, DEV) as server, aiohttp.ClientSession() as http:
        for who in (MAYA, SAM, KIM):
            await post(http, server.url, a.installed(who, connector.url))
        await post(http, server.url, a.message(KIM, "status", connector.url))  # linked by email
        await post(
            http,
            server.url,
            a.message(KIM, "pair sam@example.com with maya@example.com", connector.url),
        )
        await connector.wait_for(lambda f: any("Meet your" in c.text for c in f.sent(sam_chat)))

        await post(http, server.url, a.message(SAM, "end pairing", connector.url))
        asked = connector.sent(sam_chat)[-1]
        assert "End your pairing with Maya?" in asked.text
        confirm = card_button(asked, "End the pairing")
        await post(http, server.url, a.submit(SAM, confirm["data"], connector.url))
        # The answer replaces the confirm card (an update) or follows it in Sam's chat.
        assert any("has ended" in c.text for c in connector.calls if sam_chat in c.path)
        await post(http, server.url, a.message(SAM, REASON, connector.url))
        assert any("only to them" in c.text for c in connector.calls if sam_chat in c.path)
        # Kim, the other admin, hears at once that it ended, the hold, and why.
        await connector.wait_for(lambda f: any(REASON in c.text for c in f.sent(kim_chat)))
        kim = " ".join(c.text for c in connector.sent(kim_chat))
        assert "Maya Okafor is held out of matching" in kim

    # Maya's note goes at her next delivery hour.
    maya = await people.person_by_email("maya@example.com")
    assert maya is not None
    (pair,) = await people.pairs_of(maya.id)
    assert pair.ended_at is not None
    later = f"{(pair.ended_at + timedelta(days=3)).date()}T12:00:00Z"
    await run_cli(tmp_path, db_url, "tick", "--now", later, env=DEV)
    to_maya = " ".join(c.text for c in connector.calls if maya_chat in c.path)
    assert "your pairing has come to an end" in to_maya
    assert "nobody's fault" in to_maya
    # An admin, and still never the reason nor the notice about her own hold.
    assert REASON not in to_maya and "held out of matching" not in to_maya
    assert [e.mentee_id for e in await people.pair_endings(awaiting_review=True)] == [maya.id]
