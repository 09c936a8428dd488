"""Run the real `mentorbot serve` for the HTTP-level Teams tests, keeping its log."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

APP_YAML = """programme:
  name: Teams Pilot
  start_date: 2024-01-08
admins: [maya@example.com]
"""
# Nothing in the parent's environment may switch on another platform or real credentials.
CLEARED = (
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "MICROSOFT_APP_ID",
    "MICROSOFT_APP_PASSWORD",
    "MICROSOFT_APP_TENANT_ID",
    "MICROSOFT_APP_TYPE",
    "TEAMS_DEV_MODE",
    "MENTORBOT_CONFIG",
)


@dataclass
class Served:
    """The running server: its base URL and what it has logged so far."""

    url: str
    log: list[str] = field(default_factory=list)

    @property
    def log_text(self) -> str:
        return "".join(self.log)


@contextlib.asynccontextmanager
async def serve(workdir: Path, db_url: str, env: Mapping[str, str]) -> AsyncIterator[Served]:
    """Start `mentorbot serve` on a free port; its stderr is drained into `Served.log`.

    Draining matters: a child whose stderr pipe fills up blocks on its next log line.
    """
    (workdir / "app.yaml").write_text(APP_YAML)
    environment = {k: v for k, v in os.environ.items() if k not in CLEARED}
    environment.update(
        {
            "DATABASE_URL": db_url,
            "HOST": "127.0.0.1",
            "PORT": "0",
            "NO_PROXY": "127.0.0.1,localhost",  # requests must not send the fake to a proxy
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
    served = Served("")

    async def drain(stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            served.log.append(line.decode(errors="replace"))

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
                log = served.log_text
                raise AssertionError(f"serve ignored SIGTERM for 30 s:\n{log}") from None
        await errors
        if outputs is not None:
            await outputs
    assert process.returncode == 0, served.log_text
