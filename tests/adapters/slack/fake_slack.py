"""A fake Slack Web API (and Socket Mode endpoint) on an ephemeral port, for tests.

It answers the methods the adapter calls the way Slack documents them, records every call, keeps
each channel's history (with message metadata, for `conversations.history`), and can answer
429 with `Retry-After` on demand. Response URLs (`/respond/<name>`) record what was posted.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

TEAM = "T0ACME"
BOT_USER = "U0BOT"


@dataclass
class Call:
    """One request the fake received."""

    method: str
    args: dict[str, Any]
    status: int = 200


@dataclass
class FakeSlack:
    """Start with `await fake.start()`; stop with `await fake.stop()`."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    responses: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # response_url
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    base_url: str = ""
    enterprise_install: bool = False  # an org-wide install on Enterprise Grid
    _limits: dict[str, list[int]] = field(default_factory=dict)
    _errors: dict[str, list[str]] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)

    # --- set-up ------------------------------------------------------------------------------

    async def start(self) -> str:
        """Listen on a free port; returns the base URL."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{name}", self._respond)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        """Close sockets and the server."""
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        """What SLACK_API_URL should be."""
        return f"{self.base_url}/api/"

    def response_url(self, name: str) -> str:
        """A response_url that records what is posted to it."""
        return f"{self.base_url}/respond/{name}"

    def add_user(self, user_id: str, email: str, tz: str = "Europe/London", name: str = "") -> None:
        """A workspace member users.info and users.lookupByEmail know."""
        self.users[user_id] = {
            "id": user_id,
            "team_id": TEAM,
            "name": email.split("@")[0],
            "real_name": name,
            "tz": tz,
            "deleted": False,
            "is_bot": False,
            "profile": {"email": email, "real_name": name},
        }

    def fail(self, method: str, error: str) -> None:
        """Answer the next call of `method` with `{"ok": false, "error": error}`."""
        self._errors.setdefault(method, []).append(error)

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next `times` calls of `method` with 429 and Retry-After."""
        self._limits.setdefault(method, []).extend([retry_after] * times)

    # --- reading what happened ---------------------------------------------------------------

    def calls_to(self, method: str, **match: Any) -> list[Call]:
        """Successful calls of `method` whose args include `match`."""
        return [
            c
            for c in self.calls
            if c.method == method
            and c.status == 200
            and all(self._arg(c, k) == v for k, v in match.items())
        ]

    def _arg(self, call: Call, key: str) -> Any:
        value = call.args.get(key)
        # A post to a user id lands in their DM: match it as that DM.
        return self._channel(str(value)) if key == "channel" and value else value

    async def wait_for(
        self,
        condition: Callable[[], Any],
        *,
        within: float = 20.0,
        what: str = "",
    ) -> Any:
        """Poll `condition` until it returns something truthy (the subprocess acts on its own)."""
        deadline = time.monotonic() + within
        while True:
            result = condition()
            if result:
                return result
            if time.monotonic() > deadline:
                seen = [(c.method, c.status) for c in self.calls]
                raise AssertionError(f"timed out waiting for {what or condition}; calls: {seen}")
            await asyncio.sleep(0.02)

    async def wait_for_call(self, method: str, count: int = 1, **match: Any) -> list[Call]:
        """Wait until `method` was called successfully `count` times with `match`."""
        return await self.wait_for(
            lambda: (found := self.calls_to(method, **match)) and len(found) >= count and found,
            what=f"{count}× {method} {match}",
        )

    # --- socket mode -------------------------------------------------------------------------

    async def socket_send(self, payload_type: str, payload: Mapping[str, Any]) -> str:
        """Push one Socket Mode envelope to the connected app; returns its envelope id."""
        envelope_id = f"env-{next(self._ts)}"
        message = {
            "envelope_id": envelope_id,
            "type": payload_type,
            "accepts_response_payload": payload_type != "events_api",
            "retry_attempt": 0,
            "retry_reason": "",
            "payload": dict(payload),
        }
        await self._sockets[-1].send_str(json.dumps(message))
        return envelope_id

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "connection_info": {"app_id": "A0APP"},
                    "debug_info": {"host": "fake", "approximate_connection_time": 3600},
                }
            )
        )
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                self.socket_acks.append(json.loads(message.data))
        self._sockets.remove(ws)
        return ws

    # --- the Web API -------------------------------------------------------------------------

    async def _respond(self, request: web.Request) -> web.Response:
        self.responses.append((request.match_info["name"], await request.json()))
        return web.Response(text="ok")

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        elif request.can_read_body:
            args.update(dict(await request.post()))
        limits = self._limits.get(method)
        if limits:
            retry_after = limits.pop(0)
            self.calls.append(Call(method, args, 429))
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(retry_after)},
            )
        errors = self._errors.get(method)
        if errors:
            self.calls.append(Call(method, args, 400))
            return web.json_response({"ok": False, "error": errors.pop(0)})
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            self.calls.append(Call(method, args, 404))
            return web.json_response({"ok": False, "error": "unknown_method"}, status=404)
        self.calls.append(Call(method, args))
        return web.json_response(handler(args))

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        answer = {
            "ok": True,
            "url": "https://acme.slack.com/",
            "team": "Acme",
            "user": "mentorbot",
            "team_id": TEAM,
            "user_id": BOT_USER,
            "bot_id": "B0BOT",
            "is_enterprise_install": self.enterprise_install,
        }
        if self.enterprise_install:
            answer["enterprise_id"] = "E0ACME"
        return answer

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": self.base_url.replace("http", "ws") + "/socket"}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = sorted(str(args.get("users", "")).split(","))
        if any(u not in self.users for u in users):
            return {"ok": False, "error": "user_not_found"}
        channel = "D" + users[0][1:] if len(users) == 1 else "G" + "".join(u[-3:] for u in users)
        return {"ok": True, "channel": {"id": channel}}

    def _channel(self, channel: str) -> str:
        # Posting to a user id lands in the bot's DM with them, as on Slack.
        return "D" + channel[1:] if channel.startswith("U") else channel

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(str(args["channel"]))
        ts = f"{1700000000 + next(self._ts)}.000100"
        message = {
            "type": "message",
            "user": BOT_USER,
            "bot_id": "B0BOT",
            "text": args.get("text", ""),
            "blocks": args.get("blocks", []),
            "ts": ts,
        }
        if args.get("metadata"):
            message["metadata"] = args["metadata"]
        self.history.setdefault(channel, []).insert(0, message)  # newest first, as Slack
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(str(args["channel"]))
        for message in self.history.get(channel, []):
            if message["ts"] == args["ts"]:
                message.update(text=args.get("text", ""), blocks=args.get("blocks", []))
                return {"ok": True, "channel": channel, "ts": args["ts"], "text": message["text"]}
        return {"ok": False, "error": "message_not_found"}

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": f"{1700000000 + next(self._ts)}.000200"}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "view": {"id": "V0MODAL", **args.get("view", {})}}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "view": {"id": "V0HOME", **args.get("view", {})}}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user")))
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def _users_lookupByEmail(self, args: dict[str, Any]) -> dict[str, Any]:
        email = str(args.get("email", "")).casefold()
        for user in self.users.values():
            if user["profile"]["email"].casefold() == email:
                return {"ok": True, "user": user}
        return {"ok": False, "error": "users_not_found"}

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        limit = int(args.get("limit", 100))
        keep_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        messages = []
        for message in self.history.get(str(args["channel"]), [])[:limit]:
            shown = dict(message)
            if not keep_metadata:
                shown.pop("metadata", None)
            messages.append(shown)
        return {"ok": True, "messages": messages, "has_more": False}
