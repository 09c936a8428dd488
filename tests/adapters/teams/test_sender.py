"""The Teams sender against a fake Bot Connector: continue, create, update, and Teams' errors."""

from __future__ import annotations

import pytest

from adapters.teams.activities import bare_reference, reference_to_json
from adapters.teams.sender import TeamsSender
from adapters.teams.trust import ServiceUrls, Tenants
from conversations.ports import SendFailed
from conversations.types import Address, Identity, Link, OutgoingMessage, Text
from storage.store import SqlStore
from tests.adapters.teams import activities as a
from tests.adapters.teams.conftest import deps_for, dev_adapter, link, setup_for
from tests.adapters.teams.fake_connector import FakeConnector, fake_connector

MAYA_CHAT = "a:1chat-aad-maya"
OTHER_TENANT = "0ther000-0000-4000-8000-00000000evil"


async def maya_has_a_chat(people: SqlStore, connector: FakeConnector) -> Address:
    reference = bare_reference(MAYA_CHAT, a.TENANT, connector.url)
    await link(
        people,
        "maya@example.com",
        Identity(0, "teams", a.TENANT, "aad-maya", MAYA_CHAT, connector.url,
                 reference_to_json(reference)),
    )  # fmt: skip
    return Address("teams", a.TENANT, MAYA_CHAT)


def make_sender(people: SqlStore) -> tuple[TeamsSender, list[float]]:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    adapter, _ = dev_adapter()
    return TeamsSender(adapter, deps_for(people), setup_for(people), sleep=sleep), waits


def note(text: str = "Hello there", **fields: object) -> OutgoingMessage:
    return OutgoingMessage(Address("teams", "", ""), "status", text, (Text(text),), **fields)  # type: ignore[arg-type]


async def test_a_stored_reference_is_continued(people: SqlStore, connector: FakeConnector) -> None:
    address = await maya_has_a_chat(people, connector)
    sender, _ = make_sender(people)
    delivery = await sender.send(note(), address)
    (call,) = connector.sent(MAYA_CHAT)
    assert delivery.message_id.startswith("activity-")
    assert call.body["text"] == "Hello there"
    assert call.body["channelData"] == {"tenant": {"id": a.TENANT}}


async def test_someone_who_never_opened_the_bot_gets_a_new_chat(
    people: SqlStore, connector: FakeConnector
) -> None:
    await maya_has_a_chat(people, connector)  # the tenant's service URL is known from Maya
    sender, _ = make_sender(people)
    # The delivery worker's address for a roster-only identity: tenant '', the AAD object id.
    await sender.send(note("Welcome!"), Address("teams", "", "aad-sam"))
    (create,) = [c for c in connector.calls if c.path == "/v3/conversations"]
    assert create.body["members"] == [{"id": "aad-sam"}]
    # Teams reads the tenant from channelData (botbuilder also sends its own `tenantID` key).
    assert create.body["channelData"] == {"tenant": {"id": a.TENANT}}
    assert create.body["isGroup"] is False
    (sent,) = connector.sent("a:created-1")
    assert "Welcome!" in sent.text
    sam = await people.person_by_email("sam@example.com")
    assert sam is not None
    (identity,) = await people.identities_of(sam.id)
    assert identity.dm_conversation_id == "a:created-1" and identity.tenant_id == a.TENANT
    # The next message continues the chat instead of creating another.
    await sender.send(note("Again"), Address("teams", a.TENANT, "a:created-1"))
    assert len(connector.of("POST", "/v3/conversations")) == 3  # 1 create + 2 sends


async def test_without_any_service_url_the_send_waits_for_the_tenant(
    people: SqlStore, connector: FakeConnector
) -> None:
    sender, _ = make_sender(people)
    with pytest.raises(SendFailed) as failed:
        await sender.send(note(), Address("teams", "", "aad-sam"))
    assert failed.value.retry_after == 3600 and not failed.value.permanent
    assert connector.calls == []


async def test_replaces_updates_the_card_in_place(
    people: SqlStore, connector: FakeConnector
) -> None:
    address = await maya_has_a_chat(people, connector)
    sender, _ = make_sender(people)
    delivery = await sender.send(note("Thanks!", replaces="activity-77"), address)
    (update,) = connector.of("PUT", f"/v3/conversations/{MAYA_CHAT}/activities/activity-77")
    assert update.body["text"] == "Thanks!" and delivery.message_id == "activity-77"


async def test_a_short_retry_after_is_honoured_in_place_and_sent_once(
    people: SqlStore, connector: FakeConnector
) -> None:
    address = await maya_has_a_chat(people, connector)
    sender, waits = make_sender(people)
    connector.fail_next("send", 429, retry_after="1")
    await sender.send(note(), address)
    assert [c.status for c in connector.of("POST", MAYA_CHAT)] == [429, 201]
    assert waits == [1.0]


