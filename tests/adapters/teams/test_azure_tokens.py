"""The bot's Azure AD token never blocks the event loop (issue 15 review, T1).

botbuilder fetched the token with blocking `requests` calls on the event loop, once per turn,
member look-up and new chat: with Azure AD (or the proxy on the way) slow, the whole server
stalled. Here Azure AD sits behind a tarpit: `HTTPS_PROXY` points at a loopback server that
accepts the proxy connection and never answers, the way a stalled proxy or login host behaves.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest
from botbuilder.schema import ChannelAccount, ConversationParameters
from botframework.connector.auth import AppCredentials, ServiceClientCredentialsFactory

from adapters.teams.auth import TeamsCredentials, build_adapter
from adapters.teams.tokens import (
    FETCH_TIMEOUT,
    RENEW_BEFORE,
    RETRY_AFTER_FAILURE,
    AppTokens,
    AzureTokenUnavailable,
)
from tests.adapters.teams import activities as a
from tests.adapters.teams.fake_connector import FakeConnector
from tests.adapters.teams.fake_openid import APP_ID, fake_openid, signed_token
from tests.adapters.teams.serve import serve

MAYA = a.user("aad-maya", "Maya Okafor")
HOLD = FETCH_TIMEOUT + 3  # the tarpit lets go after this: longer than the bot may wait
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY",
                   "all_proxy", "NO_PROXY", "no_proxy")  # fmt: skip


@contextlib.asynccontextmanager
async def tarpit() -> AsyncIterator[tuple[str, asyncio.Event]]:
    """A loopback "proxy" that accepts connections and answers nothing for HOLD seconds; the
    event is set once someone has connected.

    It runs in its own thread, not on the event loop: a loop that a blocking fetch stalls (the
    bug) must not also stall the tarpit that should let it go, or the test would hang.
    """
    loop = asyncio.get_running_loop()
    connected = asyncio.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    port = listener.getsockname()[1]
    stop = threading.Event()

    def hold(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(0.1)
            until = time.monotonic() + HOLD
            while time.monotonic() < until and not stop.is_set():
                try:
                    if not conn.recv(4096):
                        return  # the client gave up
                except TimeoutError:
                    continue
                except OSError:
                    return

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            loop.call_soon_threadsafe(connected.set)
            threading.Thread(target=hold, args=(conn,), daemon=True).start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield f"http://127.0.0.1:{port}", connected
    finally:
        stop.set()
        acceptor.join()
        listener.close()


class Heartbeat:
    """The longest the event loop went without running this task (a blocked loop shows)."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _beat(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.05)
            now = time.monotonic()
            self.longest = max(self.longest, now - last)
            last = now

    def __enter__(self) -> Heartbeat:
        self._task = asyncio.ensure_future(self._beat())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


@pytest.fixture
def azure_ad_behind_a_tarpit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Clear proxy settings; each test sets HTTPS_PROXY to its tarpit."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


async def test_a_new_chat_while_azure_ad_hangs_fails_with_a_timeout_and_the_loop_runs_on(
    connector: FakeConnector, monkeypatch: pytest.MonkeyPatch, azure_ad_behind_a_tarpit: None
) -> None:
    adapter, _ = build_adapter(TeamsCredentials(app_id=APP_ID, app_password="not-a-secret"))
    parameters = ConversationParameters(
        is_group=False,
        bot=ChannelAccount(id=f"28:{APP_ID}"),
        members=[ChannelAccount(id="aad-maya")],
        tenant_id=a.TENANT,
        channel_data={"tenant": {"id": a.TENANT}},
    )

    async def callback(context: Any) -> None:
        raise AssertionError("no chat can be created without a token")

    async with tarpit() as (proxy, connected):
        monkeypatch.setenv("HTTPS_PROXY", proxy)  # login.microsoftonline.com is https
        with Heartbeat() as heartbeat:
            started = time.monotonic()
            with pytest.raises(AzureTokenUnavailable, match=r"did not answer within"):
                await adapter.create_conversation(
                    APP_ID, callback, parameters, "msteams", connector.url
                )
            assert connected.is_set()  # it did try Azure AD, through the tarpit
            assert time.monotonic() - started < FETCH_TIMEOUT + 2
            # The next attempt does not wait out the tarpit again.
            again = time.monotonic()
            with pytest.raises(AzureTokenUnavailable):
                await adapter.create_conversation(
                    APP_ID, callback, parameters, "msteams", connector.url
                )
            assert time.monotonic() - again < 1
        assert heartbeat.longest < 1.0  # the event loop was never blocked
    assert connector.calls == []  # nothing reached the Bot Connector


