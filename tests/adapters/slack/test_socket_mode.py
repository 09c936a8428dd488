"""Socket Mode: `SLACK_APP_TOKEN` makes `serve` connect out over a websocket instead of
listening on /slack/events; Slack's envelopes are acked and answered the same way."""

from __future__ import annotations

import time
from pathlib import Path

import aiohttp

from tests.adapters.slack.conftest import slack_env
from tests.adapters.slack.fake_slack import TEAM, FakeSlack
from tests.fakes import start_server


async def test_socket_mode_connects_answers_a_dm_and_stops_cleanly(
    workdir: Path, db_url: str, fake_slack: FakeSlack
) -> None:
    env = slack_env(fake_slack, SLACK_APP_TOKEN="xapp-1-A0APP-1-secret", SLACK_SIGNING_SECRET="")
    async with start_server(workdir, db_url, env) as base:
        await fake_slack.wait_for_call("apps.connections.open")
        await fake_slack.wait_for(lambda: fake_slack._sockets, what="websocket connection")
        envelope_id = await fake_slack.socket_send(
            "events_api",
            {
                "team_id": TEAM,
                "api_app_id": "A0APP",
                "type": "event_callback",
                "event_id": "Ev0SOCKET",
                "event_time": int(time.time()),
                "event": {
                    "type": "message",
                    "channel": "D0SAM",
                    "user": "U0SAM",
                    "text": "status",
                    "ts": f"{time.time():.6f}",
                    "channel_type": "im",
                },
            },
        )
        [call] = await fake_slack.wait_for_call("chat.postMessage", channel="D0SAM")
        assert "not enrolled" in call.args["text"]
        assert any(a.get("envelope_id") == envelope_id for a in fake_slack.socket_acks)
        async with aiohttp.ClientSession() as http:
            # No public Request URL in Socket Mode: nothing to sign, nothing to forge.
            async with http.post(f"{base}/slack/events", data=b"{}") as response:
                assert response.status == 404
    # start_server asserted that SIGTERM ended `serve` with exit code 0.
