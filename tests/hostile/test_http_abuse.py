"""HTTP abuse against the real `mentorbot serve`: oversized, mistyped, unsigned, malformed,
replayed and fuzzed requests get a 4xx (or a harmless 200), never a 500, and the server stays
up with no traceback in its log."""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conversations.types import Status
from storage.store import SqlStore
from tests.adapters.slack.conftest import COMMAND, sign
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.teams.fake_connector import FakeConnector
from tests.adapters.teams.fake_openid import APP_ID, fake_openid, signed_token
from tests.hostile import payloads as p
from tests.hostile.server import both_platforms, serve
from tests.hostile.strategies import anchored

SQLITE_ONLY = pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
SLACK_LIMIT = 1024 * 1024  # bot/server.py MAX_BODY
TEAMS_LIMIT = 256 * 1024  # adapters/teams/endpoint.py MAX_BODY


def draw_examples(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """`count` reproducible examples of `strategy`, for tests that cannot run under @given."""
    found: list[Any] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(example: Any) -> None:
        found.append(example)

    collect()
    return found[:count]


async def post(
    http: aiohttp.ClientSession, url: str, body: bytes | str, headers: dict[str, str]
) -> int:
    data = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    async with http.post(url, data=data, headers=headers) as response:
        await response.read()
        return response.status


def signed(body: str, content_type: str, **extra: str) -> dict[str, str]:
    return {"Content-Type": content_type, **sign(body), **extra}


async def chunks(size: int) -> AsyncIterator[bytes]:
    """A chunked body (no Content-Length) of `size` bytes."""
    block = b"x" * 65536
    sent = 0
    while sent < size:
        yield block
        sent += len(block)


@pytest.fixture
async def server(hostile_workdir: Path, db_url: str, fake_slack: FakeSlack) -> AsyncIterator[Any]:
    async with (
        serve(hostile_workdir, db_url, both_platforms(fake_slack)) as served,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http,
    ):
        yield served, http
        assert await served.alive(http)
    assert_no_crash(served.log_text)


# What an unhandled exception in the HTTP layer logs: aiohttp's handler error, Bolt's
# middleware/listener failures, botbuilder's turn error, or an access line with a 5xx.
CRASHES = re.compile(
    r"Error handling request|Failed to run a middleware|Failed to run listener|"
    r"on_turn_error|\" 5\d\d \d+ "
)


def assert_no_crash(log: str) -> None:
    crashes = [line for line in log.splitlines() if CRASHES.search(line)]
    assert not crashes, "\n".join(crashes[:5]) + "\n\n" + log[-5000:]


# --- Slack -----------------------------------------------------------------------------------


@SQLITE_ONLY
async def test_slack_refuses_oversized_mistyped_unsigned_and_malformed_requests(
    server: Any, fake_slack: FakeSlack
) -> None:
    served, http = server
    url = f"{served.url}/slack/events"
    big = json.dumps({"type": "event_callback", "pad": "x" * (SLACK_LIMIT + 1)})
    command = urlencode({"command": COMMAND, "user_id": "U0SAM", "text": "help"})
    cases: list[tuple[str, bytes | str, dict[str, str], set[int]]] = [
        ("over the size limit", big, signed(big, JSON), {413}),
        ("over the limit, unsigned", "text=" + "x" * SLACK_LIMIT, {"Content-Type": FORM}, {413}),
        ("wrong content type", command, signed(command, "text/plain"), {415}),
        ("multipart", command, signed(command, "multipart/form-data; boundary=x"), {415}),
        ("no content type", command, sign(command), {415}),
        ("bad signature", command, {"Content-Type": FORM, **sign(command, secret="nope")}, {401}),
        ("no signature", command, {"Content-Type": FORM}, {401}),
        ("signed other body", command, {"Content-Type": FORM, **sign("text=x")}, {401}),
        (
            "timestamp not a number",
            command,
            {
                "Content-Type": FORM,
                "X-Slack-Request-Timestamp": "soon",
                "X-Slack-Signature": "v0=0",
            },
            {401},
        ),
        ("stale", command, signed_at(command, int(time.time()) - 600), {401}),
        ("future", command, signed_at(command, int(time.time()) + 600), {401}),
        ("JSON that is not JSON", "{not json", signed("{not json", JSON), {400}),
        ("unsigned non-JSON", "{not json", {"Content-Type": JSON}, {400, 401}),
        ("a JSON list", "[1, 2]", signed("[1, 2]", JSON), {400}),
        ("a JSON string", '"hi"', signed('"hi"', JSON), {400}),
        ("invalid UTF-8", b'{"type": "\xff\xfe"}', {"Content-Type": JSON}, {400, 401}),
        ("payload not JSON", "payload=%7Bnope", signed("payload=%7Bnope", FORM), {400}),
        ("payload a list", "payload=%5B%5D", signed("payload=%5B%5D", FORM), {400}),
    ]
    for what, body, headers, expected in cases:
        status = await post(http, url, body, headers)
        assert status in expected, (what, status)
    async with http.post(
        url, data=chunks(SLACK_LIMIT + 65536), headers={"Content-Type": JSON}
    ) as response:
        assert response.status == 413, "chunked body over the limit"
    assert await served.alive(http)
    assert not fake_slack.calls_to("chat.postMessage")


def signed_at(body: str, timestamp: int) -> dict[str, str]:
    return {"Content-Type": FORM, **sign(body, timestamp=timestamp)}


async def test_a_replayed_slack_request_is_acted_on_once(
    server: Any, fake_slack: FakeSlack, store: SqlStore
) -> None:
    """The same bytes, signature and timestamp twice (in a row and at once): one answer."""
    served, http = server
    url = f"{served.url}/slack/events"
    trigger = "9999.replay"
    form = {
        "team_id": p.TEAM,
        "channel_id": "C0GENERAL",
        "user_id": "U0SAM",
        "command": COMMAND,
        "text": "leave",
        "response_url": fake_slack.response_url("replay"),
        "trigger_id": trigger,
    }
    body = urlencode(form)
    headers = signed(body, FORM)  # captured once, replayed verbatim
    statuses = await asyncio.gather(*(post(http, url, body, headers) for _ in range(3)))
    statuses.append(await post(http, url, body, headers))
    assert set(statuses) <= {200}, statuses
    await fake_slack.wait_for(
        lambda: [r for r in fake_slack.responses if r[0] == "replay"], what="the answer"
    )
    event = {
        "type": "message",
        "channel": "D0KIM",
        "user": "U0KIM",
        "text": "status",
        "ts": "1700000000.000100",
        "channel_type": "im",
    }
    envelope = {
        "type": "event_callback",
        "team_id": p.TEAM,
        "event_id": "Ev0REPLAY",
        "event": event,
    }
    dm = json.dumps(envelope)
    dm_headers = signed(dm, JSON)
    assert await asyncio.gather(*(post(http, url, dm, dm_headers) for _ in range(3))) == [200] * 3
    await fake_slack.wait_for_call("chat.postMessage", channel="D0KIM")
    # Anything else Sam or Kim asks is answered after the replays would have been.
    await post(http, url, *_dm_request("U0KIM", "help", "Ev0AFTER"))
    await fake_slack.wait_for_call("chat.postMessage", 2, channel="D0KIM")
    assert len([r for r in fake_slack.responses if r[0] == "replay"]) == 1
    texts = [c.args["text"] for c in fake_slack.calls_to("chat.postMessage", channel="D0KIM")]
    assert len(texts) == 2, texts
    # One state change: Sam left, once.
    sam = await store.person_by_email("sam@example.com")
    assert sam is not None and sam.status is Status.LEFT


def _dm_request(user: str, text: str, event_id: str) -> tuple[str, dict[str, str]]:
    event = {"type": "message", "channel": "D" + user[1:], "user": user, "text": text}
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": p.TEAM,
            "event_id": event_id,
            "event": {**event, "ts": "1.0", "channel_type": "im"},
        }
    )
    return body, signed(body, JSON)


