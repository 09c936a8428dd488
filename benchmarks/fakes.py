"""Rate-limited fakes of Slack's Web API and the Bot Connector, run as their own process.

`python -m benchmarks.fakes [--slack-channel-rate R] [--slack-workspace-rate R]
[--slack-open-per-minute N] [--teams-tenant-rate R]` listens on a free loopback port, prints
`fakes listening on http://127.0.0.1:PORT` and serves until SIGTERM/SIGINT.

A separate process so that its CPU never counts as ours (the benchmarks measure the process
that delivers) and so that answering the bot never delays a load generator's timestamps.
Limits are token buckets (rate per second, one second of burst) answering 429 with
`Retry-After`, as Slack and Teams do. `GET /_stats` returns what arrived: accepted messages per
idempotency key (Slack metadata) or per conversation (Teams), 429s, and first/last accept times.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TEAM = "T0BENCH"
BOT_USER = "U0BOT"


@dataclass
class Bucket:
    """A token bucket per key: `rate` tokens a second, at most `burst` saved up."""

    rate: float
    burst: float
    _tokens: dict[str, tuple[float, float]] = field(default_factory=dict)  # key → (tokens, at)

    def take(self, key: str) -> float:
        """0 when a call may go now (and counts it); else the seconds until one may."""
        if self.rate <= 0:
            return 0.0  # no limit configured
        now = time.monotonic()
        tokens, at = self._tokens.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        if tokens >= 1.0:
            self._tokens[key] = (tokens - 1.0, now)
            return 0.0
        self._tokens[key] = (tokens, now)
        return (1.0 - tokens) / self.rate


@dataclass
class Fakes:
    """Both fakes' state; one aiohttp app serves them."""

    channel: Bucket
    workspace: Bucket
    opens: Bucket
    tenant: Bucket
    accepted: Counter[str] = field(default_factory=Counter)
    limited: Counter[str] = field(default_factory=Counter)  # 429s by method
    calls: Counter[str] = field(default_factory=Counter)
    first: float = 0.0
    last: float = 0.0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _accept(self, key: str) -> None:
        now = time.time()
        self.first = self.first or now
        self.last = now
        self.accepted[key] += 1

    @staticmethod
    def _limited(wait: float, *, slack: bool) -> web.Response:
        # Retry-After is whole seconds on both platforms; never 0, or clients would spin.
        headers = {"Retry-After": str(max(1, math.ceil(wait)))}
        if slack:
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers=headers
            )
        body = {"error": {"code": "Throttled", "message": "too many requests"}}
        return web.json_response(body, status=429, headers=headers)

    # --- Slack Web API -----------------------------------------------------------------------

    async def slack(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.calls[method] += 1
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        elif request.can_read_body:
            args.update(dict(await request.post()))
        if method == "conversations.open":
            if wait := self.opens.take("workspace"):
                self.limited[method] += 1
                return self._limited(wait, slack=True)
            users = sorted(str(args.get("users", "")).split(","))
            channel = "D" + users[0][1:] if len(users) == 1 else "G" + "x".join(users)
            return web.json_response({"ok": True, "channel": {"id": channel}})
        if method == "chat.postMessage":
            channel = str(args.get("channel", ""))
            # The channel's limit first: a refused call must not use up the workspace's.
            for scope, bucket, key in (
                ("channel", self.channel, channel),
                ("workspace", self.workspace, "workspace"),
            ):
                if wait := bucket.take(key):
                    self.limited[f"{method} per {scope}"] += 1
                    return self._limited(wait, slack=True)
            metadata = args.get("metadata") or {}
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            key = (metadata.get("event_payload") or {}).get("key") or f"channel:{channel}"
            self._accept(key)
            ts = f"{1700000000 + next(self._ids)}.000100"
            return web.json_response({"ok": True, "channel": channel, "ts": ts})
        if method == "auth.test":
            return web.json_response({"ok": True, "team_id": TEAM, "user_id": BOT_USER})
        if method == "users.info":
            user = str(args.get("user", ""))
            profile = {"email": f"{user.lower()}@example.com", "real_name": user}
            member = {"id": user, "team_id": TEAM, "tz": "Europe/London", "profile": profile}
            return web.json_response({"ok": True, "user": member})
        if method == "chat.postEphemeral":
            return web.json_response({"ok": True, "message_ts": "1700000000.000200"})
        if method in ("views.publish", "views.open"):
            return web.json_response({"ok": True, "view": {"id": "V0BENCH"}})
        if method == "conversations.history":
            return web.json_response({"ok": True, "messages": [], "has_more": False})
        return web.json_response({"ok": False, "error": "unknown_method"}, status=404)

    async def respond(self, request: web.Request) -> web.Response:
        """A slash command's response_url."""
        self.calls["response_url"] += 1
        await request.read()
        return web.Response(text="ok")

    # --- Bot Connector -----------------------------------------------------------------------

    async def teams_send(self, request: web.Request) -> web.Response:
        self.calls["teams.send"] += 1
        body = await request.json()
        tenant = ((body.get("channelData") or {}).get("tenant") or {}).get("id") or (
            (body.get("conversation") or {}).get("tenantId") or "default"
        )
        if wait := self.tenant.take(tenant):
            self.limited["teams.send"] += 1
            return self._limited(wait, slack=False)
        self._accept(request.match_info["conversation"])
        return web.json_response({"id": f"activity-{next(self._ids)}"}, status=201)

    async def teams_create(self, request: web.Request) -> web.Response:
        self.calls["teams.create"] += 1
        body = await request.json()
        member = ((body.get("members") or [{}])[0] or {}).get("id", "")
        return web.json_response({"id": f"a:chat-{member}", "activityId": "c1"}, status=201)

    async def stats(self, request: web.Request) -> web.Response:
        """What arrived: accepted per key, duplicates, 429s, the accept window."""
        del request
        duplicates = {k: n for k, n in self.accepted.items() if n > 1}
        return web.json_response(
            {
                "accepted": dict(self.accepted),
                "duplicates": duplicates,
                "limited": dict(self.limited),
                "calls": dict(self.calls),
                "first": self.first,
                "last": self.last,
            }
        )

    async def reset(self, request: web.Request) -> web.Response:
        """Forget what arrived (between scenarios); the limits keep their state."""
        del request
        self.accepted.clear()
        self.limited.clear()
        self.calls.clear()
        self.first = self.last = 0.0
        return web.json_response({"ok": True})

    def app(self) -> web.Application:
        """The aiohttp application serving both fakes."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self.slack)
        app.router.add_post("/respond/{name}", self.respond)
        app.router.add_post("/v3/conversations", self.teams_create)
        app.router.add_post("/v3/conversations/{conversation}/activities", self.teams_send)
        app.router.add_post("/v3/conversations/{conversation}/activities/{reply}", self.teams_send)
        app.router.add_get("/_stats", self.stats)
        app.router.add_post("/_reset", self.reset)
        return app


async def serve(args: argparse.Namespace) -> None:
    """Listen on a free loopback port until SIGTERM/SIGINT."""
    fakes = Fakes(
        channel=Bucket(args.slack_channel_rate, max(1.0, args.slack_channel_rate)),
        workspace=Bucket(args.slack_workspace_rate, max(1.0, args.slack_workspace_rate)),
        # Tier 3 tolerates short bursts; three keeps a paced client's jitter from being refused.
        opens=Bucket(args.slack_open_per_minute / 60, 3.0),
        tenant=Bucket(args.teams_tenant_rate, max(1.0, args.teams_tenant_rate)),
    )
    runner = web.AppRunner(fakes.app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    print(f"fakes listening on http://127.0.0.1:{runner.addresses[0][1]}", flush=True)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    """Parse the limits (0 = unlimited) and serve."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fakes")
    parser.add_argument("--slack-channel-rate", type=float, default=0.0)
    parser.add_argument("--slack-workspace-rate", type=float, default=0.0)
    parser.add_argument("--slack-open-per-minute", type=float, default=0.0)
    parser.add_argument("--teams-tenant-rate", type=float, default=0.0)
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
