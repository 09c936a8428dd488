"""What a chat platform is to the server: a `PlatformPlugin`, built by `bot/<platform>.py`.

In a module of its own so that `bot/platforms.py` (which picks the configured platforms) can
import each platform's wiring at the top and the wiring needs nothing back from it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from aiohttp import web

from conversations.ports import Sender

Route = tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]]


@dataclass
class PlatformPlugin:
    """One configured platform: how it sends, and what it adds to `mentorbot serve`."""

    name: str
    sender: Sender
    routes: Sequence[Route] = ()  # (method, path, handler)
    start: Callable[[], Awaitable[None]] | None = None  # e.g. connect Socket Mode
    stop: Callable[[], Awaitable[None]] | None = None
    # Housekeeping run at every tick before delivery (e.g. finding roster people on Slack).
    tick: Callable[[], Awaitable[None]] | None = None
    # Extra /metrics lines (Prometheus text format), read at each scrape.
    metrics: Callable[[], Sequence[str]] | None = None
    extra: dict[str, object] = field(default_factory=dict)
