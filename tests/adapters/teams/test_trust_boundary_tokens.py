"""Issue 15, "Teams: nobody gets in who does not belong", continued: token validation cannot
freeze the real `mentorbot serve` — a forged token whose key fetch meets a tarpit gets 401 while
the server keeps answering, and SIGTERM still stops it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.teams.keys import FETCH_TIMEOUT
from tests.adapters.teams import activities as a
from tests.adapters.teams.fake_connector import FakeConnector
from tests.adapters.teams.fake_openid import APP_ID
from tests.adapters.teams.serve import serve
from tests.adapters.teams.test_trust_boundary import MAYA, metric, post_status

# --- token validation cannot freeze the server ------------------------------------------------


@contextlib.asynccontextmanager
async def tarpit() -> AsyncIterator[tuple[str, asyncio.Event]]:
    """A loopback server that accepts connections and never answers; the event is set once
    someone has connected."""
    connected = asyncio.Event()
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        connected.set()
        await reader.read()  # until the client gives up

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/v1/.well-known/openidconfiguration", connected
    finally:
        for writer in held:
            writer.close()
        server.close()


def forged_token() -> str:
    """A well-formed RS256 token from "the Bot Framework", signed by nobody."""

    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    header = {"alg": "RS256", "typ": "JWT", "kid": "forged-key"}
    claims = {"iss": "https://api.botframework.com", "aud": APP_ID, "exp": int(time.time()) + 600}
    return f"Bearer {b64(header)}.{b64(claims)}.c2lnbmF0dXJl"


def authenticated_env(metadata_url: str, connector: FakeConnector) -> dict[str, str]:
    return {
        "MICROSOFT_APP_ID": APP_ID,
        "MICROSOFT_APP_PASSWORD": "not-a-real-secret",
        "TEAMS_ALLOWED_TENANTS": a.TENANT,
        "TEAMS_ALLOWED_SERVICE_URLS": connector.url,
        "TEAMS_OPENID_METADATA_URL": metadata_url,
    }


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
async def test_a_forged_token_meeting_a_tarpit_gets_401_while_the_server_keeps_answering(
    tmp_path: Path, db_url: str, connector: FakeConnector
) -> None:
    activity = a.message(MAYA, "status", connector.url)
    async with (
        tarpit() as (metadata_url, connected),
        serve(tmp_path, db_url, authenticated_env(metadata_url, connector)) as server,
        aiohttp.ClientSession() as http,
    ):
        started = time.monotonic()
        first = asyncio.create_task(
            post_status(http, server.url, activity, Authorization=forged_token())
        )
        await asyncio.wait_for(connected.wait(), timeout=10)  # the key fetch is in the tarpit
        # Meanwhile the event loop is free: /healthz answers at once.
        async with asyncio.timeout(2):
            assert await server.alive(http)
        status, _ = await asyncio.wait_for(first, timeout=FETCH_TIMEOUT + 5)
        assert status == 401
        assert time.monotonic() - started < FETCH_TIMEOUT + 5
        # The next forged token does not wait on the tarpit again: 401 at once.
        async with asyncio.timeout(2):
            status, _ = await post_status(http, server.url, activity, Authorization=forged_token())
        assert status == 401
        assert await metric(http, server.url, "mentorbot_teams_signing_keys_unavailable_total") == 2
        assert "Traceback" not in server.log_text
    assert connector.calls == []


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
async def test_sigterm_stops_the_server_while_a_key_fetch_hangs(
    tmp_path: Path, db_url: str, connector: FakeConnector
) -> None:
    activity = a.message(MAYA, "status", connector.url)
    async with (
        tarpit() as (metadata_url, connected),
        serve(tmp_path, db_url, authenticated_env(metadata_url, connector)) as server,
        aiohttp.ClientSession() as http,
    ):
        pending = asyncio.create_task(
            post_status(http, server.url, activity, Authorization=forged_token())
        )
        await asyncio.wait_for(connected.wait(), timeout=10)
        stopping = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(server.process.wait(), timeout=FETCH_TIMEOUT + 5) == 0
        assert time.monotonic() - stopping < FETCH_TIMEOUT + 5
        with contextlib.suppress(aiohttp.ClientError):
            await pending
