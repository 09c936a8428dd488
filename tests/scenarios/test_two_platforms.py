"""A company on Slack and Teams at once: a Slack person paired with a Teams person, each
reached on their own platform, through the real adapters and fake platform servers."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from adapters.teams.activities import bare_reference, reference_to_json
from bot.app import build_app
from bot.clock import SimulatedClock
from bot.platforms import attach_platforms
from bot.settings import Secrets, Settings, parse_config
from conversations.types import Address, Identity, IncomingMessage, Role, RosterEntry, UserRef
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.teams.fake_connector import FakeConnector, fake_connector

NOW = datetime(2027, 1, 12, 11, tzinfo=UTC)  # a Tuesday, after the programme's start


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    fake.add_user("U0ANA", "ana@x.com", name="Ana")
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def teams() -> AsyncIterator[FakeConnector]:
    async with fake_connector() as fake:
        yield fake


async def test_a_slack_mentor_and_a_teams_mentee_each_hear_on_their_own_platform(
    db_url: str, slack: FakeSlack, teams: FakeConnector
) -> None:
    config = parse_config(
        {
            "programme": {
                "start_date": "2027-01-11",
                "require_mentee_consent": False,
                "require_mentor_consent": False,
            },
            "admins": ["femi@x.com"],
        }
    )
    secrets = Secrets(
        database_url=db_url,
        slack_bot_token="xoxb-test",
        slack_signing_secret="secret",
        slack_api_url=slack.api_url,
        teams_dev_mode=True,
    )
    clock = SimulatedClock(NOW)
    async with build_app(Settings(config, secrets), clock=clock, rng=random.Random(1)) as app:
        entries = [
            RosterEntry(2, "ana@x.com", "Ana", 2, department="Eng", role=Role.MENTOR,
                        slack_id="U0ANA"),
            RosterEntry(3, "femi@x.com", "Femi", 7, department="Finance", role=Role.MENTEE,
                        teams_id="aad-femi"),
        ]  # fmt: skip
        await app.store.import_roster(entries, deactivate_missing=False, dry_run=False, at=NOW)
        femi = await app.store.person_by_email("femi@x.com")
        assert femi is not None
        reference = reference_to_json(bare_reference("a:femi", "t1", teams.url))
        await app.store.link_identity(
            Identity(femi.id, "teams", "t1", "aad-femi", "a:femi", teams.url, reference)
        )
        plugins = attach_platforms(app)
        assert sorted(p.name for p in plugins) == ["slack", "teams"]

        user = UserRef("teams", "t1", "aad-femi")
        (reply,) = await app.engine.handle(
            IncomingMessage(user, Address("teams", "t1", "a:femi"), "match publish", NOW)
        )
        assert "Published: 1 pair," in reply.fallback_text
        stats = await app.tick()
        assert stats is not None and stats.failed == 0
        # The intro: one post in Ana's Slack DM, one activity in Femi's Teams chat.
        slack_intros = [
            c for c in slack.calls_to("chat.postMessage") if "Meet your" in str(c.args.get("text"))
        ]
        teams_intros = [c for c in teams.sent("a:femi") if "Meet your" in c.text]
        assert len(slack_intros) == 1 and slack_intros[0].args["channel"] in ("U0ANA", "DANA")
        assert len(teams_intros) == 1
        # Femi's card carries a Teams deep link to chat with Ana.
        card = teams_intros[0].card
        assert card is not None
        assert any("users=ana%40x.com" in a.get("url", "") for a in card.get("actions", []))
