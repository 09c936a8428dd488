"""The Bolt app: verifies requests, acks within Slack's 3 seconds, then hands off.

One Request URL (`POST /slack/events`) serves events, the slash command and interactivity, as
Slack apps are configured; Socket Mode (`SLACK_APP_TOKEN`) feeds the same Bolt app over a
websocket for companies that cannot expose a public URL. Bolt verifies signatures (401 on a bad
or more than five minutes old request) but does not de-duplicate Slack's retries
(`X-Slack-Retry-Num`): every request's event id (or trigger id) goes through
`Backend.record_event`, a unique constraint shared by all processes.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import translate as tr
from adapters.slack.answer import Backend, Responder
from adapters.slack.identity import IdentityLinker
from adapters.slack.sender import SlackSender, make_client

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
ANY = re.compile(".*")
INBOUND = "mentorbot_inbound"  # Bolt context key: the translated request
DUPLICATE_HEADER = "X-Mentorbot-Duplicate"
STOP_GRACE = 10.0  # seconds to finish acked work on shutdown
Ack = Callable[..., Awaitable[None]]


class SlackRuntime:
    """Everything Slack in one process: the Bolt app, the sender, and Socket Mode if chosen."""

    def __init__(
        self,
        backend: Backend,
        *,
        bot_token: str,
        signing_secret: str = "",
        app_token: str = "",
        api_url: str = "",
        command: str = "/mentoring",
    ) -> None:
        self.backend = backend
        self.client: AsyncWebClient = make_client(bot_token, api_url)
        self.sender = SlackSender(self.client, backend.now)
        self.linker = IdentityLinker(backend.directory, self.client)
        self.responder = Responder(backend, self.sender, self.linker)
        self.app_token = app_token
        self.command = command
        self.bolt = AsyncApp(
            client=self.client,
            signing_secret=signing_secret or None,
            # Socket Mode traffic arrives over an authenticated websocket, unsigned.
            request_verification_enabled=not app_token,
            process_before_response=False,  # ack first, work after (Slack waits 3 s at most)
            logger=logging.getLogger("slack_bolt"),
        )
        self._socket: AsyncSocketModeHandler | None = None
        self._in_flight: set[asyncio.Task[Any]] = set()  # answers still being worked on
        self._register()

    @property
    def socket_mode(self) -> bool:
        """True when Slack reaches us over Socket Mode instead of the Request URL."""
        return bool(self.app_token)

    def _register(self) -> None:
        self.bolt.use(self._translate_and_dedupe)
        self.bolt.event(ANY)(self._on_request)
        self.bolt.command(self.command)(self._on_request)
        self.bolt.action(ANY)(self._on_request)
        self.bolt.view(ANY)(self._on_request)

    async def _translate_and_dedupe(
        self, body: Mapping[str, Any], context: dict[str, Any], next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        """Global middleware (after Bolt's signature check): translate once, drop retries.

        A retry is answered 200 at once, so Slack stops retrying, and is not acted on again.
        The header only makes the decision visible to tests and logs; Slack ignores it.
        """
        inbound = tr.translate(body, self.backend.now())
        if inbound is not None and inbound.dedupe_key:
            first = await self.backend.record_event(
                tr.PLATFORM, inbound.dedupe_key, self.backend.now()
            )
            if not first:
                log.info("Slack retry of %s ignored", inbound.dedupe_key)
                return BoltResponse(status=200, body="", headers={DUPLICATE_HEADER: "1"})
        context[INBOUND] = inbound
        await next()
        return None

    async def _on_request(self, ack: Ack, context: Mapping[str, Any]) -> None:
        inbound: tr.Inbound | None = context.get(INBOUND)
        if inbound is not None and inbound.errors:
            # Modal validation: Slack shows these under the fields and keeps the modal open.
            await ack(response_action="errors", errors=inbound.errors)
            return
        await ack()
        if inbound is None:
            return
        # Bolt has already answered Slack: this runs after the ack, so a slow `match` for a
        # big organisation never holds up the 3-second window.
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            await self.responder.process(inbound)
        finally:
            if task is not None:
                self._in_flight.discard(task)

    async def handle_http(self, request: web.Request) -> web.Response:
        """`POST /slack/events`: convert to Bolt and back (Bolt's aiohttp adapter)."""
        bolt_response = await self.bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    def routes(self) -> list[tuple[str, str, Callable[[web.Request], Awaitable[web.Response]]]]:
        """The HTTP routes to mount: none in Socket Mode (Slack never calls us)."""
        if self.socket_mode:
            return []
        return [("POST", EVENTS_PATH, self.handle_http)]

    async def start(self) -> None:
        """Connect Socket Mode, when configured (the HTTP route needs no start)."""
        if not self.socket_mode:
            return
        self._socket = AsyncSocketModeHandler(
            self.bolt, self.app_token, web_client=self.client, logger=log
        )
        await self._socket.connect_async()  # type: ignore[no-untyped-call]
        log.info("Slack Socket Mode connected")

    async def stop(self) -> None:
        """Close Socket Mode, then let answers already acked finish (Slack will not resend
        an acked request, so dropping one would lose it)."""
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=STOP_GRACE)
