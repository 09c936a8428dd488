"""The real `mentorbot serve` over HTTP, its `serviceUrl` pointing at a fake Bot Connector."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.teams.activities import reference_json
from conversations.types import Status, actions
from storage.store import SqlStore
from tests.adapters.teams import activities as a
from tests.adapters.teams.conftest import NOW, ROSTER
from tests.adapters.teams.fake_connector import FakeConnector
from tests.adapters.teams.serve import BOTH_CONSENT, serve
from tests.fakes import run_cli

MAYA = a.user("aad-maya", "Maya Okafor")  # roster teams_id: matched by AAD object id
KIM = a.user("aad-kim", "Kim Park")
SAM = a.user("aad-sam", "Sam Lee")  # no teams_id in the roster: matched by email
DEV = {"TEAMS_DEV_MODE": "1"}


def card_button(call: Any, title: str) -> dict[str, Any]:
    """The card action with this title (buttons sit in ActionSets inside the card body)."""
    found = [
        action
        for element in _elements(call.card["body"])
        if element.get("type") == "ActionSet"
        for action in element["actions"]
        if action.get("title") == title
    ]
    assert found, f"no {title!r} button in {call.text!r}"
    return dict(found[0])


def _elements(items: list[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, dict):
            out.append(item)
            for key in ("items", "columns", "body"):
                out += _elements(item.get(key, []))
    return out


async def post(http: aiohttp.ClientSession, base: str, activity: dict[str, Any]) -> Any:
    async with http.post(f"{base}/api/messages", json=activity) as response:
        assert response.status == 200, await response.text()
        return await response.json() if response.content_type == "application/json" else None


async def test_install_then_status_and_a_retried_activity_is_answered_once(
    tmp_path: Path, db_url: str, people: SqlStore, connector: FakeConnector
) -> None:
    chat = a.chat_id(MAYA)
    async with serve(tmp_path, db_url, DEV) as server, aiohttp.ClientSession() as http:
        assert "UNAUTHENTICATED" in server.log_text  # the loud dev-mode warning
        await post(http, server.url, a.installed(MAYA, connector.url))
        await post(http, server.url, a.installation_update(MAYA, connector.url))
        (greeting,) = connector.sent(chat)
        assert "Here's what I can do" in greeting.text

        maya = await people.person_by_email("maya@example.com")
        assert maya is not None
        (identity,) = await people.identities_of(maya.id)
        assert (identity.tenant_id, identity.dm_conversation_id) == (a.TENANT, chat)
        assert identity.service_url == connector.url
        reference = reference_json(identity.reference)
        assert reference is not None and reference["conversation"]["id"] == chat
        assert reference["conversation"]["tenantID"]  # botbuilder's key == a.TENANT

        status = a.message(MAYA, "<at>Mentorbot</at> status", connector.url)
        await post(http, server.url, status)
        await post(http, server.url, status)  # Teams retrying an activity it thinks was lost
        assert len(connector.sent(chat)) == 2
        assert "You're enrolled" in connector.sent(chat)[1].text


async def test_join_by_card_with_action_execute(
    tmp_path: Path, db_url: str, people: SqlStore, connector: FakeConnector
) -> None:
    chat = a.chat_id(KIM)
    connector.members[KIM["id"]] = {
        "id": KIM["id"],
        "aadObjectId": "aad-kim",
        "name": "Kim Park",
        "email": "kim@example.com",
        "userPrincipalName": "kim@example.com",
    }
    async with serve(tmp_path, db_url, DEV) as server, aiohttp.ClientSession() as http:
        await post(http, server.url, a.message(KIM, "join", connector.url))
        assert connector.of("GET", f"/members/{KIM['id']}")  # TeamsInfo.get_member by email
        (form,) = connector.sent(chat)
        assert form.card is not None
        inputs = {e["id"]: e for e in form.card["body"] if e["type"].startswith("Input.")}
        assert inputs["teaches"]["isMultiSelect"] and inputs["learns"]["isMultiSelect"]
        role = next(c for c in inputs["role"]["choices"] if c["value"] == "mentor")

        pressed = {"action": actions.ENROL_ROLE, "value": role["value"]}
        answer = await post(http, server.url, a.execute(KIM, pressed, connector.url, "act-1"))
        assert answer["statusCode"] == 200
        assert answer["type"] in (
            "application/vnd.microsoft.activity.message",
            "application/vnd.microsoft.card.adaptive",
        )
        kim = await people.person_by_email("kim@example.com")
        assert kim is not None and kim.status is Status.ENROLLED and kim.role == "mentor"
        assert "Welcome to" in connector.sent(chat)[-1].text


async def test_enrol_by_submitting_the_form(
    tmp_path: Path, db_url: str, people: SqlStore, connector: FakeConnector
) -> None:
    kim = await people.person_by_email("kim@example.com")
    assert kim is not None
    from conversations.types import Identity

    await people.link_identity(Identity(kim.id, "teams", a.TENANT, "aad-kim"))
    form = {
        "action": actions.ENROL_FORM,
        "role": "mentor",
        "teaches": "GenAI tools,Social media",
        "learns": "Accessibility",
        "timezone": "Europe/Berlin",
    }
    async with serve(tmp_path, db_url, DEV) as server, aiohttp.ClientSession() as http:
        await post(http, server.url, a.submit(KIM, form, connector.url))
    kim = await people.person_by_email("kim@example.com")
    assert kim is not None and kim.status is Status.ENROLLED
    assert (kim.role, kim.teaches, kim.learns, kim.timezone) == (
        "mentor",
        ("GenAI tools", "Social media"),
        ("Accessibility",),
        "Europe/Berlin",
    )


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
async def test_with_an_app_id_missing_and_malformed_tokens_get_401(
    tmp_path: Path, db_url: str, connector: FakeConnector
) -> None:
    env = {
        "MICROSOFT_APP_ID": "00000000-0000-0000-0000-00000000a11d",
        "MICROSOFT_APP_PASSWORD": "not-a-real-secret",
    }
    activity = a.message(MAYA, "status", connector.url)
    async with serve(tmp_path, db_url, env) as server, aiohttp.ClientSession() as http:
        assert "UNAUTHENTICATED" not in server.log_text
        for header in (None, "Bearer", "Bearer garbage", "Bearer a.b.c", "Basic dXNlcjpwdw=="):
            headers = {"Authorization": header} if header else {}
            async with http.post(
                f"{server.url}/api/messages", json=activity, headers=headers
            ) as response:
                assert response.status == 401, (header, await response.text())
    assert connector.calls == []


async def test_a_whole_round_through_teams(
    tmp_path: Path, db_url: str, people: SqlStore, connector: FakeConnector
) -> None:
    """Install, publish, consent by card, intro cards to both (one via a new chat, after a 429)."""
    maya_chat = a.chat_id(MAYA)
    async with serve(tmp_path, db_url, DEV) as server, aiohttp.ClientSession() as http:
        await post(http, server.url, a.installed(MAYA, connector.url))
        await post(http, server.url, a.message(MAYA, "match publish", connector.url))
        assert "Published: 1 pair," in connector.sent(maya_chat)[-1].text

        def consent_card(fake: FakeConnector) -> bool:
            return any("Accept" in c.text for c in fake.sent(maya_chat))

        await connector.wait_for(consent_card)  # queued, then sent by the delivery worker
        card = next(c.card for c in connector.sent(maya_chat) if "Accept" in c.text)
        assert card is not None
        accept = next(
            x
            for e in json.loads(json.dumps(card))["body"][-1]["items"]
            if e["type"] == "ActionSet"
            for x in e["actions"]
            if x["title"] == "Accept"
        )
        # Sam never opened the bot: his intro needs a new chat; its first send is throttled.
        connector.fail_next("send", 429, retry_after="0", path_contains="a:created-")
        answer = await post(http, server.url, a.execute(MAYA, accept["data"], connector.url))
        assert answer["statusCode"] == 200

        def intros_sent(fake: FakeConnector) -> bool:
            to_sam = [c for c in fake.sent() if c.conversation_id.startswith("a:created-")]
            to_maya = [c for c in fake.sent(maya_chat) if "Meet your" in c.text]
            return bool(to_sam) and bool(to_maya)

        await connector.wait_for(intros_sent)

        # A month on (simulated with `tick --now`), the pair is asked whether they met.
        maya = await people.person_by_email("maya@example.com")
        assert maya is not None
        (pair,) = await people.pairs_of(maya.id)
        first = (await people.sessions_of(pair.id))[0]
        later = f"{first.due_date + timedelta(days=1)}T12:00:00Z"
        await run_cli(tmp_path, db_url, "tick", "--now", later, env=DEV)
        asked = next(c for c in connector.sent(maya_chat) if "Did you meet" in c.text)
        met = card_button(asked, "We met ✅")
        answer = await post(http, server.url, a.execute(MAYA, met["data"], connector.url))
        assert answer["statusCode"] == 200

        def pulse_card(fake: FakeConnector) -> bool:
            return any("how valuable" in c.text for c in fake.sent(maya_chat))

        await connector.wait_for(pulse_card)  # private, at once, to whoever reported
        pulse = next(c for c in connector.sent(maya_chat) if "how valuable" in c.text)
        four = card_button(pulse, "4")
        # This time as an Action.Submit (a message whose `value` carries the data).
        await post(http, server.url, a.submit(MAYA, four["data"], connector.url))
        answer_row = await people.get_pulse(maya.id, pair.id, 1)
        assert answer_row is not None and answer_row.rating == 4
        assert any(
            "4/5 noted" in c.text
            for c in connector.calls
            if c.path.startswith(f"/v3/conversations/{maya_chat}")
        )
    (create,) = [c for c in connector.calls if c.path == "/v3/conversations"]
    assert create.body["members"] == [{"id": "aad-sam"}]
    to_sam = [c for c in connector.calls if "/a:created-" in c.path]
    intro_calls = [c for c in to_sam if "Meet your reverse-mentoring partner" in c.text]
    # Throttled once, then delivered once.
    assert [c.status for c in intro_calls] == [429, 201]


async def test_a_junior_declines_a_proposal_through_teams(
    tmp_path: Path, db_url: str, people: SqlStore, connector: FakeConnector
) -> None:
    """Both partners are asked; Maya says yes, then Sam taps "Ask for someone else" on his
    private preview card (an Action.Submit). Maya gets a kind note that names nobody, her
    status shows no proposal, and nobody is introduced."""
    maya_chat, sam_chat = a.chat_id(MAYA), a.chat_id(SAM)
    async with (
        serve(tmp_path, db_url, DEV, config=BOTH_CONSENT) as server,
        aiohttp.ClientSession() as http,
    ):
        await post(http, server.url, a.installed(MAYA, connector.url))
        await post(http, server.url, a.installed(SAM, connector.url))
        await post(http, server.url, a.message(MAYA, "match publish", connector.url))
        assert "Published: 1 pair," in connector.sent(maya_chat)[-1].text

        def previews(fake: FakeConnector) -> bool:
            return all(
                any("Ask for someone else" in c.text for c in fake.sent(chat))
                for chat in (maya_chat, sam_chat)
            )

        await connector.wait_for(previews)
        maya_card = next(c for c in connector.sent(maya_chat) if "Accept" in c.text)
        sam_card = next(c for c in connector.sent(sam_chat) if "Accept" in c.text)
        assert "I'd like you to be *Maya Okafor*'s reverse mentor" in sam_card.text
        accept = card_button(maya_card, "Accept")
        await post(http, server.url, a.execute(MAYA, accept["data"], connector.url))
        decline = card_button(sam_card, "Ask for someone else")
        await post(http, server.url, a.submit(SAM, decline["data"], connector.url))

        def answered(fake: FakeConnector) -> bool:
            return any(
                "stays between you and me" in c.text
                for c in fake.calls
                if c.path.startswith(f"/v3/conversations/{sam_chat}")
            )

        await connector.wait_for(answered)

        def noted(fake: FakeConnector) -> list[Any]:
            return [c for c in fake.sent(maya_chat) if "won't go ahead" in c.text]

        await connector.wait_for(noted)
        (note,) = noted(connector)
        assert "Sam" not in note.text and "declin" not in note.text
        await post(http, server.url, a.message(MAYA, "status", connector.url))
        await connector.wait_for(lambda f: any("partner" in c.text for c in f.sent(maya_chat)[-1:]))
        assert "Sam" not in connector.sent(maya_chat)[-1].text
    assert not [c for c in connector.sent() if "Meet your reverse-mentoring partner" in c.text]
    maya = await people.person_by_email("maya@example.com")
    assert maya is not None and maya.first_in_line


async def test_mixed_pair_one_partner_installed_one_only_in_the_roster(
    tmp_path: Path, db_url: str, store: SqlStore, connector: FakeConnector
) -> None:
    """The mixed case: Maya opened the bot (her identity comes from the event: the AAD object
    id, the tenant, her `29:` id in the chat reference), while the roster had her `29:` id in
    `teams_id`; Sam is known only by the roster's AAD object id. Each gets one intro in their
    own chat (Sam's created with his AAD object id), nobody twice, and each ends with one
    Teams identity holding the AAD object id and the tenant."""
    roster = [
        dataclasses.replace(ROSTER[0], teams_id=MAYA["id"]),  # her 29: id, not the AAD id
        ROSTER[1],
    ]
    await store.import_roster(roster, deactivate_missing=False, dry_run=False, at=NOW)
    connector.members[MAYA["id"]] = {
        "id": MAYA["id"],
        "aadObjectId": MAYA["aadObjectId"],
        "name": "Maya Okafor",
        "email": "maya@example.com",
        "userPrincipalName": "maya@example.com",
    }
    maya_chat = a.chat_id(MAYA)
    async with serve(tmp_path, db_url, DEV) as server, aiohttp.ClientSession() as http:
        await post(http, server.url, a.installed(MAYA, connector.url))
        await post(http, server.url, a.message(MAYA, "match publish", connector.url))
        assert "Published: 1 pair," in connector.sent(maya_chat)[-1].text
        await connector.wait_for(lambda f: any("Accept" in c.text for c in f.sent(maya_chat)))
        card = next(c for c in connector.sent(maya_chat) if "Accept" in c.text)
        accept = card_button(card, "Accept")
        answer = await post(http, server.url, a.execute(MAYA, accept["data"], connector.url))
        assert answer["statusCode"] == 200

        def intros(fake: FakeConnector) -> dict[str, int]:
            found: dict[str, int] = {}
            for call in fake.sent():
                if "Meet your reverse-mentoring partner" in call.text:
                    found[call.conversation_id] = found.get(call.conversation_id, 0) + 1
            return found

        await connector.wait_for(lambda f: len(intros(f)) == 2)
        # A later tick sends nothing more: each intro went once.
        await run_cli(tmp_path, db_url, "tick", env=DEV)
    (create,) = [c for c in connector.calls if c.path == "/v3/conversations"]
    assert create.body["members"] == [{"id": "aad-sam"}]  # the AAD object id opens Sam's chat
    sam_chat = next(chat for chat in intros(connector) if chat != maya_chat)
    assert sam_chat.startswith("a:created-")  # the chat the bot created for Sam
    assert intros(connector) == {maya_chat: 1, sam_chat: 1}

    teams: dict[str, list[tuple[str, str, str]]] = {}
    for email in ("maya@example.com", "sam@example.com"):
        person = await store.person_by_email(email)
        assert person is not None
        teams[email] = [
            (i.tenant_id, i.user_id, i.dm_conversation_id)
            for i in await store.identities_of(person.id)
            if i.platform == "teams"
        ]
    assert teams == {
        "maya@example.com": [(a.TENANT, "aad-maya", maya_chat)],
        "sam@example.com": [(a.TENANT, "aad-sam", sam_chat)],
    }


async def test_both_partners_agree_the_ground_rules_in_teams(
    tmp_path: Path, db_url: str, people: SqlStore, connector: FakeConnector
) -> None:
    """Session 1's ground rules reach each partner's chat; each presses "I agree" (one as an
    Action.Execute invoke, one as an Action.Submit message) and both agreements are stored."""
    sam = a.user("aad-sam", "Sam Lee")
    maya_chat, sam_chat = a.chat_id(MAYA), a.chat_id(sam)
    async with serve(tmp_path, db_url, DEV) as server, aiohttp.ClientSession() as http:
        await post(http, server.url, a.installed(MAYA, connector.url))
        await post(http, server.url, a.installed(sam, connector.url))
        await post(http, server.url, a.message(MAYA, "match publish", connector.url))
        await connector.wait_for(lambda f: any("Accept" in c.text for c in f.sent(maya_chat)))
        preview = next(c for c in connector.sent(maya_chat) if "Accept" in c.text)
        accept = card_button(preview, "Accept")
        await post(http, server.url, a.execute(MAYA, accept["data"], connector.url))
        await connector.wait_for(lambda f: any("Meet your" in c.text for c in f.sent(sam_chat)))

        maya = await people.person_by_email("maya@example.com")
        assert maya is not None
        (pair,) = await people.pairs_of(maya.id)
        first = (await people.sessions_of(pair.id))[0]
        eve = f"{first.due_date - timedelta(days=1)}T12:00:00Z"
        await run_cli(tmp_path, db_url, "tick", "--now", eve, env=DEV)
        rules = {
            chat: next(c for c in connector.sent(chat) if "stays between the two of you" in c.text)
            for chat in (maya_chat, sam_chat)
        }
        assert "stays between the two of you" in rules[sam_chat].text
        # Sam's private choice of topic went to him alone.
        assert any("You lead — pick the topic" in c.text for c in connector.sent(sam_chat))
        assert not any("You lead — pick the topic" in c.text for c in connector.sent(maya_chat))

        agree = card_button(rules[sam_chat], "I agree")
        answer = await post(http, server.url, a.execute(sam, agree["data"], connector.url))
        assert answer["statusCode"] == 200
        await connector.wait_for(
            lambda f: any("Thanks, Sam — waiting for Maya." in c.text for c in f.sent(sam_chat))
        )
        # Maya's copy, pressed as an Action.Submit (a message whose `value` is the card's data).
        agree = card_button(rules[maya_chat], "I agree")
        await post(http, server.url, a.submit(MAYA, agree["data"], connector.url))
        await connector.wait_for(
            lambda f: any("You've both agreed" in c.text for c in f.sent(maya_chat))
        )
        answers = await people.survey_answers(pair.id)
        assert {(who, q, v) for (who, q), v in answers.items() if q == "ground_rules"} == {
            (pair.mentor_id, "ground_rules", "agreed"),
            (pair.mentee_id, "ground_rules", "agreed"),
        }
