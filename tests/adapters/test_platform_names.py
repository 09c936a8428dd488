"""Platform names are written once: `PLATFORMS` next to the `Platform` literal, and everything
else (each adapter, storage, delivery, the bot's wiring) takes them from there."""

from __future__ import annotations

from typing import get_args

from adapters.console.platform import PLATFORM as CONSOLE
from adapters.slack.platform import PLATFORM as SLACK
from adapters.teams.platform import PLATFORM as TEAMS
from bot.platforms import delivering_platforms
from bot.settings import Secrets
from conversations.types import PLATFORMS, Platform
from delivery.routing import PLATFORM_PREFERENCE
from storage import sql_teams_identities, sql_unreachable
from storage.roster_plan import PLATFORM_COLUMNS


def test_the_names_match_the_platform_literal_in_order() -> None:
    assert tuple(PLATFORMS) == get_args(Platform) == ("slack", "teams", "console")


def test_each_adapter_names_its_platform_from_the_list() -> None:
    assert (SLACK, TEAMS, CONSOLE) == tuple(PLATFORMS)


def test_storage_and_delivery_take_the_names_from_the_list() -> None:
    assert PLATFORM_PREFERENCE == ("slack", "teams", "console")
    assert sql_teams_identities.PLATFORM == "teams"
    assert sql_unreachable.CONSOLE == "console"
    assert PLATFORM_COLUMNS == (("slack", "slack_id"), ("teams", "teams_id"))


def test_the_delivering_platforms_use_the_adapters_names() -> None:
    assert delivering_platforms(Secrets()) == {"console"}
    both = Secrets(slack_bot_token="xoxb-1", teams_dev_mode=True)
    assert delivering_platforms(both) == {"slack", "teams"}