SLACK_BODIES = st.one_of(
    anchored(p.SLACK_MESSAGE_IM, type="event_callback").map(lambda b: ("event", b)),
    anchored(p.SLACK_HOME_OPENED, type="event_callback").map(lambda b: ("event", b)),
    anchored(p.SLACK_COMMAND, command=COMMAND).map(lambda b: ("command", b)),
    anchored(p.SLACK_BLOCK_ACTIONS, type="block_actions").map(lambda b: ("payload", b)),
    anchored(p.SLACK_VIEW_SUBMISSION, type="view_submission").map(lambda b: ("payload", b)),
)


def slack_request(kind: str, body: dict[str, Any], response_url: str) -> tuple[str, str]:
    """(body, content type) as Slack would post it; answers go to the fake, never out."""
    if isinstance(body.get("response_url"), str):
        body = {**body, "response_url": response_url}
    if kind == "event":
        return json.dumps(body), JSON
    if kind == "command":
        fields = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
        return urlencode(fields, errors="surrogatepass"), FORM
    return urlencode({"payload": json.dumps(body)}), FORM


TEAMS_BODIES = st.one_of(
    anchored(p.TEAMS_MESSAGE, type="message"),
    anchored(p.TEAMS_SUBMIT, type="message"),
    anchored(p.TEAMS_CONVERSATION_UPDATE, type="conversationUpdate"),
    anchored(p.TEAMS_INSTALLATION_UPDATE, type="installationUpdate"),
    anchored(p.TEAMS_INVOKE, type="invoke"),
)
HTTP_EXAMPLES = int(os.environ.get("HOSTILE_HTTP_EXAMPLES", "30"))  # each a real request


