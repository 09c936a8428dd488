"""Messages into an existing Teams chat over the Bot Connector REST API, on one aiohttp session.

botbuilder's proactive path (`continue_conversation`) builds a connector client, a user-token
client and a turn context for every message, serialises the activity through msrest and sends it
with `requests` in a worker thread: about 8 ms of CPU a message (benchmarks/README.md, fan-out),
eight times our whole budget. A message into a chat that exists is one documented request —
`POST {serviceUrl}/v3/conversations/{conversationId}/activities` (or `PUT …/activities/{id}` to
update one) — so the sender makes it itself, with the activity as the JSON the API documents
(`adapters.teams.activities.activity_json`).

Authentication stays botbuilder's: the bearer token is the one its credentials put on its own
requests (`signed_session`; the token itself is fetched off the event loop, in
`adapters.teams.tokens`), reused for a few minutes. Without an app id (dev mode) botbuilder
sends no token, and neither do we. Creating a chat, which happens once per person, still goes
through botbuilder (`TeamsSender`).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import quote

import aiohttp
from yarl import URL

from adapters.teams.errors import ConnectorError, retry_after_seconds
from conversations.ports import SendFailed

TOKEN_REUSE = 300.0  # seconds a bearer token is reused before asking the credentials again
TIMEOUT = aiohttp.ClientTimeout(total=30)
MAX_URLS = 10_000  # conversation URLs kept built; a fan-out reaches each chat once or twice


class TokenCache:
    """The Authorization header botbuilder's credentials produce, reused for `TOKEN_REUSE`.

    `credentials_for(service_url)` returns botbuilder app credentials (anything with
    `signed_session()`); `clock` is injected so tests can expire the cache.
    """

    def __init__(
        self,
        credentials_for: Callable[[str], Awaitable[Any]],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._credentials_for = credentials_for
        self._clock = clock
        self._headers: dict[str, tuple[str, float]] = {}  # service URL → (header, fetched at)
        self._lock = asyncio.Lock()

    async def __call__(self, service_url: str) -> str:
        """The Authorization header for requests to `service_url` ("" when there is none)."""
        cached = self._headers.get(service_url)
        if cached is not None and self._clock() - cached[1] < TOKEN_REUSE:
            return cached[0]
        async with self._lock:  # one fetch for all the sends waiting on it
            cached = self._headers.get(service_url)
            if cached is not None and self._clock() - cached[1] < TOKEN_REUSE:
                return cached[0]
            credentials = await self._credentials_for(service_url)
            session = await asyncio.to_thread(credentials.signed_session)
            header = str(session.headers.get("Authorization") or "")
            self._headers[service_url] = (header, self._clock())
            return header

    def forget(self, service_url: str) -> None:
        """Drop the cached header (the connector said 401: fetch a fresh token next time)."""
        self._headers.pop(service_url, None)


class BotConnector:
    """Posts and updates activities in existing conversations (Bot Connector API v3)."""

    def __init__(self, tokens: TokenCache, *, allows: Callable[[str], bool]) -> None:
        self._tokens = tokens
        self._allows = allows  # the service URL allow-list (adapters.teams.trust)
        self._session: aiohttp.ClientSession | None = None
        self._urls: dict[tuple[str, str], URL] = {}  # (service URL, conversation) → its URL

    async def send(
        self, service_url: str, conversation_id: str, activity: Mapping[str, Any]
    ) -> str:
        """Post an activity to a conversation; the id Teams gave it."""
        key = (service_url, conversation_id)
        url = self._urls.get(key)
        if url is None:
            # Built and quoted once per chat (`encoded`: aiohttp need not parse it again).
            if len(self._urls) >= MAX_URLS:
                self._urls.clear()
            path = f"v3/conversations/{quote(conversation_id, safe='')}/activities"
            url = self._urls[key] = _url(service_url, path)
        return await self._request("POST", service_url, url, activity)

    async def update(
        self,
        service_url: str,
        conversation_id: str,
        activity_id: str,
        activity: Mapping[str, Any],
    ) -> str:
        """Replace an activity the bot posted earlier (a card whose buttons were answered)."""
        path = (
            f"v3/conversations/{quote(conversation_id, safe='')}"
            f"/activities/{quote(activity_id, safe='')}"
        )
        await self._request("PUT", service_url, _url(service_url, path), activity)
        return activity_id

    async def close(self) -> None:
        """Close the HTTP session (its connections are reused between sends until then)."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _request(
        self, method: str, service_url: str, url: URL, activity: Mapping[str, Any]
    ) -> str:
        if not self._allows(service_url):  # checked before any token is fetched or sent
            raise SendFailed(
                f"service URL {service_url[:200]!r} is not an allowed Bot Connector URL "
                "(TEAMS_ALLOWED_SERVICE_URLS); not sent",
                permanent=True,
            )
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        headers = {"Content-Type": "application/json"}
        authorization = await self._tokens(service_url)
        if authorization:
            headers["Authorization"] = authorization
        body = json.dumps(activity, ensure_ascii=False).encode()
        async with self._session.request(method, url, data=body, headers=headers) as response:
            raw = await response.read()  # the API answers JSON in UTF-8: no charset sniffing
            if response.status >= 400:
                if response.status == 401:
                    self._tokens.forget(service_url)
                retry_after = retry_after_seconds(response.headers.get("Retry-After"))
                raise ConnectorError(response.status, retry_after, raw.decode(errors="replace"))
            try:
                answer = json.loads(raw) if raw else {}
            except ValueError:
                answer = {}
        return str(answer.get("id") or "") if isinstance(answer, dict) else ""


def _url(service_url: str, path: str) -> URL:
    """`path` under the service URL, already quoted."""
    return URL(service_url.rstrip("/") + "/" + path, encoded=True)
