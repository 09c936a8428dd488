"""A fake Bot Framework OpenID metadata server on loopback, and tokens signed with its key.

Point `TEAMS_OPENID_METADATA_URL` (or `KeyStore(override=…)`) at `FakeOpenId.metadata_url` and
`signed_token(...)` is a token the bot accepts as the Bot Framework's, as botbuilder validates it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import jwt
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

APP_ID = "00000000-0000-0000-0000-00000000a11d"
PRIVATE = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeOpenId:
    """The metadata document and key set, with failures (`status`) and latency on demand."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.status = 200
        self.delay = 0.0
        jwk = json.loads(RSAAlgorithm.to_jwk(PRIVATE.public_key()))
        self.keys = [{**jwk, "kid": "key-1", "endorsements": ["msteams"]}]
        self.base = ""
        self.jwks_uri = ""  # what the document names ("" for this server's own /keys)

    @property
    def metadata_url(self) -> str:
        return f"{self.base}/openid"

    async def document(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        await asyncio.sleep(self.delay)
        if self.status != 200:
            return web.json_response({}, status=self.status)
        return web.json_response({"jwks_uri": self.jwks_uri or f"{self.base}/keys"})

    async def key_set(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        return web.json_response({"keys": self.keys})


@contextlib.asynccontextmanager
async def fake_openid() -> AsyncIterator[FakeOpenId]:
    """Run a FakeOpenId on 127.0.0.1 and a free port."""
    fake = FakeOpenId()
    app = web.Application()
    app.router.add_get("/openid", fake.document)
    app.router.add_get("/keys", fake.key_set)
    async with TestServer(app, host="127.0.0.1") as server:
        fake.base = str(server.make_url("")).rstrip("/")
        yield fake


def signed_token(service_url: str, *, kid: str = "key-1", **claims: Any) -> str:
    """`Bearer …`: a channel token for APP_ID and this service URL, as the Bot Framework's."""
    body = {
        "iss": "https://api.botframework.com",
        "aud": APP_ID,
        "serviceurl": service_url,
        "exp": int(time.time()) + 600,
        **claims,
    }
    return "Bearer " + jwt.encode(body, PRIVATE, algorithm="RS256", headers={"kid": kid})
