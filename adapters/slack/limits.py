"""Slack's limits: the sizes Block Kit accepts, and the pace the Web API allows.

Block Kit rejects a whole message over one field's limit, so `render.py` cuts every field to
these; the Web API limits each method per workspace (Tier 3: about 50 calls a minute) and
answers 429 with a Retry-After past it, so `RateLimits` and `Pacer` keep the sender under it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

# Block Kit limits (docs.slack.dev/reference/block-kit): a message holds 50 blocks, a modal or
# the Home tab 100; section text 3000 chars, a section field 2000 and 10 fields; an actions
# block 25 elements; button text 75 (and its accessibility_label), button value 2000, url 3000;
# select placeholder 150, 100 options, option text 75, option value 150; action_id 255.
# chat.postMessage `text` is cut by Slack at 40,000 characters.
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT = 3000
FIELD_TEXT = 2000
FIELDS_PER_SECTION = 10
ACTIONS_PER_BLOCK = 25
BUTTON_TEXT = 75
ACCESSIBILITY_LABEL = 75  # a button's accessibility_label
BUTTON_VALUE = 2000
URL_LENGTH = 3000
PLACEHOLDER = 150
OPTIONS = 100
OPTION_TEXT = 75
OPTION_VALUE = 150
ACTION_ID = 255
MESSAGE_TEXT = 40_000

# conversations.open is Tier 3: "50+ per minute" (docs.slack.dev/apis/web-api/rate-limits).
OPEN_INTERVAL = 60.0 / 50
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
        method = method_of(request.url)
        self.hold(method, retry_after(response.headers))
        await self.sleep(self.remaining(method))
        state.increment_current_attempt()


def method_of(url: str) -> str:
    """The Web API method a request URL calls (`…/api/chat.postMessage` → chat.postMessage)."""
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def retry_after(headers: Mapping[str, Any]) -> float:
    """The seconds a 429 asks to wait (its Retry-After header), at least one."""
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) else value
            try:
                return max(float(raw), 1.0)
            except (TypeError, ValueError):
                break
    return 1.0


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
