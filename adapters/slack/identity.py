"""Who is this Slack user in our directory? Link Slack accounts to roster people.

The roster may carry `slack_id` (then an identity exists already, tenant unknown); otherwise
the person is found by the email on their Slack profile (`users.info`, scope users:read.email),
or, for outbound messages to people nobody has heard from on Slack yet, by
`users.lookupByEmail`. Links are stored with the workspace id and the DM channel, so the
delivery worker can reach them. Roster ids get the workspace id from `auth.test` (the Slack
tick's `fill_tenant`) or from their first event, which updates the roster's record: one record
per person and platform, so "both partners on the same workspace" (a group DM) holds whoever
wrote first.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.kit.deps import People
from adapters.slack.limits import OPEN_INTERVAL, Pacer
from adapters.slack.platform import PLATFORM
from conversations.types import Identity, Person, UserRef

log = logging.getLogger(__name__)

PROFILE_CACHE = 1000  # users.info answers kept in memory (Tier 4; they rarely change)


class IdentityLinker:
    """Resolves Slack users to people, linking them on first sight."""

    def __init__(self, directory: People, client: AsyncWebClient) -> None:
        self.directory = directory
        self.client = client
        self._linked: set[tuple[str, str, str]] = set()  # (team, user, dm) stored this process
        self._profiles: dict[str, dict[str, Any]] = {}
        self._lookup_pacer = Pacer(OPEN_INTERVAL)  # users.lookupByEmail is Tier 3 too
        self._workspace: str | None = None  # auth.test's team_id, once known

    async def workspace(self) -> str:
        """The id of the workspace the bot's token belongs to (auth.test's `team_id`), asked
        once per process; '' when Slack does not answer (asked again next time).

        '' too for an org-wide Enterprise Grid install: its users belong to several
        workspaces, so the roster's ids get theirs from their own first event instead.
        """
        if self._workspace is None:
            try:
                response = await self.client.auth_test()
            except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
                log.warning("auth.test failed: %r", error)
                return ""
            grid = bool(response.get("is_enterprise_install"))
            self._workspace = "" if grid else str(response.get("team_id") or "")
        return self._workspace

    async def resolve(self, user: UserRef, dm_channel: str = "") -> Person | None:
        """The person behind `user`, linking the account (and its DM) when first seen."""
        person = await self.directory.person_by_identity(user)
        if person is None:
            email = (await self.profile(user.user_id)).get("email", "")
            if email:
                person = await self.directory.person_by_email(email)
            if person is None:
                return None
        key = (user.tenant_id, user.user_id, dm_channel)
        if key not in self._linked:
            # Also adopts a roster identity (tenant '') into this workspace.
            await self.directory.link_identity(
                Identity(person.id, PLATFORM, user.tenant_id, user.user_id, dm_channel)
            )
            self._linked.add(key)
        return person

    async def profile(self, user_id: str) -> dict[str, Any]:
        """`{"email", "tz", "name"}` from users.info; empty when Slack will not say."""
        if user_id in self._profiles:
            return self._profiles[user_id]
        try:
            response = await self.client.users_info(user=user_id)
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
            log.warning("users.info %s failed: %r", user_id, error)
            return {}
        account = response.get("user") or {}
        profile = account.get("profile") or {}
        found = {
            "email": str(profile.get("email") or ""),
            "tz": str(account.get("tz") or ""),
            "name": str(profile.get("real_name") or account.get("real_name") or ""),
        }
        if len(self._profiles) >= PROFILE_CACHE:
            self._profiles.clear()
        self._profiles[user_id] = found
        return found

    async def link_by_email(self, person: Person) -> Identity | None:
        """Find a roster person on Slack by email (users.lookupByEmail) and link them."""
        await self._lookup_pacer.wait()
        try:
            response = await self.client.users_lookupByEmail(email=person.email)
        except SlackClientError as error:
            log.info("no Slack account for %s: %s", person.email, error)
            return None
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("users.lookupByEmail failed: %r", error)
            return None
        account = response.get("user") or {}
        if not account.get("id") or account.get("deleted") or account.get("is_bot"):
            return None
        team = str(account.get("team_id") or "") or await self.workspace()
        identity = Identity(person.id, PLATFORM, team, account["id"])
        await self.directory.link_identity(identity)
        return identity
