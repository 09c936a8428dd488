"""The bot's own Azure AD tokens, fetched without ever blocking the event loop.

botbuilder 4.17 makes new `MicrosoftAppCredentials` for every connector client it builds (each
turn, each member look-up, each new chat). Each starts MSAL with an empty cache, and msrest asks
it for a token while signing the request — with blocking `requests` calls to Azure AD, without
a timeout, on the event loop. With login.microsoftonline.com (or a proxy on the way) slow, every
Teams turn stalled the whole server: /healthz, ticks, Slack, everything.

`AppTokens` is the credentials factory botbuilder's authentication is given instead of its own
(`ConfigurationBotFrameworkAuthentication(credentials_factory=…)`, a public parameter). For each
audience it keeps one set of botbuilder's credentials (so MSAL keeps its cache) and one token,
fetched in a daemon thread with a timeout (MSAL's own HTTP timeout too, so no thread hangs for
good), shared by everyone waiting, and reused until `RENEW_BEFORE` seconds before it expires.
What it hands botbuilder are credentials that already hold that token: signing a request never
calls Azure AD. When no token can be had in `FETCH_TIMEOUT` seconds, `AzureTokenUnavailable` is
raised (the endpoint answers 503, the sender retries later); after a failure, callers fail at once
for `RETRY_AFTER_FAILURE` seconds instead of each waiting out the timeout again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import jwt
from botframework.connector.auth import (
    AppCredentials,
    MicrosoftAppCredentials,
    ServiceClientCredentialsFactory,
)
from msal import ConfidentialClientApplication

log = logging.getLogger(__name__)

FETCH_TIMEOUT = 5.0  # seconds a caller waits for Azure AD (also MSAL's timeout per request)
RENEW_BEFORE = 300.0  # a token is renewed this long before it expires
STILL_USABLE = 30.0  # a token this far from expiry still serves while a renewal fails
DEFAULT_LIFETIME = 600.0  # a token whose expiry cannot be read is reused this long
RETRY_AFTER_FAILURE = 30.0  # after a failed fetch, callers fail at once for this long


class AzureTokenUnavailable(ConnectionError):
    """No Azure AD token for the bot's outbound requests could be had in time."""


class PrefetchedCredentials(AppCredentials):
    """botbuilder app credentials that sign requests with a token fetched beforehand."""

    def __init__(self, source: AppCredentials, token: str) -> None:
        super().__init__(
            app_id=source.microsoft_app_id,
            channel_auth_tenant=source.tenant,
            oauth_scope=source.oauth_scope,
        )
        self.oauth_endpoint = source.oauth_endpoint
        self._token = token

    def get_access_token(self, force_refresh: bool = False) -> str:
        """The token fetched off the event loop (never a call to Azure AD)."""
        del force_refresh  # a refused token is renewed by `AppTokens`, not here
        return self._token


