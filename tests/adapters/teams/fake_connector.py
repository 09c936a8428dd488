"""A fake Bot Connector service: what Teams' `serviceUrl` answers, on an ephemeral port.

Records every call the bot makes (create conversation, send, reply, update) and serves member
lookups. `fail_next(...)` makes the next matching calls answer an error (429 with Retry-After,
500…), so retries can be tested without a real Teams.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Call:
    """One request the bot made."""

    method: str
    path: str
    body: Any
    status: int  # what the fake answered

    @property
    def conversation_id(self) -> str:
        parts = self.path.split("/")
        return parts[3] if len(parts) > 3 else ""

    @property
    def card(self) -> dict[str, Any] | None:
        """The Adaptive Card of a posted activity, if any."""
        for attachment in (self.body or {}).get("attachments") or []:
            if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
                content: dict[str, Any] = attachment["content"]
                return content
        return None

    @property
    def text(self) -> str:
        """Everything readable in the activity (its text, summary and card text), for asserts."""
        body = self.body or {}
        parts = [str(body.get("text") or ""), str(body.get("summary") or "")]
        if self.card:
            parts.append(_card_text(self.card))
        return "\n".join(parts)


def _card_text(node: Any) -> str:
    if isinstance(node, dict):
        own = [str(node[k]) for k in ("text", "title", "value") if isinstance(node.get(k), str)]
        return "\n".join(own + [_card_text(v) for v in node.values() if isinstance(v, list | dict)])
    if isinstance(node, list):
        return "\n".join(_card_text(v) for v in node)
    return ""


@dataclass
class _Failure:
    kind: str
    status: int
    headers: dict[str, str]
    times: int
    path_contains: str = ""


@dataclass
class FakeConnector:
    """The fake service; `url` is its base (use it as the activity's `serviceUrl`)."""

    url: str = ""
    calls: list[Call] = field(default_factory=list)
    members: dict[str, dict[str, Any]] = field(default_factory=dict)  # user id → member JSON
    _failures: list[_Failure] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _chats: dict[str, int] = field(default_factory=dict)
    latency: float = 0.0  # seconds each send takes to answer
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    def fail_next(
        self,
        kind: str,
        status: int,
        *,
        retry_after: str | None = None,
        times: int = 1,
        path_contains: str = "",
    ) -> None:
        """Answer the next `times` calls of `kind` ("send", "create", "update", "member")
        whose path contains `path_contains` with `status`."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self._failures.append(_Failure(kind, status, headers, times, path_contains))

    def sent(self, conversation_id: str | None = None) -> list[Call]:
        """Activities accepted (2xx) for posting, optionally in one conversation."""
        return [
            c
            for c in self.calls
            if c.method == "POST"
            and "/activities" in c.path
            and c.status < 300
            and (conversation_id is None or c.conversation_id == conversation_id)
        ]

    def of(self, method: str, needle: str) -> list[Call]:
        """Calls with this method whose path contains `needle`."""
        return [c for c in self.calls if c.method == method and needle in c.path]

    async def wait_for(
        self, predicate: Callable[[FakeConnector], bool], within: float = 20.0
    ) -> None:
        """Wait (without polling) until `predicate` holds; AssertionError after `within` s."""

        async def until() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: predicate(self))

        try:
            await asyncio.wait_for(until(), within)
        except TimeoutError:
            raise AssertionError(f"fake connector: not met; calls: {self.calls}") from None

    # --- the HTTP side -----------------------------------------------------------------------

    async def _record(self, request: web.Request, kind: str, ok: web.Response) -> web.Response:
        body = await request.json() if request.body_exists else None
        response = ok
        for failure in self._failures:
            if failure.kind == kind and failure.times > 0 and failure.path_contains in request.path:
                failure.times -= 1
                response = web.json_response(
                    {"error": {"code": "Throttled", "message": "fake failure"}},
                    status=failure.status,
                    headers=failure.headers,
                )
                break
        async with self._changed:
            self.calls.append(Call(request.method, request.path, body, response.status))
            self._changed.notify_all()
        return response

    async def create(self, request: web.Request) -> web.Response:
        # Like Teams, creating the 1:1 chat again with the same member returns the same chat.
        body = await request.json()
        member = ((body.get("members") or [{}])[0] or {}).get("id", "")
        number = self._chats.setdefault(member, next(self._ids))
        created = {"id": f"a:created-{number}", "activityId": f"c{number}"}
        ok = web.json_response(created, status=201)
        return await self._record(request, "create", ok)

    async def send(self, request: web.Request) -> web.Response:
        if self.latency:  # a slow service, so a batch is still going when a test kills the bot
            await asyncio.sleep(self.latency)
        ok = web.json_response({"id": f"activity-{next(self._ids)}"}, status=201)
        return await self._record(request, "send", ok)

    async def update(self, request: web.Request) -> web.Response:
        ok = web.json_response({"id": request.match_info["activity"]}, status=200)
        return await self._record(request, "update", ok)

    async def member(self, request: web.Request) -> web.Response:
        member = self.members.get(request.match_info["user"])
        ok = web.json_response(member) if member else web.json_response({}, status=404)
        return await self._record(request, "member", ok)


@contextlib.asynccontextmanager
async def fake_connector(host: str = "127.0.0.1") -> AsyncIterator[FakeConnector]:
    """Run a FakeConnector on `host` (127.0.0.2 plays an attacker's server) and a free port."""
    connector = FakeConnector()
    app = web.Application()
    app.router.add_post("/v3/conversations", connector.create)
    app.router.add_post("/v3/conversations/{conversation}/activities", connector.send)
    app.router.add_post("/v3/conversations/{conversation}/activities/{reply}", connector.send)
    app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", connector.update)
    app.router.add_get("/v3/conversations/{conversation}/members/{user}", connector.member)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    port = runner.addresses[0][1]
    connector.url = f"http://{host}:{port}/"
    try:
        yield connector
    finally:
        await runner.cleanup()
