"""Fixtures for driving the real `mentorbot serve` as Slack would: signed HTTP requests in,
calls to a fake Web API out."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from tests.adapters.slack.fake_slack import TEAM, FakeSlack
from tests.fakes import run_cli, start_server

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-test-token"
COMMAND = "/mentoring"
# Directory-only people (no role): nobody is enrolled or welcomed until they join.
ROSTER = """email,name,title,level,department,timezone,role,slack_id
ceo@example.com,Maya Okafor,CEO,8,Operations,Europe/London,,U0CEO
sam@example.com,Sam Lee,Analyst,2,Finance,Europe/London,,U0SAM
kim@example.com,Kim Park,Manager,5,Finance,,,
"""
APP_YAML = """programme:
  name: Test Programme
  start_date: 2027-01-11
admins: [ceo@example.com]
"""


def sign(body: str, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends: v0 HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class SlackDriver:
    """Sends requests to the bot the way Slack does."""

    base: str
    fake: FakeSlack
    http: aiohttp.ClientSession

    async def post(
        self, body: str, content_type: str, headers: Mapping[str, str] | None = None
    ) -> aiohttp.ClientResponse:
        """POST a raw body to /slack/events, signed unless `headers` says otherwise."""
        all_headers = {"Content-Type": content_type, **sign(body), **(headers or {})}
        async with self.http.post(
            f"{self.base}/slack/events", data=body.encode(), headers=all_headers
        ) as response:
            await response.read()
            return response

    async def event(
        self, event: Mapping[str, Any], *, event_id: str = "", retry: int | None = None
    ) -> aiohttp.ClientResponse:
        """An Events API `event_callback` envelope, as documented."""
        envelope = {
            "token": "legacy-verification-token",
            "team_id": TEAM,
            "api_app_id": "A0APP",
            "event": dict(event),
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "team_id": TEAM,
                    "user_id": "U0BOT",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        headers = {}
        if retry is not None:
            headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post(json.dumps(envelope), "application/json", headers)

    async def dm(self, user: str, text: str, **kwargs: Any) -> aiohttp.ClientResponse:
        """A `message.im` event: `user` wrote `text` in their DM with the bot."""
        event = {
            "type": "message",
            "channel": "D" + user[1:],
            "user": user,
            "text": text,
            "ts": f"{time.time():.6f}",
            "event_ts": f"{time.time():.6f}",
            "channel_type": "im",
        }
        return await self.event(event, **kwargs)

    async def command(
        self, user: str, text: str, *, channel: str = "C0GENERAL", trigger: str = ""
    ) -> aiohttp.ClientResponse:
        """A slash command, form-encoded as Slack posts it."""
        trigger = trigger or f"{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex[:10]}"
        form = {
            "token": "legacy-verification-token",
            "team_id": TEAM,
            "team_domain": "acme",
            "channel_id": channel,
            "channel_name": "general" if channel.startswith("C") else "directmessage",
            "user_id": user,
            "user_name": user.lower(),
            "command": COMMAND,
            "text": text,
            "api_app_id": "A0APP",
            "is_enterprise_install": "false",
            "response_url": self.fake.response_url(trigger.replace(".", "-")),
            "trigger_id": trigger,
        }
        return await self.post(urlencode(form), "application/x-www-form-urlencoded")

    async def interaction(self, payload: Mapping[str, Any]) -> aiohttp.ClientResponse:
        """An interactivity request: form field `payload` holding JSON."""
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded")


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    """A running fake Slack Web API with the roster's people as workspace members."""
    fake = FakeSlack()
    fake.add_user("U0CEO", "ceo@example.com", name="Maya Okafor")
    fake.add_user("U0SAM", "sam@example.com", name="Sam Lee")
    fake.add_user("U0KIM", "kim@example.com", tz="Europe/Berlin", name="Kim Park")
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
async def workdir(tmp_path: Path, db_url: str) -> Path:
    """app.yaml and an imported roster in a fresh database."""
    (tmp_path / "app.yaml").write_text(APP_YAML)
    (tmp_path / "people.csv").write_text(ROSTER)
    await run_cli(tmp_path, db_url, "roster", "import", "people.csv")
    return tmp_path


def slack_env(fake: FakeSlack, **extra: str) -> dict[str, str]:
    """The environment that turns Slack on, pointed at the fake."""
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "SLACK_APP_TOKEN": "",
        **extra,
    }


@pytest.fixture
async def slack(workdir: Path, db_url: str, fake_slack: FakeSlack) -> AsyncIterator[SlackDriver]:
    """The real `mentorbot serve` with Slack on, and a driver to talk to it."""
    async with start_server(workdir, db_url, slack_env(fake_slack)) as base:
        async with aiohttp.ClientSession() as http:
            yield SlackDriver(base, fake_slack, http)