@pytest.mark.parametrize(
    ("status", "retry_after", "expected"),
    [
        (429, "30", {"retry_after": 30.0, "permanent": False, "unreachable": False}),
        (412, None, {"permanent": False, "unreachable": False}),
        (403, None, {"permanent": True, "unreachable": True}),
        (404, None, {"permanent": True, "unreachable": True}),
        (400, None, {"permanent": True, "unreachable": False}),
    ],
)
async def test_teams_errors_map_to_send_failed(
    people: SqlStore,
    connector: FakeConnector,
    status: int,
    retry_after: str | None,
    expected: dict[str, object],
) -> None:
    address = await maya_has_a_chat(people, connector)
    sender, _ = make_sender(people)
    connector.fail_next("send", status, retry_after=retry_after, times=5)
    with pytest.raises(SendFailed) as failed:
        await sender.send(note(), address)
    for name, value in expected.items():
        assert getattr(failed.value, name) == value, name
    tries = 3 if status == 412 else 1  # throttling is retried in place before giving up
    assert len(connector.of("POST", MAYA_CHAT)) == tries


async def test_an_intro_drops_the_chat_link_to_the_recipient_themselves(
    people: SqlStore, connector: FakeConnector
) -> None:
    address = await maya_has_a_chat(people, connector)
    sender, _ = make_sender(people)
    chat = "https://teams.microsoft.com/l/chat/0/0?users="
    intro = OutgoingMessage(
        address,
        "intro",
        "Meet your partner",
        (
            Text("Meet your partner"),
            Link("Chat with Maya", chat + "maya@example.com"),
            Link("Chat with Sam", chat + "sam@example.com"),
        ),
    )
    await sender.send(intro, address)
    (call,) = connector.sent(MAYA_CHAT)
    assert call.card is not None
    assert [x["title"] for x in call.card["actions"]] == ["Chat with Sam"]


async def test_teams_cannot_list_sent_messages_or_open_group_chats(people: SqlStore) -> None:
    sender, _ = make_sender(people)
    assert await sender.find_sent(note(), Address("teams", "t", "c")) is None
    assert await sender.open_group("t", ["a", "b"]) is None


async def test_a_prepared_batch_is_sent_without_a_look_up_per_message(
    people: SqlStore, connector: FakeConnector
) -> None:
    address = await maya_has_a_chat(people, connector)
    sender, _ = make_sender(people)
    directory = sender.setup.directory
    single: list[tuple[str, str]] = []
    real = directory.teams_recipient

    async def counted(tenant_id: str, conversation_id: str) -> object:
        single.append((tenant_id, conversation_id))
        return await real(tenant_id, conversation_id)

    directory.teams_recipient = counted  # type: ignore[method-assign]
    await sender.prepare([address, Address("teams", a.TENANT, "a:nobody")])
    await sender.send(note("One"), address)
    assert single == []  # looked up with the batch
    await sender.send(note("Two"), address)  # used once: a second message reads it again
    assert single == [(a.TENANT, MAYA_CHAT)]
    assert [c.body["text"] for c in connector.sent(MAYA_CHAT)] == ["One", "Two"]
    await sender.close()


async def test_recipients_match_an_exact_tenant_first_then_a_roster_identity(
    people: SqlStore, connector: FakeConnector
) -> None:
    await maya_has_a_chat(people, connector)
    directory = make_sender(people)[0].setup.directory
    found = await directory.teams_recipients(
        [(a.TENANT, MAYA_CHAT), ("", "aad-sam"), ("other-tenant", "aad-sam"), ("", "aad-nobody")]
    )
    identity, email = found[(a.TENANT, MAYA_CHAT)]
    assert email == "maya@example.com" and identity.tenant_id == a.TENANT
    # Sam is only on the roster (tenant ''): any tenant's request finds him.
    assert found[("", "aad-sam")][1] == "sam@example.com"
    assert found[("other-tenant", "aad-sam")][1] == "sam@example.com"
    assert ("", "aad-nobody") not in found
    assert await directory.teams_recipient("", "aad-sam") == found[("", "aad-sam")]


async def test_a_stored_service_url_that_is_not_allowed_is_never_connected_to(
    people: SqlStore, connector: FakeConnector
) -> None:
    """Continuing Maya's chat (our connector) and creating Sam's (botbuilder's
    create_conversation, through the tenant's route) both stop before any connection when the
    stored service URL is not on the list: the row fails for good with a clear reason."""
    async with fake_connector("127.0.0.2") as evil:
        address = await maya_has_a_chat(people, evil)  # the database says: the attacker's host
        adapter, _ = dev_adapter()
        setup = setup_for(people)
        setup.service_urls = ServiceUrls.parse(connector.url, dev_mode=True)
        sender = TeamsSender(adapter, deps_for(people), setup)
        for to in (address, Address("teams", "", "aad-sam")):
            with pytest.raises(SendFailed) as failed:
                await sender.send(note(), to)
            assert failed.value.permanent and not failed.value.unreachable
            assert "is not an allowed Bot Connector URL" in failed.value.reason
        await sender.close()
    assert evil.calls == [] and connector.calls == []
    assert setup.counters.refused["outbound_service_url"] == 2


