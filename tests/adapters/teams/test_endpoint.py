"""`POST /api/messages` in-process: request checks and the Action.Execute InvokeResponse."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.teams.endpoint import MessagesEndpoint
from adapters.teams.turn import REPLY_STALE_AFTER, TeamsTurn
from conversations import texts
from conversations.types import Action, Button, Event, OutgoingMessage, Person
from storage.store import SqlStore
from tests.adapters.teams import activities as a
from tests.adapters.teams.conftest import NOW, deps_for, dev_adapter, setup_for
from tests.adapters.teams.fake_connector import FakeConnector

MAYA = a.user("aad-maya", "Maya Okafor")
pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)


async def engine_stub(event: Event, *, person: Person | None = None) -> list[OutgoingMessage]:
    """Answers a button by replacing its card and adding one more message."""
    del person
    if not isinstance(event, Action):
        return [texts.reply(event.address, "status", "You're enrolled.")]
    done = texts.reply(
        event.address, "pulse", "Thanks, noted: 5/5.", Button("Undo", "pulse.skip", "1:1")
    )
    return [
        OutgoingMessage(done.to, done.kind, done.fallback_text, done.blocks,
                        replaces=event.message_id),
        texts.reply(event.address, "status", "One more thing."),
    ]  # fmt: skip


@pytest.fixture
async def client(people: SqlStore) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    adapter, authentication = dev_adapter()
    endpoint = MessagesEndpoint(
        adapter,
        authentication,
        TeamsTurn(deps_for(people, engine_stub), setup_for(people)),
        require_token=False,
    )
    app = web.Application()
    app.router.add_post("/api/messages", endpoint.handle)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def test_action_execute_answers_with_the_updated_card_as_an_invoke_response(
    client: TestClient,
    connector: FakeConnector,  # type: ignore[type-arg]
) -> None:
    activity = a.execute(MAYA, {"action": "pulse.rate", "value": "1:1:5"}, connector.url, "c7")
    response = await client.post("/api/messages", json=activity)
    assert response.status == 200
    body = await response.json()
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    card = body["value"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    content = next(e for e in card["body"] if e.get("id") == "content")
    assert content["items"][0]["text"] == "Thanks, noted: 5/5."
    # The updated card is the answer; only the other reply is posted to the chat.
    (sent,) = connector.sent()
    assert "One more thing." in sent.text
    assert connector.of("PUT", "/activities/") == []


async def test_action_submit_updates_the_card_with_a_put(
    client: TestClient,
    connector: FakeConnector,  # type: ignore[type-arg]
) -> None:
    activity = a.submit(MAYA, {"action": "pulse.rate", "value": "1:1:5"}, connector.url, "c8")
    response = await client.post("/api/messages", json=activity)
    assert response.status == 200
    (update,) = connector.of("PUT", "/activities/c8")
    assert "Thanks, noted" in update.text
    assert len(connector.sent()) == 1


async def test_an_unknown_invoke_gets_a_plain_invoke_response(
    client: TestClient,
    connector: FakeConnector,  # type: ignore[type-arg]
) -> None:
    activity = {**a.execute(MAYA, {"action": "x"}, connector.url), "name": "task/fetch"}
    response = await client.post("/api/messages", json=activity)
    assert response.status == 200
    assert (await response.json())["type"] == "application/vnd.microsoft.activity.message"
    assert connector.calls == []


async def test_bad_requests_are_refused_with_the_right_status(
    client: TestClient,
    connector: FakeConnector,  # type: ignore[type-arg]
) -> None:
    text = await client.post("/api/messages", data="hi", headers={"Content-Type": "text/plain"})
    assert text.status == 415
    broken = await client.post(
        "/api/messages", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status == 400
    assert (await client.post("/api/messages", json=[1, 2])).status == 400
    huge = a.message(MAYA, "x" * 300_000, connector.url)
    assert (await client.post("/api/messages", json=huge)).status == 413
    assert connector.calls == []


async def test_a_reply_teams_did_not_take_is_queued_to_go_within_minutes_only(
    people: SqlStore,
    connector: FakeConnector,  # type: ignore[type-arg]
) -> None:
    """A reply that fails for now goes through the queue, with a deadline: an hour later
    "Wonderful — I'll introduce you" might answer a pair that has ended since."""
    queued: list[OutgoingMessage] = []
    adapter, authentication = dev_adapter()
    endpoint = MessagesEndpoint(
        adapter,
        authentication,
        TeamsTurn(deps_for(people, engine_stub, queued), setup_for(people)),
        require_token=False,
    )
    app = web.Application()
    app.router.add_post("/api/messages", endpoint.handle)
    connector.fail_next("send", 503, times=20)  # Teams is having a bad minute
    async with TestClient(TestServer(app)) as test_client:
        response = await test_client.post(
            "/api/messages", json=a.message(MAYA, "status", connector.url)
        )
    assert response.status == 200
    (reply,) = queued
    assert reply.fallback_text == "You're enrolled."
    assert reply.premise is not None
    assert reply.premise.not_after == NOW + REPLY_STALE_AFTER
