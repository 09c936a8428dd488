"""`concern` through Teams alone (the real `serve`, a fake Bot Connector): Sam writes
"concern", then the text, in his personal chat. Only the concern contact's conversation gets
it: not Maya (his partner, and an admin), not Sam's own chat beyond the thanks."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from conversations.types import PairStatus, RosterEntry
from storage.store import SqlStore
from tests.adapters.teams import activities as a
from tests.adapters.teams.conftest import NOW, ROSTER
from tests.adapters.teams.fake_connector import FakeConnector
from tests.adapters.teams.test_missed_session import KIM
from tests.adapters.teams.test_serve import DEV, MAYA, post
from tests.serving import serve

SAM = a.user("aad-sam", "Sam Lee")
HANA = RosterEntry(5, "hana@example.com", "Hana Ito", 6, "HR Partner", "People",
                   timezone="Europe/London", teams_id="aad-hana")  # fmt: skip
APP_YAML = """programme:
  name: Teams Pilot
  start_date: 2024-01-08
  require_mentee_consent: false
  require_mentor_consent: false  # `pair … with …` makes the pair active at once
admins: [maya@example.com, kim@example.com]
privacy:
  concern_contacts: [hana@example.com]
"""
WORRY = "Maya asked me to keep quiet about a mistake her team made and I feel uneasy"


async def test_a_concern_reaches_only_the_contacts_conversation_on_teams(
    tmp_path: Path, db_url: str, store: SqlStore, connector: FakeConnector
) -> None:
    await store.import_roster([*ROSTER, HANA], deactivate_missing=False, dry_run=False, at=NOW)
    (tmp_path / "app.yaml").write_text(APP_YAML)
    connector.members[KIM["id"]] = {
        "id": KIM["id"],
        "aadObjectId": "aad-kim",
        "name": "Kim Park",
        "email": "kim@example.com",
        "userPrincipalName": "kim@example.com",
    }
    maya_chat, sam_chat = a.chat_id(MAYA), a.chat_id(SAM)
    async with serve(tmp_path, db_url, DEV) as server, aiohttp.ClientSession() as http:
        await post(http, server.url, a.installed(MAYA, connector.url))
        await post(http, server.url, a.installed(SAM, connector.url))
        await post(http, server.url, a.installed(KIM, connector.url))
        await post(http, server.url, a.message(KIM, "status", connector.url))  # linked by email
        # Another admin pairs them: nobody pairs themselves by hand.
        pair_them = a.message(KIM, "pair sam@example.com with maya@example.com", connector.url)
        await post(http, server.url, pair_them)
        sam = await store.person_by_email("sam@example.com")
        assert sam is not None
        (pair,) = await store.pairs_of(sam.id)
        assert pair.status is PairStatus.ACTIVE  # Maya, an admin, is Sam's partner

        await post(http, server.url, a.message(SAM, "concern", connector.url))
        assert "never your partner" in connector.sent(sam_chat)[-1].text
        await post(http, server.url, a.message(SAM, WORRY, connector.url))
        thanks = connector.sent(sam_chat)[-1].text
        assert "Hana Ito will be in touch" in thanks and "Your reference is C-1" in thanks

        def delivered(fake: FakeConnector) -> bool:
            return any(WORRY in c.text for c in fake.sent())

        await connector.wait_for(delivered)  # queued, then sent by the delivery worker

    (notice,) = [c for c in connector.sent() if WORRY in c.text]
    assert notice.conversation_id.startswith("a:created-")  # a new chat with Hana alone
    (create,) = [
        c
        for c in connector.calls
        if c.path == "/v3/conversations" and c.body["members"] == [{"id": "aad-hana"}]
    ]
    assert "Concern C-1" in notice.text and "From Sam Lee (sam@example.com)" in notice.text
    for chat in (maya_chat, sam_chat):
        assert not any(WORRY in c.text or "Concern C-" in c.text for c in connector.sent(chat))
    assert create.status < 300
