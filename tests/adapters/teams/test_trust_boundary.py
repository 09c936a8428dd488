"""Issue 15, "Teams: nobody gets in who does not belong", against the real `mentorbot serve`.

Each test replays an attack from the probe: dev mode open to the network, a `serviceUrl` of the
attacker's choosing (the attacker's server listens on 127.0.0.2), a stored service URL that
points elsewhere and a foreign tenant; a forged token whose key fetch meets a tarpit is in
test_trust_boundary_tokens.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.teams.activities import bare_reference, reference_to_json
from adapters.teams.turn import event_key
from conversations.types import Identity, UserRef
from storage.store import SqlStore
from tests.adapters.teams import activities as a
from tests.adapters.teams.fake_connector import FakeConnector, fake_connector
from tests.adapters.teams.fake_openid import APP_ID, fake_openid, signed_token
from tests.adapters.teams.serve import APP_YAML, serve
from tests.fakes import run_cli
from tests.serving import CLEARED

MAYA = a.user("aad-maya", "Maya Okafor")  # the programme's admin
ATTACKER = a.user("aad-attacker", "Mallory")  # nobody on the roster
OTHER_TENANT = "0ther000-0000-4000-8000-00000000evil"
NOW = datetime(2027, 1, 11, 10, tzinfo=UTC)


@contextlib.asynccontextmanager
async def attacker_server() -> AsyncIterator[FakeConnector]:
    """The attacker's Bot Connector on 127.0.0.2: it says any sender is the admin."""
    async with fake_connector("127.0.0.2") as fake:
        fake.members[ATTACKER["id"]] = {
            "id": ATTACKER["id"],
            "aadObjectId": "aad-attacker",
            "email": "maya@example.com",
            "userPrincipalName": "maya@example.com",
        }
        yield fake


async def post_status(
    http: aiohttp.ClientSession, base: str, activity: dict[str, Any], **headers: str
) -> tuple[int, str]:
    async with http.post(f"{base}/api/messages", json=activity, headers=headers) as response:
        return response.status, await response.text()


async def metric(http: aiohttp.ClientSession, base: str, name: str) -> float:
    """One sample of /metrics (name with its labels, e.g. `x{reason="tenant"}`)."""
    async with http.get(f"{base}/metrics") as response:
        text = await response.text()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no {name} in /metrics:\n{text}")


async def nothing_stored(people: SqlStore, activity: dict[str, Any]) -> None:
    """The activity left no trace: no de-duplication record, and no identity stored with its
    service URL (an attacker's sender is linked to nobody at all)."""
    key = event_key(activity)
    assert key is not None
    assert await people.record_event("teams", key, NOW)  # True: it had not been recorded
    sender = activity["from"]["aadObjectId"]
    for tenant in (a.TENANT, OTHER_TENANT, ""):
        person = await people.person_by_identity(UserRef("teams", tenant, sender))
        if sender == ATTACKER["aadObjectId"]:
            assert person is None
        elif person is not None:
            urls = {i.service_url for i in await people.identities_of(person.id)}
            assert activity["serviceUrl"] not in urls


# --- dev mode is loopback-only ----------------------------------------------------------------


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "", "localhost"])
async def test_dev_mode_on_a_non_loopback_host_refuses_to_start(
    tmp_path: Path, db_url: str, host: str
) -> None:
    (tmp_path / "app.yaml").write_text(APP_YAML)
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update({"DATABASE_URL": db_url, "TEAMS_DEV_MODE": "1", "HOST": host, "PORT": "0"})
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(tmp_path / "app.yaml"), "serve",
        cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        if process.returncode is None:  # it started serving after all: never leave it running
            process.kill()
            await process.wait()
    assert process.returncode == 1, (out, err)
    assert b"listening on" not in out
    lines = [line for line in err.decode().splitlines() if line.startswith("mentorbot:")]
    assert len(lines) == 1, err.decode()
    assert "HOST must be a loopback IP address (127.0.0.1 or ::1" in lines[0]
    assert "Set HOST=127.0.0.1" in lines[0]
    assert "Traceback" not in err.decode()


# --- service URLs on an allow-list ------------------------------------------------------------


