"""The Bot Framework's token signing keys, fetched without ever blocking the event loop.

botbuilder 4.17 validates each inbound token against keys it fetches from an OpenID metadata
document with `requests.get` — no timeout, on the event loop. A forged token with
`iss=https://api.botframework.com` triggers that fetch, so with the metadata host slow the whole
server stalled: /healthz hung, ticks stopped, SIGTERM went unanswered.

`SigningKeys` replaces botbuilder's per-URL metadata object (`install` puts it in place of
`JwtTokenExtractor.get_open_id_metadata`, which every validation calls): the same document, over
aiohttp with a timeout; one fetch shared by every request waiting on it; the daily refresh in
the background while the current keys keep serving; the last good key set kept when a refresh
fails; after a failure, no new attempt for `RETRY_AFTER_FAILURE` seconds. Without any key set
a request fails at once with `SigningKeysUnavailable`, which the endpoint answers 401 and counts.

Both the metadata document and the key set it names (`jwks_uri`) must come over https (http only
from a loopback IP literal, for test fakes): over plain http anyone on the network path could
swap in their own keys. A document naming an http key set elsewhere counts as a failed fetch.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor
from jwt.algorithms import RSAAlgorithm

from adapters.teams.trust import is_secure_fetch_url

log = logging.getLogger(__name__)

FETCH_TIMEOUT = 5.0  # seconds for the metadata document and the key set together
REFRESH_EVERY = 24 * 3600.0  # botbuilder's own interval
UNKNOWN_KEY_REFRESH = 3600.0  # a token naming a key we lack refreshes at most once an hour
RETRY_AFTER_FAILURE = 60.0  # a failed fetch is not tried again sooner (no fetch per request)
MAX_DOCUMENT = 1024 * 1024  # the real documents are a few KB


class SigningKeysUnavailable(PermissionError):
    """No signing key set could be fetched: the request cannot be authenticated (401)."""


@dataclass(frozen=True)
class SigningKey:
    """What botbuilder's validator reads from its metadata object's `get`."""

    public_key: Any
    endorsements: list[str]


class SigningKeys:
    """The key set behind one OpenID metadata URL (botbuilder's `_OpenIdMetadata` interface)."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = FETCH_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self._clock = clock
        self._keys: list[dict[str, Any]] = []
        self._fetched_at: float | None = None  # last success
        self._failed_at: float | None = None  # last failure
        self._fetch: asyncio.Task[None] | None = None

    async def get(self, key_id: str | None) -> SigningKey:
        """The key `key_id` names; SigningKeysUnavailable when there is no key set, or
        PermissionError when the set has no such key."""
        now = self._clock()
        if self._due(now, REFRESH_EVERY):
            if self._keys:  # the daily refresh runs in the background; these keys serve meanwhile
                self._start_fetch()
            else:
                await self._refresh()
        key = self._find(key_id)
        if key is None and self._due(self._clock(), UNKNOWN_KEY_REFRESH):
            await self._refresh()  # Microsoft may have rotated its keys since the last fetch
            key = self._find(key_id)
        if key is None:
            if not self._keys:
                raise SigningKeysUnavailable(f"no signing keys from {self.url}")
            raise PermissionError(f"no signing key with id {key_id!r}")
        return key

    def _due(self, now: float, interval: float) -> bool:
        if self._failed_at is not None and now - self._failed_at < RETRY_AFTER_FAILURE:
            return False
        return self._fetched_at is None or now - self._fetched_at >= interval

    async def settled(self) -> None:
        """Wait for a fetch in progress, if any (tests, and a clean shutdown)."""
        if self._fetch is not None:
            await asyncio.shield(self._fetch)

    def _start_fetch(self) -> asyncio.Task[None]:
        if self._fetch is None or self._fetch.done():
            self._fetch = asyncio.ensure_future(self._fetch_keys())
        return self._fetch

    async def _refresh(self) -> None:
        """Fetch the key set once for everyone waiting; keep the old one if that fails."""
        # Shielded: a request that gives up must not cancel the fetch the others wait on.
        await asyncio.shield(self._start_fetch())

    async def _fetch_keys(self) -> None:
        try:
            if not is_secure_fetch_url(self.url):
                raise ValueError("the metadata URL is not https")
            async with asyncio.timeout(self.timeout):
                async with aiohttp.ClientSession(
                    timeout=aiohttp.ClientTimeout(total=self.timeout)
                ) as http:
                    metadata = await _json(http, self.url)
                    keys_url = metadata.get("jwks_uri")
                    if not isinstance(keys_url, str) or not keys_url:
                        raise ValueError("the metadata document has no jwks_uri")
                    if not is_secure_fetch_url(keys_url):
                        raise ValueError(f"the jwks_uri {keys_url[:200]!r} is not https")
                    keys = (await _json(http, keys_url)).get("keys")
            if not isinstance(keys, list) or not all(isinstance(k, dict) for k in keys):
                raise ValueError("the key set has no list of keys")
        except Exception as error:  # any failure: keep what we had, try again later
            self._failed_at = self._clock()
            kept = "keeping the last good key set" if self._keys else "no key set yet"
            log.warning("Bot Framework signing keys: fetching %s failed (%r); %s",
                        self.url, error, kept)  # fmt: skip
            return
        self._keys = keys
        self._fetched_at = self._clock()
        self._failed_at = None

    def _find(self, key_id: str | None) -> SigningKey | None:
        for key in self._keys:
            if key_id and key.get("kid") == key_id:  # a token without a key id matches none
                try:
                    public_key = RSAAlgorithm.from_jwk(json.dumps(key))
                except Exception:  # a malformed key in the set is no key at all
                    return None
                endorsements = key.get("endorsements")
                listed = endorsements if isinstance(endorsements, list) else []
                return SigningKey(public_key, listed)
        return None


async def _json(http: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with http.get(url) as response:
        response.raise_for_status()
        body = await response.content.read(MAX_DOCUMENT + 1)
    if len(body) > MAX_DOCUMENT:
        raise ValueError(f"{url} answered more than {MAX_DOCUMENT} bytes")
    document = json.loads(body)
    if not isinstance(document, dict):
        raise ValueError(f"{url} did not answer a JSON object")
    return document


class KeyStore:
    """One `SigningKeys` per metadata URL, as botbuilder keeps one `_OpenIdMetadata` per URL.

    `override` (TEAMS_OPENID_METADATA_URL) sends every metadata fetch to one document instead:
    for tests and sovereign clouds whose documents live elsewhere.
    """

    def __init__(
        self,
        *,
        override: str = "",
        timeout: float = FETCH_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.override = override
        self.timeout = timeout
        self._clock = clock
        self._sources: dict[str, SigningKeys] = {}

    def metadata_for(self, url: str) -> SigningKeys:
        """The key source for botbuilder's metadata URL `url`."""
        source = self._sources.get(url)
        if source is None:
            source = self._sources[url] = SigningKeys(
                self.override or url, timeout=self.timeout, clock=self._clock
            )
        return source

    async def settled(self) -> None:
        """Wait for every fetch in progress."""
        for source in list(self._sources.values()):
            await source.settled()

    def install(self) -> None:
        """Make botbuilder's token validation use these key sources.

        botbuilder looks its metadata objects up through a static method, process-wide; the
        latest `KeyStore` installed serves every validation in the process (one Teams plugin).
        """
        JwtTokenExtractor.get_open_id_metadata = staticmethod(self.metadata_for)
