"""`POST /api/messages`: check the request, authenticate it, run the turn, answer.

Does what `CloudAdapter.process` does, in three separable steps, because its single `try`
turns a malformed token into a 500 and gives no room to refuse oversized or non-JSON bodies
cleanly. Authentication failures of any kind are 401; the turn's own errors are handled in
`turn.py` and answered 200, so Teams does not retry an activity we already acted on.

After authentication, and before anything is stored or looked up, the trust rules
(`adapters.teams.trust`) refuse activities whose `serviceUrl` is not an allowed Bot Connector URL
or whose tenant is not served: 403, no reply (a reply would go to that service URL, with the
bot's token), counted for /metrics.

The bot's own Azure AD token is fetched off the event loop (`adapters.teams.tokens`); when it
cannot be had in time the activity is answered 503 with `Retry-After`, unhandled, and counted.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web
from botbuilder.core import serializer_helper
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity
from msrest.serialization import Model

from adapters.teams.auth import looks_like_bearer_token
from adapters.teams.keys import SigningKeysUnavailable
from adapters.teams.tokens import RETRY_AFTER_FAILURE, AzureTokenUnavailable
from adapters.teams.trust import TeamsCounters, TeamsTrust, tenants_of
from adapters.teams.turn import TeamsTurn

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024  # activities are a few KB (a Teams message is at most ~28 KB)


class MessagesEndpoint:
    """The aiohttp handler for the Bot Framework messaging endpoint."""

    def __init__(
        self,
        adapter: CloudAdapter,
        authentication: ConfigurationBotFrameworkAuthentication,
        turn: TeamsTurn,
        *,
        require_token: bool,
        trust: TeamsTrust | None = None,
        counters: TeamsCounters | None = None,
    ) -> None:
        self.adapter = adapter
        self.authentication = authentication
        self.turn = turn
        self.require_token = require_token
        # Without explicit rules: loopback service URLs only, as in dev mode (fails closed).
        self.trust = trust or TeamsTrust()
        self.counters = counters or TeamsCounters()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Handle one POST from the Bot Framework (or the Emulator in dev mode)."""
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _problem(413, "request body too large")
        if request.content_type != "application/json":
            return _problem(415, "expected application/json")
        body = await _read_at_most(request, MAX_BODY)
        if body is None:
            return _problem(413, "request body too large")
        try:
            raw = json.loads(body)
        except ValueError:
            return _problem(400, "body is not valid JSON")
        if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
            return _problem(400, "body is not a Bot Framework activity")
        if not _encodable(raw):  # a lone surrogate ("\\ud800") fails every later encode
            return _problem(400, "body holds text that is not valid Unicode")
        header = request.headers.get("Authorization", "")
        if self.require_token and not looks_like_bearer_token(header):
            return _problem(401, "a Bot Framework bearer token is required")
        try:
            activity = Activity().deserialize(raw)
        except Exception:  # msrest raises DeserializationError subclasses and plain TypeErrors
            return _problem(400, "body is not a Bot Framework activity")
        try:
            authenticated = await self.authentication.authenticate_request(activity, header)
        except SigningKeysUnavailable as error:
            self.counters.signing_keys_unavailable += 1
            log.warning("Teams request refused: %s", error)
            return _problem(401, "unauthorized")
        except Exception as error:  # botbuilder raises PermissionError, jwt errors, Exception
            log.info("Teams request refused: %s", error)
            return _problem(401, "unauthorized")
        refusal = self.trust.refusal(raw)
        if refusal is not None:
            reason, detail = refusal
            self.counters.refuse(reason)
            log.warning(
                "Teams activity refused (%s): serviceUrl %.200r, tenant %.100r",
                detail, raw.get("serviceUrl"), tenants_of(raw)[0],
            )  # fmt: skip
            return _problem(403, detail)

        async def logic(context: Any) -> None:
            await self.turn.on_turn(context, raw)

        try:
            invoke_response = await self.adapter.process_activity(authenticated, activity, logic)
        except AzureTokenUnavailable as error:
            # botbuilder gets the bot's token before the turn runs: without one nothing could
            # be answered, so nothing is done and the Bot Framework may deliver it again.
            self.counters.azure_token_unavailable += 1
            log.warning("Teams activity %.100r not handled: %s", raw.get("id"), error)
            response = _problem(503, "the bot cannot reach Azure AD; try again later")
            response.headers["Retry-After"] = str(int(RETRY_AFTER_FAILURE))
            return response
        if invoke_response is None:
            return web.Response(status=200)
        payload = invoke_response.body
        if isinstance(payload, Model):
            payload = serializer_helper(payload)
        return web.json_response(payload, status=int(invoke_response.status))


async def _read_at_most(request: web.Request, limit: int) -> bytes | None:
    """The body, or None once it passes `limit` bytes (a chunked body has no Content-Length)."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(64 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _encodable(raw: Any) -> bool:
    try:
        json.dumps(raw, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _problem(status: int, detail: str) -> web.Response:
    return web.json_response({"error": detail}, status=status)