class _Token:
    """One audience's credentials and token; its state changes on the event loop only."""

    def __init__(
        self, credentials: AppCredentials, *, timeout: float, clock: Callable[[], float]
    ) -> None:
        self.credentials = credentials
        self.timeout = timeout
        self._clock = clock
        self.value = ""
        self.expires_at = 0.0
        self.failed_at: float | None = None
        self.failure = ""
        self.pending: asyncio.Future[str] | None = None

    async def get(self) -> str:
        """A token valid for a while yet; AzureTokenUnavailable when none can be had in time."""
        now = self._clock()
        if self.value and now < self.expires_at - RENEW_BEFORE:
            return self.value
        usable = self.value if self.value and now < self.expires_at - STILL_USABLE else ""
        if self.failed_at is not None and now - self.failed_at < RETRY_AFTER_FAILURE:
            return self._fallback(usable)
        if self.pending is None:
            self.pending = _in_daemon_thread(self._fetch)
            self.pending.add_done_callback(self._fetched)
        try:
            async with asyncio.timeout(self.timeout):
                # Shielded: a caller that gives up must not cancel the fetch others wait on.
                return await asyncio.shield(self.pending)
        except TimeoutError:
            self._failed(f"Azure AD did not answer within {self.timeout:g} s")
        except Exception:  # recorded by `_fetched`
            pass
        return self._fallback(usable)

    def _fallback(self, usable: str) -> str:
        if usable:
            return usable
        raise AzureTokenUnavailable(
            f"no Azure AD token for the bot ({self.failure}); not trying again for "
            f"{RETRY_AFTER_FAILURE:g} s"
        )

    def _failed(self, reason: str) -> None:
        if self.failed_at is None or self._clock() - self.failed_at >= RETRY_AFTER_FAILURE:
            log.warning("Teams: fetching the bot's Azure AD token failed: %s", reason)
        self.failed_at = self._clock()
        self.failure = reason

    def _fetched(self, future: asyncio.Future[str]) -> None:
        self.pending = None
        if future.cancelled():
            self._failed("the fetch was cancelled")
            return
        error = future.exception()
        if error is not None:
            self._failed(f"{type(error).__name__}: {str(error)[:300]}")
            return
        self.value = future.result()
        self.expires_at = _expiry(self.value) or self._clock() + DEFAULT_LIFETIME
        self.failed_at = None
        self.failure = ""

    def _fetch(self) -> str:
        """In a worker thread: MSAL may call Azure AD (tenant discovery, then the token)."""
        credentials = self.credentials
        if isinstance(credentials, MicrosoftAppCredentials) and credentials.app is None:
            # The MSAL app botbuilder would make, plus a timeout: without one, a stalled
            # connection would keep this thread (and every later fetch) waiting for good.
            credentials.app = ConfidentialClientApplication(
                client_id=credentials.microsoft_app_id,
                client_credential=credentials.microsoft_app_password,
                authority=credentials.oauth_endpoint,
                timeout=self.timeout,
            )
        return str(credentials.get_access_token())


def _in_daemon_thread(work: Callable[[], str]) -> asyncio.Future[str]:
    """Run `work` in a new daemon thread: a fetch stuck in Azure AD never delays shutdown
    (the default executor's threads are joined when the interpreter exits) nor takes a thread
    botbuilder's sends need."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def settle(result: str | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result or "")

    def run() -> None:
        try:
            result, error = work(), None
        except Exception as failure:  # handed to the event loop, which logs it
            result, error = None, failure
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name="azure-ad-token", daemon=True).start()
    return future


def _expiry(token: str) -> float | None:
    """The `exp` claim of a JWT access token, unverified (it is our own, from Azure AD)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    expires = claims.get("exp")
    return float(expires) if isinstance(expires, int | float) else None


class AppTokens(ServiceClientCredentialsFactory):
    """botbuilder's credentials factory, with tokens fetched off the event loop and shared.

    `inner` is the factory botbuilder would use (it decides the credential type for the app
    type and cloud); `clock` is wall-clock seconds, as token expiry is.
    """

    def __init__(
        self,
        inner: ServiceClientCredentialsFactory,
        *,
        timeout: float = FETCH_TIMEOUT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._inner = inner
        self.timeout = timeout
        self._clock = clock
        self._tokens: dict[tuple[Any, ...], _Token] = {}

    async def is_valid_app_id(self, app_id: str) -> bool:
        """As botbuilder's factory says."""
        return bool(await self._inner.is_valid_app_id(app_id))

    async def is_authentication_disabled(self) -> bool:
        """As botbuilder's factory says (dev mode: no app id)."""
        return bool(await self._inner.is_authentication_disabled())

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> AppCredentials:
        """Credentials holding a current token for this audience (fetched off the loop)."""
        if await self._inner.is_authentication_disabled():  # no token is ever sent
            return await self._inner.create_credentials(
                app_id, oauth_scope, login_endpoint, validate_authority
            )
        key = (app_id, oauth_scope, login_endpoint, validate_authority)
        token = self._tokens.get(key)
        if token is None:
            credentials = await self._inner.create_credentials(
                app_id, oauth_scope, login_endpoint, validate_authority
            )
            token = self._tokens[key] = _Token(credentials, timeout=self.timeout, clock=self._clock)
        return PrefetchedCredentials(token.credentials, await token.get())
