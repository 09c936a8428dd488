"""The real `mentorbot serve` with Slack and Teams (dev mode) both on, its log kept
(`tests.serving`), so a test can assert that no request left a traceback behind (a 200 that
hid a crash still fails)."""

from __future__ import annotations

from tests.adapters.slack.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.adapters.slack.fake_slack import FakeSlack
from tests.serving import Served, serve

__all__ = ["Served", "both_platforms", "serve"]


def both_platforms(fake: FakeSlack, **extra: str) -> dict[str, str]:
    """Slack pointed at the fake Web API, and Teams accepting unauthenticated (dev) traffic."""
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "TEAMS_DEV_MODE": "1",
        **extra,
    }
