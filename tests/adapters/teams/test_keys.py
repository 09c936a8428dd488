"""Signing keys for botbuilder's token validation: fetched over aiohttp, shared, kept when a
refresh fails. Real botbuilder validation, real tokens signed with a key the fake OpenID
metadata server on loopback publishes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import jwt
import pytest
from botbuilder.schema import Activity
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor
from cryptography.hazmat.primitives.asymmetric import rsa

from adapters.teams.auth import TeamsCredentials, build_adapter
from adapters.teams.keys import REFRESH_EVERY, RETRY_AFTER_FAILURE, KeyStore, SigningKeysUnavailable
from tests.adapters.teams.fake_openid import APP_ID, FakeOpenId, fake_openid, signed_token

SERVICE_URL = "https://smba.trafficmanager.net/emea/"


@pytest.fixture
async def metadata() -> AsyncIterator[FakeOpenId]:
    async with fake_openid() as fake:
        yield fake


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def installed(metadata: FakeOpenId, clock: Clock) -> Iterator[KeyStore]:
    """A KeyStore in place of botbuilder's metadata objects; botbuilder's own restored after."""
    original = JwtTokenExtractor.__dict__["get_open_id_metadata"]
    store = KeyStore(override=metadata.metadata_url, timeout=1.0, clock=clock)
    store.install()
    try:
        yield store
    finally:
        JwtTokenExtractor.get_open_id_metadata = original


def token(kid: str = "key-1") -> str:
    return signed_token(SERVICE_URL, kid=kid)


async def authenticate(header: str) -> Any:
    _, authentication = build_adapter(TeamsCredentials(app_id=APP_ID, app_password="secret"))
    activity = Activity(type="message", channel_id="msteams", service_url=SERVICE_URL)
    return await authentication.authenticate_request(activity, header)


async def test_a_genuine_token_is_accepted_and_concurrent_requests_share_one_fetch(
    metadata: FakeOpenId, installed: KeyStore
) -> None:
    metadata.delay = 0.2  # all five wait on the same fetch
    results = await asyncio.gather(*(authenticate(token()) for _ in range(5)))
    assert all(r.claims_identity.is_authenticated for r in results)
    assert {r.claims_identity.claims["aud"] for r in results} == {APP_ID}
    assert metadata.requests == ["/openid", "/keys"]


async def test_a_failed_refresh_keeps_the_last_good_keys_and_waits_before_trying_again(
    metadata: FakeOpenId, installed: KeyStore, clock: Clock
) -> None:
    await authenticate(token())
    metadata.status = 503
    clock.now += REFRESH_EVERY + 1  # due for a refresh, which fails
    metadata.delay = 30.0  # and is slow: the request does not wait for it
    async with asyncio.timeout(2):
        assert (await authenticate(token())).claims_identity.is_authenticated
    metadata.delay = 0.0
    await installed.settled()
    assert metadata.requests == ["/openid", "/keys", "/openid"]
    clock.now += RETRY_AFTER_FAILURE / 2
    await authenticate(token())  # still the old keys, no new attempt yet
    await installed.settled()
    assert len(metadata.requests) == 3
    clock.now += RETRY_AFTER_FAILURE
    metadata.status = 200
    await authenticate(token())
    await installed.settled()
    assert metadata.requests[3:] == ["/openid", "/keys"]


async def test_without_any_key_set_requests_fail_fast_with_signing_keys_unavailable(
    metadata: FakeOpenId, installed: KeyStore
) -> None:
    metadata.delay = 5.0  # slower than the store's 1 s timeout
    started = time.monotonic()
    with pytest.raises(SigningKeysUnavailable):
        await authenticate(token())
    assert time.monotonic() - started < 3
    with pytest.raises(SigningKeysUnavailable):  # within the back-off: no second fetch
        await authenticate(token())
    assert metadata.requests == ["/openid"]


async def test_tokens_signed_by_another_key_or_naming_no_known_key_are_refused(
    metadata: FakeOpenId, installed: KeyStore
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = {"iss": "https://api.botframework.com", "aud": APP_ID, "serviceurl": SERVICE_URL}
    forged = "Bearer " + jwt.encode(claims, other, algorithm="RS256", headers={"kid": "key-1"})
    with pytest.raises(jwt.InvalidSignatureError):
        await authenticate(forged)
    with pytest.raises(PermissionError, match="no signing key"):
        await authenticate(token(kid="key-2"))


async def test_a_document_naming_an_http_key_set_off_loopback_is_refused(
    metadata: FakeOpenId, installed: KeyStore
) -> None:
    # The key set is served (by the fake, through the name `localhost`) but named over http on
    # a host that is not a loopback IP: on a real network anyone on the path could swap it.
    metadata.jwks_uri = metadata.base.replace("127.0.0.1", "localhost") + "/keys"
    with pytest.raises(SigningKeysUnavailable):
        await authenticate(token())
    assert metadata.requests == ["/openid"]  # the key set was never fetched


async def test_an_http_metadata_url_off_loopback_is_never_fetched(clock: Clock) -> None:
    async with fake_openid() as fake:
        original = JwtTokenExtractor.__dict__["get_open_id_metadata"]
        url = fake.metadata_url.replace("127.0.0.1", "localhost")
        KeyStore(override=url, timeout=1.0, clock=clock).install()
        try:
            with pytest.raises(SigningKeysUnavailable):
                await authenticate(token())
        finally:
            JwtTokenExtractor.get_open_id_metadata = original
        assert fake.requests == []
