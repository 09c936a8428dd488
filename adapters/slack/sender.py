"""SlackSender: the `conversations.ports.Sender` for Slack, on slack_sdk's AsyncWebClient.

Every posted message carries its idempotency key in Slack message metadata, so `find_sent` can
tell from the conversation's history whether a send that crashed half-way reached Slack.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.platform import PLATFORM
from adapters.slack.render import render_message
from conversations.ports import SendFailed
from conversations.types import Address, Delivery, OutgoingMessage

log = logging.getLogger(__name__)

METADATA_EVENT = "mentorbot_message"
DEFAULT_API_URL = "https://slack.com/api/"
# The recipient is gone or the bot may not write there: retrying cannot help, and the person
# should be marked unreachable.
UNREACHABLE = frozenset(
    {
        "account_inactive",
        "user_not_found",
        "users_not_found",
        "user_disabled",
        "cannot_dm_bot",
        "not_in_channel",
        "channel_not_found",
        "is_archived",
        "messages_tab_disabled",
        "user_is_restricted",
    }
)
# The message itself is malformed: the same request will fail the same way.
PERMANENT = frozenset(
    {
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "invalid_arguments",
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
    }
)
# conversations.open is Tier 3: "50+ per minute" (docs.slack.dev/apis/web-api/rate-limits).
OPEN_INTERVAL = 60.0 / 50
HISTORY_PAGE = 100  # one page of conversations.history: where a just-sent message is
RETRIES_ON_429 = 1  # one short wait in-process; after that the delivery queue reschedules
# Seconds a send waits out a 429's hold in place; a longer hold sends it back to the queue.
MAX_INLINE_WAIT = 5.0


class RateLimits(AsyncRetryHandler):
    """Slack's 429s for one client (one workspace): each retried after its Retry-After, and
    every other call of the same method held until then.

    Slack limits each method per workspace (chat.postMessage also per channel; the answer does
    not say which). Once one call is told to wait, the others in flight would only collect 429s
    of their own, each a wasted request, and slack_sdk's own handler retries each after a
    random extra second, one wake-up per call. Here the calls held wake together when the wait
    is over, as one burst. A per-channel 429 holds the whole method for its Retry-After too
    (usually a second): rare, as one conversation's messages go one after another.

    `clock` is the sender's (`SlackSender` sets it), so holds pass in simulated time too.
    """

    def __init__(
        self,
        max_retry_count: int = RETRIES_ON_429,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.clock = clock
        self.sleep = sleep
        self._resume_at: dict[str, datetime] = {}  # API method → when calls may go again

    def hold(self, method: str, seconds: float) -> None:
        """Hold calls of `method` for `seconds` (a 429's Retry-After)."""
        until = self.clock() + timedelta(seconds=seconds)
        self._resume_at[method] = max(self._resume_at.get(method, until), until)

    def remaining(self, method: str) -> float:
        """Seconds until `method` may be called again (0: now)."""
        until = self._resume_at.get(method)
        return 0.0 if until is None else max(0.0, (until - self.clock()).total_seconds())

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and response.status_code == 429

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        """Hold the method for the Retry-After, wait it out, then let the call go again."""
        if response is None:  # pragma: no cover - only 429 responses are retried
            raise error or RuntimeError("nothing to retry")
        state.next_attempt_requested = True
        method = _method_of(request.url)
        self.hold(method, _retry_after(response.headers))
        await self.sleep(self.remaining(method))
        state.increment_current_attempt()


def _method_of(url: str) -> str:
    """The Web API method a request URL calls (`…/api/chat.postMessage` → chat.postMessage)."""
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def make_client(
    token: str,
    api_url: str = "",
    *,
    retries: int = RETRIES_ON_429,
    limits: RateLimits | None = None,
) -> AsyncWebClient:
    """An AsyncWebClient on `api_url` (slack_sdk reads no environment variable for it).

    A 429 is retried `retries` times after its Retry-After, holding the method's other calls
    meanwhile (`limits`, by default a `RateLimits` on the real clock); then it surfaces as
    SendFailed(retry_after=…) and the delivery queue reschedules the message.
    """
    base = api_url or DEFAULT_API_URL
    if not base.endswith("/"):
        base += "/"
    return AsyncWebClient(
        token=token,
        base_url=base,
        retry_handlers=[limits or RateLimits(max_retry_count=retries)],
        logger=_client_logger(),
    )


def rate_limits_of(client: AsyncWebClient) -> RateLimits:
    """The client's `RateLimits` (one is added when it has none: a client made elsewhere)."""
    for handler in client.retry_handlers:
        if isinstance(handler, RateLimits):
            return handler
    limits = RateLimits(max_retry_count=0)
    client.retry_handlers.append(limits)
    return limits


def _client_logger() -> logging.Logger:
    """The logger for slack_sdk's client, with its own level set.

    slack_sdk formats a debug line with the whole request body before every call whenever its
    logger's *own* level is NOTSET (it tests `logger.level <= DEBUG`, not `isEnabledFor`): a
    tenth of our CPU per message in the fan-out benchmark. With the level set, the line is only
    built when debug logging is really on.
    """
    client_log = logging.getLogger("slack_sdk.web.async_client")
    if client_log.level == logging.NOTSET:
        debug = client_log.getEffectiveLevel() <= logging.DEBUG
        client_log.setLevel(logging.DEBUG if debug else logging.INFO)
    return client_log


class Pacer:
    """At most one call per `interval` seconds (Slack's tiers are per method, per workspace)."""

    def __init__(
        self,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        """Return when the next call may go out."""
        async with self._lock:
            delay = self._next - self._clock()
            if delay > 0:
                await self._sleep(delay)
            self._next = max(self._clock(), self._next) + self.interval


def failure(error: Exception, what: str) -> SendFailed:
    """A SendFailed for a slack_sdk or network error, classified for the delivery worker."""
    if isinstance(error, SlackApiError):
        response = error.response
        # A proxy or an outage can answer with plain text, not Slack's JSON: no error code then.
        data = response.data if response is not None and isinstance(response.data, dict) else {}
        code = str(data.get("error", ""))
        if response is not None and response.status_code == 429:
            retry_after = _retry_after(response.headers)
            return SendFailed(f"{what}: rate limited", retry_after=retry_after)
        reason = f"{what}: {code or 'error'}"
        if code in UNREACHABLE:
            return SendFailed(reason, unreachable=True)
        return SendFailed(reason, permanent=code in PERMANENT)
    return SendFailed(f"{what}: {error!r}")  # network trouble: retry with backoff


def _retry_after(headers: Mapping[str, Any]) -> float:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) else value
            try:
                return max(float(raw), 1.0)
            except (TypeError, ValueError):
                break
    return 1.0


class SlackSender:
    """Posts, updates and finds messages; opens group DMs for pairs."""

    platform = PLATFORM
    finds_sent = True  # by the idempotency key in each message's metadata
    opens_groups = True  # group DMs (conversations.open)

    def __init__(self, client: AsyncWebClient, clock: Callable[[], datetime]) -> None:
        self.client = client
        self.clock = clock
        self.rate_limits = rate_limits_of(client)
        self.rate_limits.clock = clock  # holds pass in the bot's time (simulated in tests)
        self._open_pacer = Pacer(OPEN_INTERVAL)
        self._opened: dict[tuple[str, ...], str] = {}  # users → channel id (in memory)

    # --- the Sender protocol -----------------------------------------------------------------

    async def send(self, message: OutgoingMessage, address: Address) -> Delivery:
        """Post `message` to the conversation (or update it, with `message.replaces`)."""
        body = render_message(message)
        method = "chat.update" if message.replaces else "chat.postMessage"
        held = self.rate_limits.remaining(method)  # not into a 429 another send was given
        if held > MAX_INLINE_WAIT:
            raise SendFailed(f"{method}: rate limited", retry_after=held)
        if held > 0:
            await self.rate_limits.sleep(held)
        try:
            if message.replaces:
                response = await self.client.chat_update(
                    channel=address.conversation_id, ts=message.replaces, **body
                )
            else:
                response = await self.client.chat_postMessage(
                    channel=address.conversation_id,
                    thread_ts=address.thread_id,
                    metadata=self._metadata(message),
                    unfurl_links=False,
                    unfurl_media=False,
                    **body,
                )
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
            failed = failure(error, method)
            if failed.retry_after is not None:  # the in-process retries are spent
                self.rate_limits.hold(method, failed.retry_after)
            raise failed from error
        channel = str(response.get("channel") or address.conversation_id)
        if address.conversation_id.startswith(("U", "W")) and channel.startswith("D"):
            # Posting to a user id lands in their DM; remember which, for find_sent.
            self._opened[(address.conversation_id,)] = channel
        return Delivery(PLATFORM, str(response["ts"]), address, self.clock())

    async def find_sent(self, message: OutgoingMessage, address: Address) -> Delivery | None:
        """The message with this idempotency key among the conversation's latest, or None."""
        if not message.idempotency_key:
            return None
        try:
            channel = await self._channel_of(address)
            if address.thread_id:
                response = await self.client.conversations_replies(
                    channel=channel,
                    ts=address.thread_id,
                    limit=HISTORY_PAGE,
                    include_all_metadata=True,
                )
            else:
                response = await self.client.conversations_history(
                    channel=channel, limit=HISTORY_PAGE, include_all_metadata=True
                )
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
            raise failure(error, "conversations.history") from error
        for posted in response.get("messages") or []:
            metadata = posted.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if (
                metadata.get("event_type") == METADATA_EVENT
                and payload.get("key") == message.idempotency_key
            ):
                return Delivery(PLATFORM, str(posted["ts"]), address, self.clock())
        return None

    async def prepare(self, addresses: Sequence[Address]) -> None:
        """Nothing to look up: a post needs only the channel id."""
        del addresses

    async def open_group(self, tenant_id: str, user_ids: Sequence[str]) -> str | None:
        """A group DM with these users and the bot (conversations.open), paced for Tier 3."""
        del tenant_id  # one token serves one workspace
        users = tuple(sorted(set(user_ids)))
        if users in self._opened:
            return self._opened[users]
        await self._open_pacer.wait()
        try:
            response = await self.client.conversations_open(users=",".join(users))
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
            raise failure(error, "conversations.open") from error
        channel = str(response["channel"]["id"])
        self._opened[users] = channel
        return channel

    # --- answers that only exist on Slack ----------------------------------------------------

    async def send_ephemeral(
        self, message: OutgoingMessage, address: Address, user_id: str
    ) -> None:
        """Show `message` to one person only, in a conversation others can see."""
        try:
            await self.client.chat_postEphemeral(
                channel=address.conversation_id,
                user=user_id,
                thread_ts=address.thread_id,
                **render_message(message),
            )
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
            raise failure(error, "chat.postEphemeral") from error

    async def respond(
        self, message: OutgoingMessage, response_url: str, *, replace_original: bool = False
    ) -> None:
        """Answer through a response_url (slash commands, clicks on ephemeral messages).

        A response_url takes up to five answers within 30 minutes, in any channel, even ones
        the bot is not in; answers are ephemeral.
        """
        webhook = AsyncWebhookClient(
            response_url,
            # The Web API client's session: its connections are reused (one per answer cost a
            # TCP connect, and the answer to every slash command comes this way).
            session=self.client.session,
            retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=RETRIES_ON_429)],
        )
        try:
            response = await webhook.send(
                response_type="ephemeral",
                replace_original=replace_original,
                **render_message(message),
            )
        except (aiohttp.ClientError, TimeoutError) as error:
            raise SendFailed(f"response_url: {error!r}") from error
        if response.status_code >= 400:
            raise SendFailed(f"response_url: HTTP {response.status_code} {response.body}")

    async def open_view(self, trigger_id: str, view: Mapping[str, Any]) -> None:
        """Open a modal (views.open); the trigger_id is valid for 3 seconds."""
        try:
            await self.client.views_open(trigger_id=trigger_id, view=dict(view))
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
            raise failure(error, "views.open") from error

    async def publish_home(self, user_id: str, view: Mapping[str, Any]) -> None:
        """Draw one person's Home tab (views.publish)."""
        try:
            await self.client.views_publish(user_id=user_id, view=dict(view))
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
            raise failure(error, "views.publish") from error

    # --- helpers -----------------------------------------------------------------------------

    def _metadata(self, message: OutgoingMessage) -> dict[str, Any] | None:
        if not message.idempotency_key:
            return None
        return {"event_type": METADATA_EVENT, "event_payload": {"key": message.idempotency_key}}

    async def _channel_of(self, address: Address) -> str:
        """The channel id to read history from: a user id is resolved to their DM."""
        conversation = address.conversation_id
        if not conversation.startswith(("U", "W")):
            return conversation
        if (conversation,) not in self._opened:
            await self._open_pacer.wait()
            response = await self.client.conversations_open(users=conversation)
            self._opened[(conversation,)] = str(response["channel"]["id"])
        return self._opened[(conversation,)]
