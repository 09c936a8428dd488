"""The real `mentorbot serve` as a subprocess for tests: one launcher for every suite.

It starts on a free port (PORT=0, read from the "listening on" line), drains stdout and stderr
while it runs (a full pipe would block the server on its next log line) and keeps the log, so
a test can assert that no request left a traceback behind. At the end it SIGTERMs the server,
kills it if it ignores that for 30 s, and checks it exited cleanly — unless the test killed it.
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

# Nothing in the parent's environment may switch on a platform, real credentials or another
# configuration: each test says exactly what it wants.
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
    "TEAMS_ALLOWED_TENANTS",
    "TEAMS_ALLOWED_SERVICE_URLS",
    "TEAMS_OPENID_METADATA_URL",
    "MENTORBOT_CONFIG",
    "MENTORBOT_ADMIN_TOKEN",
)
STARTUP = 60.0  # seconds; a loaded CI machine is slow to import everything


@dataclass
class Served:
    """The running server: base URL, its process, and its log so far."""

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


@contextlib.asynccontextmanager
async def serve(
    workdir: Path, db_url: str, env: Mapping[str, str] | None = None
) -> AsyncIterator[Served]:
    """Start `mentorbot serve` (with workdir/app.yaml) on a free port; stop it afterwards."""
    environment = {k: v for k, v in os.environ.items() if k not in CLEARED}
    environment.update(
        {
            "DATABASE_URL": db_url,
            "HOST": "127.0.0.1",
            "PORT": "0",
            "NO_PROXY": "127.0.0.1,localhost",  # clients must not send the fakes to a proxy
            "no_proxy": "127.0.0.1,localhost",
            **(env or {}),
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
    stopped_by_us = False
    try:
        line = b""
        while b"listening on" not in line:
            line = await asyncio.wait_for(process.stdout.readline(), timeout=STARTUP)
            if not line:
                await process.wait()
                await errors
                raise AssertionError(f"serve exited early:\n{served.log_text}")
            served.log.append(line.decode(errors="replace"))  # what it said while starting
        served.url = line.decode().rsplit(" ", 1)[1].strip()
        outputs = asyncio.create_task(drain(process.stdout))
        yield served
    finally:
        if process.returncode is None:
            stopped_by_us = True
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=30)
            except TimeoutError:
                process.kill()
                await process.wait()
                await errors
                raise AssertionError(
                    f"serve ignored SIGTERM for 30 s:\n{served.log_text}"
                ) from None
        await errors
        if outputs is not None:
            await outputs
    if stopped_by_us:
        assert process.returncode == 0, served.log_text