async def test_a_turn_while_azure_ad_hangs_gets_503_and_the_server_keeps_answering(
    tmp_path: Path, db_url: str, connector: FakeConnector, azure_ad_behind_a_tarpit: None
) -> None:
    activity = a.message(MAYA, "status", connector.url)
    async with (
        fake_openid() as metadata,
        tarpit() as (proxy, connected),
        aiohttp.ClientSession() as http,
    ):
        env = {
            "MICROSOFT_APP_ID": APP_ID,
            "MICROSOFT_APP_PASSWORD": "not-a-real-secret",
            "TEAMS_ALLOWED_TENANTS": a.TENANT,
            "TEAMS_ALLOWED_SERVICE_URLS": connector.url,
            "TEAMS_OPENID_METADATA_URL": metadata.metadata_url,
            "HTTPS_PROXY": proxy,  # Azure AD is reached through the stalled proxy
        }
        async with serve(tmp_path, db_url, env) as server:

            async def post() -> tuple[int, str]:
                headers = {"Authorization": signed_token(connector.url)}
                url = f"{server.url}/api/messages"
                async with http.post(url, json=activity, headers=headers) as response:
                    return response.status, response.headers.get("Retry-After", "")

            started = time.monotonic()
            first = asyncio.create_task(post())
            await asyncio.wait_for(connected.wait(), timeout=10)  # the token fetch is stuck
            async with asyncio.timeout(2):  # meanwhile the server answers at once
                assert await server.alive(http)
            async with asyncio.timeout(FETCH_TIMEOUT + 5):
                assert await first == (503, str(int(RETRY_AFTER_FAILURE)))
            assert time.monotonic() - started < FETCH_TIMEOUT + 5
            async with asyncio.timeout(2):  # the next activity does not wait again
                assert await post() == (503, str(int(RETRY_AFTER_FAILURE)))
            async with http.get(f"{server.url}/metrics") as response:
                metrics = await response.text()
            assert "mentorbot_teams_azure_token_unavailable_total 2" in metrics
            assert "did not answer within" in server.log_text
            assert "Traceback" not in server.log_text
    assert connector.calls == []  # no reply, no member look-up went out without a token


# --- one token for every turn, renewed before it expires ---------------------------------------


class SlowAzureAd:
    """Stands in for Azure AD behind botbuilder's credentials: each fetch blocks its thread
    until `release` is set, and hands out a token expiring `lifetime` seconds after `now`."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.fetches = 0
        self.now = 1_800_000_000.0
        self.lifetime = 3600.0

    def token(self) -> str:
        self.fetches += 1
        if not self.release.wait(timeout=30):
            raise TimeoutError("the test never released the fetch")
        return jwt.encode({"exp": int(self.now + self.lifetime)}, "k" * 32, algorithm="HS256")


class SlowCredentials(AppCredentials):  # type: ignore[misc]
    def __init__(self, azure_ad: SlowAzureAd) -> None:
        super().__init__(app_id=APP_ID, oauth_scope="https://api.botframework.com")
        self.azure_ad = azure_ad

    def get_access_token(self, force_refresh: bool = False) -> str:
        return self.azure_ad.token()


class SlowFactory(ServiceClientCredentialsFactory):  # type: ignore[misc]
    def __init__(self, azure_ad: SlowAzureAd) -> None:
        self.azure_ad = azure_ad

    async def is_valid_app_id(self, app_id: str) -> bool:
        return app_id == APP_ID

    async def is_authentication_disabled(self) -> bool:
        return False

    async def create_credentials(self, *args: Any) -> AppCredentials:
        return SlowCredentials(self.azure_ad)


async def credentials(tokens: AppTokens) -> Any:
    return await tokens.create_credentials(APP_ID, "https://api.botframework.com", "", True)


async def test_one_fetch_off_the_loop_serves_every_turn_until_shortly_before_expiry() -> None:
    azure_ad = SlowAzureAd()
    tokens = AppTokens(SlowFactory(azure_ad), timeout=5.0, clock=lambda: azure_ad.now)
    loop = asyncio.get_running_loop()
    loop.call_later(0.3, azure_ad.release.set)  # Azure AD answers after 0.3 s
    with Heartbeat() as heartbeat:
        signed = await asyncio.gather(*(credentials(tokens) for _ in range(5)))
    assert heartbeat.longest < 0.25  # the fetch ran in a thread
    assert azure_ad.fetches == 1  # one fetch for all five
    headers = {c.signed_session().headers["Authorization"] for c in signed}
    assert len(headers) == 1 and headers.pop().startswith("Bearer ey")
    azure_ad.now += 3600 - RENEW_BEFORE - 1  # still well within its lifetime
    await credentials(tokens)
    assert azure_ad.fetches == 1
    azure_ad.now += 2  # now due for renewal
    await credentials(tokens)
    assert azure_ad.fetches == 2


async def test_a_failed_fetch_fails_fast_until_the_retry_interval_then_recovers() -> None:
    azure_ad = SlowAzureAd()
    tokens = AppTokens(SlowFactory(azure_ad), timeout=0.2, clock=lambda: azure_ad.now)
    with pytest.raises(AzureTokenUnavailable, match=r"did not answer within 0\.2 s"):
        await credentials(tokens)
    started = time.monotonic()
    with pytest.raises(AzureTokenUnavailable):
        await credentials(tokens)  # within the back-off: at once, no second fetch
    assert time.monotonic() - started < 0.1 and azure_ad.fetches == 1
    azure_ad.release.set()  # Azure AD answers the fetch still running
    azure_ad.now += RETRY_AFTER_FAILURE
    signed = await credentials(tokens)
    assert signed.signed_session().headers["Authorization"].startswith("Bearer ey")
    assert azure_ad.fetches == 1  # the late answer of the first fetch was kept