async def test_an_activity_naming_the_attackers_service_url_is_refused_and_nothing_is_stored(
    tmp_path: Path, db_url: str, people: SqlStore, connector: FakeConnector
) -> None:
    """The probe's attack: a made-up sender, `serviceUrl` on the attacker's host, whose member
    look-up says "I am the admin". Nothing may reach that host, nobody may be linked."""
    env = {"TEAMS_DEV_MODE": "1", "TEAMS_ALLOWED_SERVICE_URLS": connector.url}
    async with (
        attacker_server() as evil,
        serve(tmp_path, db_url, env) as server,
        aiohttp.ClientSession() as http,
    ):
        attacks = [
            a.message(ATTACKER, "report", evil.url),
            a.installed(ATTACKER, evil.url),
            a.execute(ATTACKER, {"action": "pulse.rate", "value": "1:1:5"}, evil.url),
            # Look-alikes of the allowed prefix that a string prefix test would let through.
            a.message(ATTACKER, "report", connector.url.rstrip("/") + ".evil.example/"),
            a.message(ATTACKER, "report", connector.url.replace("http://", "http://x@")),
            a.message(ATTACKER, "report", "https://attacker.example/"),
        ]
        for activity in attacks:
            status, body = await post_status(http, server.url, activity)
            assert status == 403, (activity["serviceUrl"], status, body)
            assert "serviceUrl" in body
        refused = 'mentorbot_teams_refused_total{reason="service_url"}'
        assert await metric(http, server.url, refused) == len(attacks)

        # The allowed Bot Connector still works: the same sender gets an answer there.
        status, _ = await post_status(http, server.url, a.message(ATTACKER, "help", connector.url))
        assert status == 200
        assert connector.sent(a.chat_id(ATTACKER))
    assert evil.calls == []  # not one request (with or without a token) reached the attacker
    for activity in attacks:
        await nothing_stored(people, activity)
    maya = await people.person_by_email("maya@example.com")
    assert maya is not None
    assert all(i.user_id == "aad-maya" for i in await people.identities_of(maya.id))


async def test_in_dev_mode_without_a_list_only_loopback_service_urls_are_allowed(
    tmp_path: Path, db_url: str, people: SqlStore, connector: FakeConnector
) -> None:
    activity = a.message(MAYA, "status", "https://smba.trafficmanager.net/emea/")
    async with serve(tmp_path, db_url, {"TEAMS_DEV_MODE": "1"}) as server:
        async with aiohttp.ClientSession() as http:
            assert await post_status(http, server.url, activity) == (
                403,
                '{"error": "serviceUrl is not an allowed Bot Connector URL"}',
            )
            ok = a.message(MAYA, "status", connector.url)
            assert (await post_status(http, server.url, ok))[0] == 200
    await nothing_stored(people, activity)


async def test_a_stored_service_url_that_is_not_allowed_fails_the_row_without_a_connection(
    tmp_path: Path, db_url: str, people: SqlStore, connector: FakeConnector
) -> None:
    """Whatever the database holds, the sender never opens a connection to a foreign host: the
    queued messages fail with a clear last_error instead."""
    maya = await people.person_by_email("maya@example.com")
    assert maya is not None
    async with attacker_server() as evil:
        reference = bare_reference(a.chat_id(MAYA), a.TENANT, evil.url, "")
        await people.link_identity(
            Identity(
                maya.id, "teams", a.TENANT, "aad-maya",
                dm_conversation_id=a.chat_id(MAYA), service_url=evil.url,
                reference=reference_to_json(reference),
            )
        )  # fmt: skip
        (tmp_path / "app.yaml").write_text(APP_YAML)
        env = {"TEAMS_DEV_MODE": "1", "TEAMS_ALLOWED_SERVICE_URLS": connector.url}
        await run_cli(tmp_path, db_url, "match", "--publish", env=env)  # consent cards queued
        out = await run_cli(tmp_path, db_url, "tick", env=env)
        assert "Sent 0," in out and "failed 0" not in out, out
    assert evil.calls == [] and connector.calls == []
    failed = await people.failed_work()
    assert failed
    for row in failed:
        assert "not an allowed Bot Connector URL" in row.extra["last_error"], row.extra


# --- tenants ----------------------------------------------------------------------------------


async def test_only_the_listed_tenants_are_served(
    tmp_path: Path, db_url: str, people: SqlStore, connector: FakeConnector
) -> None:
    """A user of another tenant whose Teams reports the admin's email gets in nowhere."""
    connector.members[ATTACKER["id"]] = {"id": ATTACKER["id"], "email": "maya@example.com"}
    foreign = a.message(ATTACKER, "report", connector.url)
    foreign["channelData"] = {"tenant": {"id": OTHER_TENANT}}
    foreign["conversation"]["tenantId"] = OTHER_TENANT
    no_tenant = a.message(ATTACKER, "report", connector.url)
    del no_tenant["channelData"], no_tenant["conversation"]["tenantId"]
    mixed = a.message(ATTACKER, "report", connector.url)  # ours in channelData, theirs beside
    mixed["conversation"]["tenantId"] = OTHER_TENANT
    env = {"TEAMS_DEV_MODE": "1", "TEAMS_ALLOWED_TENANTS": f" {a.TENANT.upper()} ,another-one"}
    async with serve(tmp_path, db_url, env) as server, aiohttp.ClientSession() as http:
        for activity in (foreign, no_tenant, mixed):
            status, body = await post_status(http, server.url, activity)
            assert status == 403, (status, body)
        refused = 'mentorbot_teams_refused_total{reason="tenant"}'
        assert await metric(http, server.url, refused) == 3
        ours = a.message(MAYA, "status", connector.url)
        assert (await post_status(http, server.url, ours))[0] == 200
        assert "You're enrolled" in connector.sent(a.chat_id(MAYA))[-1].text
    assert connector.of("GET", "/members/") == []  # no email look-up for a refused tenant
    assert connector.sent(a.chat_id(ATTACKER)) == []  # and no reply: they get a 403 only
    for activity in (foreign, no_tenant, mixed):
        await nothing_stored(people, activity)


