"""Our own Bot Connector requests: botbuilder's token on them, reused, refreshed after a 401,
and errors classified as the delivery worker expects."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.teams.connector import TOKEN_REUSE, BotConnector, TokenCache
from adapters.teams.errors import ConnectorError, send_failed
from adapters.teams.trust import ServiceUrls

LOOPBACK = ServiceUrls(loopback=True)  # the test servers listen on 127.0.0.1


class Credentials:
    """Stands in for botbuilder's MicrosoftAppCredentials: `signed_session()` sets the header."""

    def __init__(self) -> None:
        self.fetched = 0

    def signed_session(self) -> object:
        self.fetched += 1
        return type("Session", (), {"headers": {"Authorization": f"Bearer t{self.fetched}"}})()


class Anonymous:
    """Credentials without an app id (dev mode): botbuilder signs nothing."""

    def signed_session(self) -> object:
        return type("Session", (), {"headers": {}})()


async def anonymous(service_url: str) -> Anonymous:
    return Anonymous()


class Service:
    """A Bot Connector that records Authorization headers and answers as told."""

    def __init__(self) -> None:
        self.headers: list[str] = []
        self.bodies: list[dict[str, object]] = []
        self.answers: list[web.Response] = []

    async def activities(self, request: web.Request) -> web.Response:
        self.headers.append(request.headers.get("Authorization", ""))
        self.bodies.append(await request.json())
        if self.answers:
            return self.answers.pop(0)
        return web.json_response({"id": f"act-{len(self.bodies)}"}, status=201)


@pytest.fixture
async def service() -> AsyncIterator[tuple[Service, str]]:
    fake = Service()
    app = web.Application()
    app.router.add_post("/v3/conversations/{conversation}/activities", fake.activities)
    app.router.add_put("/v3/conversations/{conversation}/activities/{id}", fake.activities)
    server = TestServer(app, host="127.0.0.1")  # an ephemeral port
    await server.start_server()
    try:
        yield fake, str(server.make_url("/"))
    finally:
        await server.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_botbuilders_token_is_sent_and_reused_until_it_is_old(
    service: tuple[Service, str],
) -> None:
    fake, url = service
    credentials, clock = Credentials(), Clock()

    async def credentials_for(service_url: str) -> Credentials:
        assert service_url == url
        return credentials

    connector = BotConnector(TokenCache(credentials_for, clock=clock), allows=LOOPBACK.allows)
    try:
        first = await connector.send(url, "a:1 chat/x", {"type": "message", "text": "one"})
        await connector.send(url, "a:1 chat/x", {"type": "message", "text": "two"})
        clock.now += TOKEN_REUSE + 1
        await connector.update(url, "a:1 chat/x", "act-1", {"type": "message", "text": "1b"})
    finally:
        await connector.close()
    assert first == "act-1"
    assert fake.headers == ["Bearer t1", "Bearer t1", "Bearer t2"]
    assert [b["text"] for b in fake.bodies] == ["one", "two", "1b"]


async def test_a_401_drops_the_token_so_the_next_send_fetches_a_new_one(
    service: tuple[Service, str],
) -> None:
    fake, url = service
    credentials = Credentials()

    async def credentials_for(service_url: str) -> Credentials:
        return credentials

    connector = BotConnector(TokenCache(credentials_for, clock=Clock()), allows=LOOPBACK.allows)
    fake.answers.append(web.json_response({"error": {"code": "Unauthorized"}}, status=401))
    try:
        with pytest.raises(ConnectorError) as raised:
            await connector.send(url, "c1", {"type": "message"})
        await connector.send(url, "c1", {"type": "message"})
    finally:
        await connector.close()
    failure = send_failed(raised.value)
    assert "MICROSOFT_APP_ID" in failure.reason and not failure.permanent
    assert fake.headers == ["Bearer t1", "Bearer t2"]


async def test_without_an_app_id_no_authorization_header_is_sent(
    service: tuple[Service, str],
) -> None:
    fake, url = service

    connector = BotConnector(TokenCache(anonymous), allows=LOOPBACK.allows)
    try:
        await connector.send(url, "c1", {"type": "message"})
    finally:
        await connector.close()
    assert fake.headers == [""]


@pytest.mark.parametrize(
    ("status", "headers", "retry_after", "permanent", "unreachable"),
    [
        (429, {"Retry-After": "3"}, 3.0, False, False),
        (502, {}, None, False, False),
        (403, {}, None, True, True),
        (400, {}, None, True, False),
    ],
)
async def test_error_answers_become_the_send_failed_the_worker_acts_on(
    service: tuple[Service, str],
    status: int,
    headers: dict[str, str],
    retry_after: float | None,
    permanent: bool,
    unreachable: bool,
) -> None:
    fake, url = service

    connector = BotConnector(TokenCache(anonymous), allows=LOOPBACK.allows)
    fake.answers.append(web.json_response({"error": {}}, status=status, headers=headers))
    try:
        with pytest.raises(ConnectorError) as raised:
            await connector.send(url, "c1", {"type": "message"})
    finally:
        await connector.close()
    failure = send_failed(raised.value)
    assert (failure.retry_after, failure.permanent, failure.unreachable) == (
        retry_after,
        permanent,
        unreachable,
    )
