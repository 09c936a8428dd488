"""The Teams `Sender`: proactive messages into people's personal chats with the bot.

A bot can only message a person through a stored ConversationReference, or by creating the 1:1
chat itself with the tenant id and a service URL (botbuilder's `create_conversation`).
Messages into a chat that exists are one Bot Connector request each (`adapters.teams.connector`:
botbuilder's own proactive path costs eight times our CPU budget per message).

Teams offers no way to list what a bot posted, so `find_sent` cannot look: a crash between Teams
accepting a message and our marking it done repeats that one message at most.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
)

from adapters.kit.deps import AdapterDeps
from adapters.teams.activities import (
    activity_json,
    addressed,
    bare_reference,
    reference_json,
    reference_to_json,
)
from adapters.teams.auth import credentials_source
from adapters.teams.connector import BotConnector, TokenCache
from adapters.teams.errors import is_retryable, send_failed
from adapters.teams.limits import PER_CONVERSATION, PER_TENANT, TENANT_BURST, RateLimiter
from adapters.teams.platform import CHANNEL_ID, PLATFORM
from adapters.teams.ports import TeamsSetup
from conversations.ports import SendFailed
from conversations.types import Address, Delivery, Identity, OutgoingMessage

log = logging.getLogger(__name__)

INLINE_ATTEMPTS = 3  # tries within one send before the delivery worker's backoff takes over
MAX_INLINE_WAIT = 5.0  # seconds: a longer Retry-After goes back to the queue, not a sleep
NO_SERVICE_URL_RETRY = 3600.0  # nobody in the tenant has talked to the bot yet


class TeamsSender:
    """Sends neutral messages to Teams personal chats (Sender protocol)."""

    platform = PLATFORM
    finds_sent = False  # Teams cannot list what a bot posted
    opens_groups = False  # bots cannot create group chats (docs/teams.md)

    def __init__(
        self,
        adapter: CloudAdapter,
        deps: AdapterDeps,
        setup: TeamsSetup,
        *,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        connector: BotConnector | None = None,
    ) -> None:
        self.adapter = adapter
        self.deps = deps
        self.setup = setup
        self.rng = rng or random.Random()
        self.sleep = sleep
        self.connector = connector or BotConnector(
            TokenCache(credentials_source(adapter, setup.app_id)),
            allows=setup.service_urls.allows,
        )
        self.per_conversation = RateLimiter(PER_CONVERSATION)
        self.per_tenant = RateLimiter(PER_TENANT, burst=TENANT_BURST)
        # Recipients looked up for the current batch (`prepare`), each used once: a second
        # message to the same chat reads it again (its first send may have created the chat).
        self._prepared: dict[tuple[str, str], tuple[Identity, str] | None] = {}

    async def prepare(self, addresses: Sequence[Address]) -> None:
        """Look up the batch's recipients (and their emails) in one query."""
        keys = {(a.tenant_id, a.conversation_id) for a in addresses if a.platform == PLATFORM}
        found = await self.setup.directory.teams_recipients(keys) if keys else {}
        self._prepared = {key: found.get(key) for key in keys}

    async def send(self, message: OutgoingMessage, address: Address) -> Delivery:
        """Post (or, with `message.replaces`, update) a message in a person's chat with the bot."""
        key = (address.tenant_id, address.conversation_id)
        if key in self._prepared:
            recipient = self._prepared.pop(key)
        else:
            recipient = await self.setup.directory.teams_recipient(*key)
        identity, email = recipient if recipient is not None else (None, "")
        tenant_id = address.tenant_id or (identity.tenant_id if identity else "")
        reference = reference_json(identity.reference) if identity else None
        # Before the route look-up: a foreign tenant fails for good, not "no route yet".
        self._check_tenants((address.tenant_id, identity.tenant_id if identity else ""), address)
        create = False
        if reference is None:
            tenant_id, service_url = await self._route(identity, tenant_id, address)
            # Only the roster's AAD object id is known: the chat must be created first.
            create = identity is not None and address.conversation_id == identity.user_id
            bare = bare_reference(
                address.conversation_id, tenant_id, service_url, self.setup.app_id
            )
            reference = bare.serialize()
        activity = activity_json(
            message, topics=self.deps.programme_topics, tenant_id=tenant_id, drop_links_to=email
        )

        self._check_tenants(
            (tenant_id, *_reference_tenants(reference)), address, require=True
        )  # whatever the row holds, the bot writes only to the tenants it serves
        self._check_service_url(str(reference.get("serviceUrl") or ""), address)

        async def attempt() -> str:
            nonlocal create, reference
            assert reference is not None
            await self.per_tenant.wait(tenant_id)
            if create:
                assert identity is not None
                created: list[dict[str, Any]] = []
                try:
                    return await self._create_and_send(
                        identity, tenant_id, reference["serviceUrl"], activity, created
                    )
                finally:
                    if created:  # a retry continues the new chat instead of creating another
                        create, reference = False, created[0]
            conversation = str(reference["conversation"]["id"])
            await self.per_conversation.wait(conversation)
            service_url = str(reference["serviceUrl"])
            proactive = addressed(activity, reference)
            if message.replaces:
                proactive["id"] = message.replaces
                return await self.connector.update(
                    service_url, conversation, message.replaces, proactive
                )
            return await self.connector.send(service_url, conversation, proactive)

        message_id = await self.with_retries(attempt)
        return Delivery(PLATFORM, message_id, address, self.deps.clock.now())

    async def close(self) -> None:
        """Close the connector's HTTP session."""
        await self.connector.close()

    async def find_sent(self, message: OutgoingMessage, address: Address) -> Delivery | None:
        """Teams cannot list a bot's messages: always None (see the module docstring)."""
        del message, address
        return None

    async def open_group(self, tenant_id: str, user_ids: Sequence[str]) -> str | None:
        """Bots cannot create group chats in Teams: None, so pairs are reached one by one."""
        del tenant_id, user_ids
        return None

    async def with_retries(self, attempt: Callable[[], Awaitable[str]]) -> str:
        """Run `attempt`, retrying throttling and gateway errors a few times in place.

        A short `Retry-After` is honoured here (the message goes out seconds later instead of at
        the next tick); a long one, or the last failure, is raised for the delivery worker.
        """
        for number in range(1, INLINE_ATTEMPTS + 1):
            try:
                return await attempt()
            except Exception as error:  # botbuilder raises msrest and plain exceptions alike
                failure = send_failed(error)
                wait = failure.retry_after
                if wait is None:  # backoff with full jitter, as the delivery worker does
                    wait = self.rng.uniform(0, 0.5 * 2**number)
                if number == INLINE_ATTEMPTS or not is_retryable(failure) or wait > MAX_INLINE_WAIT:
                    raise failure from error
                log.info("Teams send failed (%s); retrying in %.1fs", failure.reason, wait)
                await self.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _check_service_url(self, service_url: str, address: Address) -> None:
        """SendFailed (for good) when the stored service URL is not an allowed Bot Connector
        URL: whatever the database holds, the bot's token goes nowhere else (docs/teams.md)."""
        if self.setup.service_urls.allows(service_url):
            return
        self.setup.counters.refuse("outbound_service_url")
        log.warning(
            "Teams send to %s not made: service URL %.200r is not allowed (%s)",
            address, service_url, self.setup.service_urls.describe(),
        )  # fmt: skip
        raise SendFailed(
            f"service URL {service_url[:200]!r} is not an allowed Bot Connector URL "
            "(TEAMS_ALLOWED_SERVICE_URLS); not sent",
            permanent=True,
        )

    def _check_tenants(
        self, claimed: Sequence[str], address: Address, *, require: bool = False
    ) -> None:
        """SendFailed (for good) when a tenant the row names is not served, or (`require`) when
        it names none while a tenant list is in force: identities of other organisations, linked
        before the list existed or written by any other route, get nothing (docs/teams.md)."""
        tenants = self.setup.tenants
        if tenants.any_tenant:
            return
        named = [t for t in claimed if t]
        refused = [t for t in named if not tenants.allows(t)]
        if not refused and (named or not require):
            return
        self.setup.counters.refuse("outbound_tenant")
        tenant = refused[0] if refused else ""
        log.warning(
            "Teams send to %s not made: tenant %.100r is not served (%s)",
            address, tenant, ", ".join(sorted(tenants.allowed)) or "no tenant is",
        )  # fmt: skip
        what = f"tenant {tenant[:100]!r}" if tenant else "a Teams identity with no tenant"
        raise SendFailed(f"{what} is not in TEAMS_ALLOWED_TENANTS; not sent", permanent=True)

    def _home_tenant(self, address: Address) -> str:
        """The tenant for a chat with a roster person whose tenant is unknown: any one with a
        known route in dev mode without a list, else the only allowed tenant or
        MICROSOFT_APP_TENANT_ID; SendFailed (for good) when several are allowed and neither says."""
        tenants = self.setup.tenants
        if tenants.any_tenant or tenants.home:
            return tenants.home
        self.setup.counters.refuse("outbound_tenant")
        log.warning("Teams send to %s not made: the person's tenant is unknown", address)
        raise SendFailed(
            "the person's Teams tenant is not known yet and TEAMS_ALLOWED_TENANTS lists several: "
            "set MICROSOFT_APP_TENANT_ID to the tenant where new chats are created; not sent",
            permanent=True,
        )

    async def _route(
        self, identity: Identity | None, tenant_id: str, address: Address
    ) -> tuple[str, str]:
        """(tenant, service URL) for a person with no stored reference; SendFailed if unknown.

        A roster person (tenant '') is reached in the home tenant only (`_home_tenant`), never
        in whichever tenant last talked to the bot.
        """
        if identity is not None and identity.tenant_id and identity.service_url:
            return identity.tenant_id, identity.service_url
        tenant_id = tenant_id or self._home_tenant(address)
        route = await self.setup.directory.teams_route(tenant_id)
        if route is not None:
            return route
        if identity is None:
            raise SendFailed(f"no Teams identity for {address}", permanent=True)
        raise SendFailed(
            f"no service URL known for tenant {tenant_id!r} yet: someone there must open the "
            "bot once",
            retry_after=NO_SERVICE_URL_RETRY,
        )

    async def _create_and_send(
        self,
        identity: Identity,
        tenant_id: str,
        service_url: str,
        activity: dict[str, Any],
        created: list[dict[str, Any]],
    ) -> str:
        app_id = self.setup.app_id
        parameters = ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=f"28:{app_id}") if app_id else None,
            members=[ChannelAccount(id=identity.user_id)],
            tenant_id=tenant_id,
            channel_data={"tenant": {"id": tenant_id}},
        )
        sent: list[str] = []

        async def callback(context: TurnContext) -> None:
            # Remembered before sending: if the send fails, the retry continues this chat.
            remembered = await self._remember(
                identity, tenant_id, service_url, context.activity.conversation.id
            )
            created.append(remembered.serialize())
            response = await context.send_activity(Activity().deserialize(activity))
            sent.append(response.id if response and response.id else "")

        await self.adapter.create_conversation(
            app_id, callback, parameters, CHANNEL_ID, service_url
        )
        return sent[0] if sent else ""

    async def _remember(
        self, identity: Identity, tenant_id: str, service_url: str, conversation_id: str
    ) -> ConversationReference:
        """Keep the new chat's reference, so the next message continues it."""
        reference = ConversationReference(
            channel_id=CHANNEL_ID,
            service_url=service_url,
            conversation=ConversationAccount(
                id=conversation_id, tenant_id=tenant_id, conversation_type="personal"
            ),
            user=ChannelAccount(id=identity.user_id, aad_object_id=identity.user_id),
            bot=ChannelAccount(id=f"28:{self.setup.app_id}") if self.setup.app_id else None,
        )
        await self.deps.people.link_identity(
            Identity(
                identity.person_id,
                PLATFORM,
                tenant_id,
                identity.user_id,
                dm_conversation_id=conversation_id,
                service_url=service_url,
                reference=reference_to_json(reference),
            )
        )
        return reference


def _reference_tenants(reference: Mapping[str, Any]) -> list[str]:
    """The tenants a stored reference names: botbuilder serializes `conversation.tenantID`,
    Teams' own JSON says `tenantId`; a row may hold either, or both."""
    conversation = reference.get("conversation")
    if not isinstance(conversation, Mapping):
        return []
    found = (conversation.get(key) for key in ("tenantID", "tenantId"))
    return [tenant for tenant in found if isinstance(tenant, str)]