def sender_serving(people: SqlStore, allowed: str, app_tenant: str = "") -> TeamsSender:
    """A sender with a tenant list in force (TEAMS_ALLOWED_TENANTS, MICROSOFT_APP_TENANT_ID)."""
    adapter, _ = dev_adapter()
    setup = setup_for(people)
    setup.tenants = Tenants.parse(allowed, default=app_tenant, dev_mode=False)
    return TeamsSender(adapter, deps_for(people), setup)


@pytest.mark.parametrize(
    ("identity_tenant", "reference_tenant", "teams_json"),
    [
        (OTHER_TENANT, OTHER_TENANT, False),  # linked before the list existed
        (a.TENANT, OTHER_TENANT, False),  # a row whose reference points at another organisation
        (a.TENANT, OTHER_TENANT, True),  # the same, in Teams' spelling (`tenantId`)
        (OTHER_TENANT, a.TENANT, False),
        ("", "", False),  # a reference that names no tenant at all
    ],
)
async def test_an_identity_of_a_tenant_not_served_is_never_written_to(
    people: SqlStore,
    connector: FakeConnector,
    identity_tenant: str,
    reference_tenant: str,
    teams_json: bool,
) -> None:
    """Maya (the admin) has a stored chat on an allowed service URL, but the row names a tenant
    the bot does not serve: her queued messages fail for good, and nothing is connected to."""
    reference = reference_to_json(bare_reference(MAYA_CHAT, reference_tenant, connector.url))
    if teams_json:
        reference = reference.replace('"tenantID"', '"tenantId"')
    await link(
        people,
        "maya@example.com",
        Identity(0, "teams", identity_tenant, "aad-maya", MAYA_CHAT, connector.url, reference),
    )
    sender = sender_serving(people, a.TENANT)
    with pytest.raises(SendFailed) as failed:
        await sender.send(note(), Address("teams", identity_tenant, MAYA_CHAT))
    assert failed.value.permanent and not failed.value.unreachable
    assert "is not in TEAMS_ALLOWED_TENANTS; not sent" in failed.value.reason
    assert repr(OTHER_TENANT) in failed.value.reason or identity_tenant == ""
    assert sender.setup.counters.refused["outbound_tenant"] == 1
    await sender.close()
    assert connector.calls == []


async def test_an_address_naming_a_tenant_not_served_fails_even_for_a_roster_identity(
    people: SqlStore, connector: FakeConnector
) -> None:
    """Sam is on the roster only (tenant ''), which matches any tenant's address: a queued row
    addressed to him in another tenant is refused, not sent there."""
    await maya_has_a_chat(people, connector)
    sender = sender_serving(people, a.TENANT)
    with pytest.raises(SendFailed) as failed:
        await sender.send(note(), Address("teams", OTHER_TENANT, "aad-sam"))
    assert failed.value.permanent
    assert f"tenant {OTHER_TENANT!r} is not in TEAMS_ALLOWED_TENANTS" in failed.value.reason
    await sender.close()
    assert connector.calls == []


async def test_a_roster_person_gets_a_chat_in_the_allowed_tenant_never_the_latest_one(
    people: SqlStore, connector: FakeConnector
) -> None:
    """Before the list, a roster person was reached in whichever tenant last talked to the bot;
    now the chat is created in the one tenant served, with that tenant's service URL."""
    await maya_has_a_chat(people, connector)  # our tenant's route
    # Then Kim, in another organisation: the newest route of all.
    foreign = bare_reference("a:kim-chat", OTHER_TENANT, connector.url)
    await link(
        people,
        "kim@example.com",
        Identity(0, "teams", OTHER_TENANT, "aad-kim", "a:kim-chat", connector.url,
                 reference_to_json(foreign)),
    )  # fmt: skip
    sender = sender_serving(people, a.TENANT)
    await sender.send(note("Welcome!"), Address("teams", "", "aad-sam"))
    (create,) = [c for c in connector.calls if c.path == "/v3/conversations"]
    assert create.body["channelData"] == {"tenant": {"id": a.TENANT}}
    await sender.close()


@pytest.mark.parametrize(("app_tenant", "reached"), [("", False), (a.TENANT, True)])
async def test_with_several_tenants_a_roster_person_is_reached_only_in_the_app_tenant(
    people: SqlStore, connector: FakeConnector, app_tenant: str, reached: bool
) -> None:
    """With several tenants listed, the roster's AAD id alone does not say which one is the
    person's: the chat is created in MICROSOFT_APP_TENANT_ID, or not at all."""
    await maya_has_a_chat(people, connector)
    sender = sender_serving(people, f"{OTHER_TENANT},{a.TENANT}", app_tenant)
    if reached:
        await sender.send(note("Welcome!"), Address("teams", "", "aad-sam"))
        (create,) = [c for c in connector.calls if c.path == "/v3/conversations"]
        assert create.body["channelData"] == {"tenant": {"id": a.TENANT}}
    else:
        with pytest.raises(SendFailed) as failed:
            await sender.send(note("Welcome!"), Address("teams", "", "aad-sam"))
        assert failed.value.permanent and "MICROSOFT_APP_TENANT_ID" in failed.value.reason
        assert sender.setup.counters.refused["outbound_tenant"] == 1
        assert connector.calls == []
    await sender.close()
