"""The real `mentorbot serve` with Slack and Teams (dev mode) both on, its log kept.

Unlike `tests.fakes.start_server`, the log is drained while the server runs, so a test can
assert that no request left a traceback behind (a 200 that hid a crash still fails).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from tests.adapters.slack.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.adapters.slack.fake_slack import FakeSlack

CLEARED = (
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_API_URL",
    "MICROSOFT_APP_ID",
    "MICROSOFT_APP_PASSWORD",
    "MICROSOFT_APP_TENANT_ID",
    "MICROSOFT_APP_TYPE",
    "TEAMS_DEV_MODE",
    "MENTORBOT_CONFIG",
    "MENTORBOT_ADMIN_TOKEN",
)


@dataclass
class Served:
    """The running server: base URL, its log so far, and whether it is still up."""

    url: str
    process: asyncio.subprocess.Process
    log: list[str] = field(default_factory=list)

    @property
    def log_text(self) -> str:
        return "".join(self.log)

    async def alive(self, http: aiohttp.ClientSession) -> bool:
        """True when the process runs and answers /healthz with 200."""
        if self.process.returncode is not None:
            return False
        async with http.get(f"{self.url}/healthz") as response:
            return response.status == 200


def both_platforms(fake: FakeSlack, **extra: str) -> dict[str, str]:
    """Slack pointed at the fake Web API, and Teams accepting unauthenticated (dev) traffic."""
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "TEAMS_DEV_MODE": "1",
        **extra,
    }


@contextlib.asynccontextmanager
async def serve(workdir: Path, db_url: str, env: Mapping[str, str]) -> AsyncIterator[Served]:
    """Start `mentorbot serve` (workdir/app.yaml) on a free port; SIGTERM it afterwards."""
    environment = {k: v for k, v in os.environ.items() if k not in CLEARED}
    environment.update(
        {
            "DATABASE_URL": db_url,
            "HOST": "127.0.0.1",
            "PORT": "0",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            **env,
        }
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--config",
        str(workdir / "app.yaml"),
        "serve",
        cwd=workdir,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    served = Served("", process)

    async def drain(stream: asyncio.StreamReader) -> None:
        # Chunks, not readline(): a hostile body logged whole makes a line past readline's
        # 64 KiB limit, and a reader that stops would block the server on its next log line.
        while chunk := await stream.read(65536):
            served.log.append(chunk.decode(errors="replace"))

    errors = asyncio.create_task(drain(process.stderr))
    outputs: asyncio.Task[None] | None = None
    try:
        line = b""
        while b"listening on" not in line:
            line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
            if not line:
                await process.wait()
                await errors
                raise AssertionError(f"serve exited early:\n{served.log_text}")
        served.url = line.decode().rsplit(" ", 1)[1].strip()
        outputs = asyncio.create_task(drain(process.stdout))
        yield served
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=30)
            except TimeoutError:
                process.kill()
                await process.wait()
        await errors
        if outputs is not None:
            await outputs
    assert process.returncode == 0, served.log_text
