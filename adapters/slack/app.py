"""The Bolt app: verifies requests, acks within Slack's 3 seconds, then hands off.

One Request URL (`POST /slack/events`) serves events, the slash command and interactivity, as
Slack apps are configured; Socket Mode (`SLACK_APP_TOKEN`) feeds the same Bolt app over a
websocket for companies that cannot expose a public URL. Bolt verifies signatures (401 on a bad
or more than five minutes old request) but does not de-duplicate Slack's retries
(`X-Slack-Retry-Num`): every request's event id (or trigger id) goes through
`AdapterDeps.people.record_event`, a unique constraint shared by all processes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.request import payload_utils
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from adapters.kit.deps import AdapterDeps
from adapters.slack import translate as tr
from adapters.slack.answer import Responder
from adapters.slack.client import make_client
from adapters.slack.identity import IdentityLinker
from adapters.slack.platform import PLATFORM
from adapters.slack.replies import SlackReplies
from adapters.slack.sender import SlackSender

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
ANY = re.compile(".*")
INBOUND = "mentorbot_inbound"  # Bolt context key: the translated request
DUPLICATE_HEADER = "X-Mentorbot-Duplicate"
STOP_GRACE = 10.0  # seconds to finish acked work on shutdown
Ack = Callable[..., Awaitable[None]]


# Events arrive as JSON; slash commands and interactivity as form fields (Slack's docs).
SLACK_CONTENT_TYPES = ("application/json", "application/x-www-form-urlencoded")


_OBJECTS = ("event", "view", "user", "team", "channel", "container", "message", "enterprise")
_BOLT_READERS = (
    payload_utils.to_options,
    payload_utils.to_shortcut,
    payload_utils.to_action,
    payload_utils.to_view,
    payload_utils.to_command,
    payload_utils.to_event,
    payload_utils.to_message,
    payload_utils.to_step,
)


def _drop_token_unused(record: logging.LogRecord) -> bool:
    """A logging filter: False for Bolt's "`token` will be unused" warning."""
    return record.getMessage() != warning_client_prioritized_and_token_skipped()


def _problem(status: int, detail: str) -> web.Response:
    return web.json_response({"error": detail}, status=status)


def _readable(body: Any) -> bool:
    """True when Bolt can read the body without raising (it would answer 500) and every
    string in it can be stored (JSON's "\\ud800", a lone surrogate, cannot)."""
    if not isinstance(body, dict):
        return False
    try:
        json.dumps(body, ensure_ascii=False).encode("utf-8")
        # Bolt runs these on every request and indexes nested parts without checking them.
        for read in _BOLT_READERS:
            read(body)
    except (UnicodeEncodeError, KeyError, TypeError, AttributeError, IndexError):
        return False
    return _ids_are_strings(body)


def _ids_are_strings(body: dict[str, Any]) -> bool:
    """Bolt's middleware and listener matchers read these unchecked (a TypeError is a 500)."""
    event, view, pressed = body.get("event"), body.get("view"), body.get("actions")
    ids = [body.get("callback_id"), body.get("command"), body.get("action_id")]
    # Slack sends these as objects (or null); Bolt calls .get() on them without checking.
    if any(not isinstance(body.get(k), dict | None) for k in _OBJECTS) or (
        event is None and "event" in body
    ):
        return False
    if isinstance(event, dict):
        ids.append(event.get("type"))
    if isinstance(view, dict):
        ids.append(view.get("callback_id"))
    if body.get("type") == "block_actions" and "actions" in body:  # matched on actions[0]
        first = pressed[0] if isinstance(pressed, list) and pressed else None
        if not isinstance(first, dict) or not isinstance(first.get("action_id"), str):
            return False
    return all(i is None or isinstance(i, str) for i in ids)


class SlackRuntime:
    """Everything Slack in one process: the Bolt app, the sender, and Socket Mode if chosen."""

    def __init__(
        self,
        deps: AdapterDeps,
        *,
        bot_token: str,
        signing_secret: str = "",
        app_token: str = "",
        api_url: str = "",
        command: str = "/mentoring",
    ) -> None:
        self.deps = deps
        self.client: AsyncWebClient = make_client(bot_token, api_url)
        self.sender = SlackSender(self.client, deps.clock.now)
        self.linker = IdentityLinker(deps.people, self.client)
        replies = SlackReplies(self.client)
        self.responder = Responder(deps, self.sender, replies, self.linker)
        self.app_token = app_token
        self.command = command
        bolt_log = logging.getLogger("slack_bolt")
        # Bolt reads SLACK_BOT_TOKEN from the environment even when given a client, and then
        # warns at every start that the token "will be unused": the client holds that same
        # token, so the warning is only noise in the operator's log.
        bolt_log.addFilter(_drop_token_unused)
        try:
            self.bolt = AsyncApp(
                client=self.client,
                signing_secret=signing_secret or None,
                # Socket Mode traffic arrives over an authenticated websocket, unsigned.
                request_verification_enabled=not app_token,
                process_before_response=False,  # ack first, work after (Slack waits 3 s)
                logger=bolt_log,
            )
        finally:
            bolt_log.removeFilter(_drop_token_unused)
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
        inbound = tr.translate(body, self.deps.clock.now())
        if inbound is not None and inbound.dedupe_key:
            first = await self.deps.people.record_event(
                PLATFORM, inbound.dedupe_key, self.deps.clock.now()
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
        """`POST /slack/events`: convert to Bolt and back (Bolt's aiohttp adapter).

        Bolt parses the body before it checks the signature and lets a parse error escape as
        a 500; a body Slack would never send is refused here with a 4xx instead.
        """
        if request.content_type not in SLACK_CONTENT_TYPES:
            return _problem(415, "expected application/json or application/x-www-form-urlencoded")
        try:
            bolt_request = await to_bolt_request(request)
        except (ValueError, LookupError, AttributeError, TypeError):  # bad UTF-8, JSON or shape
            return _problem(400, "body is not a Slack request")
        stamp = request.headers.get("X-Slack-Request-Timestamp", "")
        if not (stamp.isascii() and stamp.isdigit()):  # Bolt's int(stamp) would raise: a 500
            return _problem(401, "missing or malformed X-Slack-Request-Timestamp")
        if not _readable(bolt_request.body):
            return _problem(400, "body is not a Slack request")
        bolt_response = await self.bolt.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    def routes(self) -> list[tuple[str, str, Callable[[web.Request], Awaitable[web.Response]]]]:
        """The HTTP routes to mount: none in Socket Mode (Slack never calls us)."""
        if self.socket_mode:
            return []
        return [("POST", EVENTS_PATH, self.handle_http)]

    async def start(self) -> None:
        """Open one HTTP connection pool for the Web API; connect Socket Mode if configured."""
        # slack_sdk opens (and closes) a session per call unless given one: a new TCP and TLS
        # handshake per message, which dominated our CPU per message under load.
        self.client.session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.client.timeout)
        )
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
        if self.client.session is not None:
            await self.client.session.close()