@pytest.mark.parametrize(
    ("conversation_type", "is_group"), [("channel", False), ("groupChat", True), ("", False)]
)
async def test_a_group_chat_or_channel_activity_links_nobody_and_gets_no_reply(
    tmp_path: Path,
    db_url: str,
    people: SqlStore,
    connector: FakeConnector,
    conversation_type: str,
    is_group: bool,
) -> None:
    """A shared channel hosted by our tenant carries our tenant id whoever writes in it (a
    guest of another organisation too): such activities are refused before any email look-up,
    link or reply, which would post the admin's answers to the whole channel."""
    connector.members[ATTACKER["id"]] = {"id": ATTACKER["id"], "email": "maya@example.com"}
    channel = a.message(ATTACKER, "report", connector.url)
    channel["conversation"].update(
        {"conversationType": conversation_type, "isGroup": is_group, "id": "19:shared@thread"}
    )
    env = {"TEAMS_DEV_MODE": "1", "TEAMS_ALLOWED_TENANTS": a.TENANT}
    async with serve(tmp_path, db_url, env) as server, aiohttp.ClientSession() as http:
        status, body = await post_status(http, server.url, channel)
        assert status == 403 and "personal chats only" in body, (status, body)
        refused = 'mentorbot_teams_refused_total{reason="conversation"}'
        assert await metric(http, server.url, refused) == 1
        ours = a.message(MAYA, "status", connector.url)  # a personal chat is served as before
        assert (await post_status(http, server.url, ours))[0] == 200
    assert connector.of("GET", "/members/") == []  # no email look-up
    assert connector.sent("19:shared@thread") == []  # nothing posted to the channel
    await nothing_stored(people, channel)


async def test_a_stored_identity_of_a_tenant_not_served_gets_nothing_queued_for_it(
    tmp_path: Path, db_url: str, people: SqlStore, connector: FakeConnector
) -> None:
    """The admin's person was linked to an identity of another organisation before the tenant
    list existed (or by any other route). Its service URL is the allowed Bot Connector, yet the
    messages queued for her never reach it: they fail for good, saying why."""
    maya = await people.person_by_email("maya@example.com")
    assert maya is not None
    reference = bare_reference(a.chat_id(MAYA), OTHER_TENANT, connector.url, "")
    await people.link_identity(
        Identity(
            maya.id, "teams", OTHER_TENANT, "aad-maya",
            dm_conversation_id=a.chat_id(MAYA), service_url=connector.url,
            reference=reference_to_json(reference),
        )
    )  # fmt: skip
    (tmp_path / "app.yaml").write_text(APP_YAML)
    env = {
        "TEAMS_DEV_MODE": "1",
        "TEAMS_ALLOWED_SERVICE_URLS": connector.url,
        "TEAMS_ALLOWED_TENANTS": a.TENANT,
    }
    await run_cli(tmp_path, db_url, "match", "--publish", env=env)  # consent cards queued
    out = await run_cli(tmp_path, db_url, "tick", env=env)
    assert "Sent 0," in out and "failed 0" not in out, out
    assert connector.calls == []  # not one request, though the service URL is allowed
    (row,) = await people.failed_work()  # her consent card
    assert row.payload["to"] == {"type": "person", "person_id": maya.id}
    error = row.extra["last_error"]
    assert f"tenant {OTHER_TENANT!r} is not in TEAMS_ALLOWED_TENANTS; not sent" in error, row


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("listed", ["", "another-tenant"])
async def test_a_genuine_token_from_a_tenant_not_listed_gets_403_and_links_nobody(
    tmp_path: Path, db_url: str, people: SqlStore, connector: FakeConnector, listed: str
) -> None:
    """With an app id, a real Bot Framework token of another organisation (a multi-tenant app
    installed elsewhere) used to be linked by the email Teams reported. With no tenant listed
    at all, the server says so at start and refuses everyone."""
    connector.members[ATTACKER["id"]] = {"id": ATTACKER["id"], "email": "maya@example.com"}
    activity = a.message(ATTACKER, "report", connector.url)
    async with fake_openid() as keys:
        env = {
            "MICROSOFT_APP_ID": APP_ID,
            "MICROSOFT_APP_PASSWORD": "not-a-real-secret",
            "TEAMS_ALLOWED_SERVICE_URLS": connector.url,
            "TEAMS_OPENID_METADATA_URL": keys.metadata_url,
            "TEAMS_ALLOWED_TENANTS": listed,
        }
        async with serve(tmp_path, db_url, env) as server, aiohttp.ClientSession() as http:
            said = "every tenant is refused. Set TEAMS_ALLOWED_TENANTS" in server.log_text
            assert said == (not listed)
            token = signed_token(connector.url)
            status, body = await post_status(http, server.url, activity, Authorization=token)
            assert (status, body) == (403, '{"error": "this bot does not serve your organisation"}')
            refused = 'mentorbot_teams_refused_total{reason="tenant"}'
            assert await metric(http, server.url, refused) == 1
        assert keys.requests == ["/openid", "/keys"]  # the token was checked, and it was good
    assert connector.calls == []  # no email look-up, no reply
    await nothing_stored(people, activity)
