"""`mentorbot tick` with Teams on closes its Bot Connector session: aiohttp's "Unclosed client
session" warning (and its traceback-like dump) no longer follows every tick that sent."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from conversations.types import Identity
from storage.store import SqlStore
from tests.adapters.teams import activities as a
from tests.adapters.teams.conftest import link
from tests.adapters.teams.fake_connector import FakeConnector
from tests.adapters.teams.serve import APP_YAML
from tests.serving import CLEARED

ROSTER = """email,name,level,department,timezone,role,teams_id
maya@example.com,Maya Okafor,8,Operations,Europe/London,mentee,aad-maya
"""


async def test_tick_sends_through_teams_and_exits_without_an_unclosed_session(
    tmp_path: Path, db_url: str, store: SqlStore, connector: FakeConnector
) -> None:
    (tmp_path / "app.yaml").write_text(APP_YAML)
    (tmp_path / "people.csv").write_text(ROSTER)
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update({"DATABASE_URL": db_url, "TEAMS_DEV_MODE": "1"})

    async def mentorbot(*args: str) -> tuple[str, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--config", str(tmp_path / "app.yaml"), *args,
            cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        return out.decode(), err.decode()

    await mentorbot("roster", "import", "people.csv")  # queues Maya's welcome
    chat = a.chat_id(a.user("aad-maya"))
    identity = Identity(0, "teams", a.TENANT, "aad-maya", chat, connector.url)
    await link(store, "maya@example.com", identity)
    out, err = await mentorbot("tick", "--now", "2099-01-05T12:00Z")
    assert "Sent 1," in out
    assert [c.text for c in connector.sent(chat) if "Welcome" in c.text]
    assert "Unclosed" not in err, err
