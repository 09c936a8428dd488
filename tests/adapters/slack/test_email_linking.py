"""Roster people who never wrote to the bot are found on Slack by email, so the programme
can reach them (users.lookupByEmail, a page per tick)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import build_app
from bot.clock import SimulatedClock
from bot.platforms import attach_platforms
from bot.settings import Secrets, Settings, parse_config
from conversations.types import Role, RosterEntry
from tests.adapters.slack.fake_slack import FakeSlack

NOW = datetime(2027, 1, 11, 9, tzinfo=UTC)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    slack = FakeSlack()
    await slack.start()
    yield slack
    await slack.stop()


async def test_enrolled_people_are_linked_by_email_then_welcomed(
    db_url: str, fake: FakeSlack
) -> None:
    fake.add_user("U0ANA", "ana@x.com", name="Ana")
    config = parse_config({"programme": {"start_date": "2027-01-11"}})
    secrets = Secrets(
        database_url=db_url,
        slack_bot_token="xoxb-test",
        slack_signing_secret="secret",
        slack_api_url=fake.api_url,
    )
    clock = SimulatedClock(NOW)
    async with build_app(Settings(config, secrets), clock=clock, rng=random.Random(1)) as app:
        entries = [
            RosterEntry(2, "ana@x.com", "Ana", 2, role=Role.MENTOR),
            RosterEntry(3, "bo@x.com", "Bo", 2, role=Role.MENTOR),  # not on Slack
            RosterEntry(4, "dir@x.com", "Dee", 6),  # directory only: never looked up
        ]
        await app.store.import_roster(entries, deactivate_missing=False, dry_run=False, at=NOW)
        await app.engine.welcome([p for p in await app.store.all_people() if p.role])
        attach_platforms(app)
        clock.set(NOW + timedelta(hours=2))  # 11:00 London: the welcomes are due
        stats = await app.tick()
        looked_up = [c.args.get("email") for c in fake.calls_to("users.lookupByEmail")]
        assert sorted(looked_up) == ["ana@x.com", "bo@x.com"]
        ana = await app.store.person_by_email("ana@x.com")
        assert ana is not None
        (identity,) = await app.store.identities_of(ana.id)
        assert (identity.platform, identity.user_id) == ("slack", "U0ANA")
        assert stats is not None and stats.sent == 1  # Ana's welcome; Bo's waits for a route
        # The next tick does not ask Slack about Bo again (a pass rescans only hours later).
        await app.tick()
        assert len(fake.calls_to("users.lookupByEmail")) == 2


@pytest.mark.parametrize("grid", [False, True], ids=["one-workspace", "enterprise-grid"])
async def test_roster_ids_get_the_workspace_of_the_token_at_the_tick(
    db_url: str, fake: FakeSlack, grid: bool
) -> None:
    """A roster `slack_id` is stored without a workspace; the Slack tick fills in the token's
    (auth.test's team_id), so a pair with a partner who wrote first shares it. An org-wide
    Enterprise Grid install spans workspaces: nothing is guessed, the first event tells."""
    fake.enterprise_install = grid
    fake.add_user("U0ANA", "ana@x.com", name="Ana")
    config = parse_config({"programme": {"start_date": "2027-01-11"}})
    secrets = Secrets(
        database_url=db_url,
        slack_bot_token="xoxb-test",
        slack_signing_secret="secret",
        slack_api_url=fake.api_url,
    )
    async with build_app(Settings(config, secrets), clock=SimulatedClock(NOW)) as app:
        entry = RosterEntry(2, "ana@x.com", "Ana", 2, slack_id="U0ANA")
        await app.store.import_roster([entry], deactivate_missing=False, dry_run=False, at=NOW)
        attach_platforms(app)
        await app.tick()
        await app.tick()  # auth.test is asked once per process
        ana = await app.store.person_by_email("ana@x.com")
        assert ana is not None
        (identity,) = await app.store.identities_of(ana.id)
        assert (identity.tenant_id, identity.user_id) == ("" if grid else "T0ACME", "U0ANA")
        assert len(fake.calls_to("auth.test")) == 1