@SQLITE_ONLY
async def test_fuzzed_bodies_get_a_4xx_or_200_never_a_500(
    server: Any, connector: FakeConnector, fake_slack: FakeSlack
) -> None:
    served, http = server
    respond = fake_slack.response_url("fuzz")
    for kind, payload in draw_examples(SLACK_BODIES, HTTP_EXAMPLES):
        body, content_type = slack_request(kind, payload, respond)
        status = await post(http, f"{served.url}/slack/events", body, signed(body, content_type))
        assert status == 200 or 400 <= status < 500, (status, body[:500])
    for activity in draw_examples(TEAMS_BODIES, HTTP_EXAMPLES):
        if isinstance(activity.get("serviceUrl"), str):
            activity["serviceUrl"] = connector.url  # replies go to the fake, not the internet
        body = json.dumps(activity)
        status = await post(http, f"{served.url}/api/messages", body, {"Content-Type": JSON})
        assert status == 200 or 400 <= status < 500, (status, body[:500])
    assert await served.alive(http)


# --- Teams -----------------------------------------------------------------------------------


@SQLITE_ONLY
async def test_teams_refuses_oversized_mistyped_and_malformed_requests(
    server: Any, connector: FakeConnector
) -> None:
    served, http = server
    url = f"{served.url}/api/messages"
    big = json.dumps({"type": "message", "text": "x" * TEAMS_LIMIT})
    good = json.dumps({**p.TEAMS_MESSAGE, "type": "message", "serviceUrl": connector.url})
    cases: list[tuple[str, bytes | str, dict[str, str], int]] = [
        ("over the size limit", big, {"Content-Type": JSON}, 413),
        ("over the server's limit", "x" * (SLACK_LIMIT + 1), {"Content-Type": JSON}, 413),
        ("text/plain", good, {"Content-Type": "text/plain"}, 415),
        ("form", good, {"Content-Type": FORM}, 415),
        ("no content type", good.encode(), {"Content-Type": ""}, 415),
        ("not JSON", "{nope", {"Content-Type": JSON}, 400),
        ("invalid UTF-8", b'{"type": "message\xff"}', {"Content-Type": JSON}, 400),
        ("a list", "[]", {"Content-Type": JSON}, 400),
        ("no type", "{}", {"Content-Type": JSON}, 400),
        ("type not a string", '{"type": 5}', {"Content-Type": JSON}, 400),
        ("lone surrogate", good.replace("a:1chat-sam", "\\ud800"), {"Content-Type": JSON}, 400),
        (
            "lone surrogate id",
            good.replace("1700000000001", "\\udfff"),
            {"Content-Type": JSON},
            400,
        ),
    ]
    for what, body, headers, expected in cases:
        status = await post(http, url, body, headers)
        assert status == expected, (what, status)
    async with http.post(
        url, data=chunks(TEAMS_LIMIT + 65536), headers={"Content-Type": JSON}
    ) as r:
        assert r.status == 413, "chunked body over the limit"
    # A valid emoji written as a surrogate pair is fine (that is how ensure_ascii JSON looks).
    emoji = good.replace("status", "status \\ud83d\\ude00")
    assert await post(http, url, emoji, {"Content-Type": JSON}) == 200
    assert await served.alive(http)


@SQLITE_ONLY
async def test_teams_with_an_app_id_refuses_forged_tokens_with_401(
    hostile_workdir: Path, db_url: str, connector: FakeConnector
) -> None:
    import base64

    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    app_id = APP_ID  # the fake OpenID server's tokens are for this app
    claims = {"aud": app_id, "iss": "https://api.botframework.com", "exp": int(time.time()) + 600}
    forged = [
        f"Bearer {b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}.",
        f"Bearer {b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64(claims)}.c2lnbmF0dXJl",
        f"Bearer {b64({'alg': 'RS256', 'kid': 'x' * 5000})}.{b64(claims)}.AAAA",
        "Bearer \u202e.\u200b.x".encode().decode("latin-1"),  # RTL + zero-width, as bytes
    ]
    # A token signed by a key that is not the published one, naming the published key's id.
    forged.append(signed_token(connector.url)[:-8] + "AAAAAAAA")
    activity = json.dumps({**p.TEAMS_MESSAGE, "type": "message", "serviceUrl": connector.url})
    async with fake_openid() as keys:  # the signing keys come from loopback, never the internet
        env = {
            "MICROSOFT_APP_ID": app_id,
            "MICROSOFT_APP_PASSWORD": "not-a-real-secret",
            "TEAMS_OPENID_METADATA_URL": keys.metadata_url,
            "TEAMS_ALLOWED_SERVICE_URLS": connector.url,
            "TEAMS_ALLOWED_TENANTS": p.TENANT,
        }
        async with serve(hostile_workdir, db_url, env) as served, aiohttp.ClientSession() as http:
            for token in forged:
                status = await post(
                    http,
                    f"{served.url}/api/messages",
                    activity,
                    {"Content-Type": JSON, "Authorization": token},
                )
                assert status == 401, (token[:60], status)
            assert await served.alive(http)
        assert keys.requests[:2] == ["/openid", "/keys"]  # checked against the published keys
    assert connector.calls == []
    assert_no_crash(served.log_text)
