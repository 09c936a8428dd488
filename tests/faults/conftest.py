"""Fixtures of the fault tests: a private PostgreSQL server the tests may stop and start.

Never the shared server on 127.0.0.1:5432 (TEST_DATABASE_URL): other tests use it at the same
time. The private one lives in a temporary directory, on a free port, and is removed after.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"


def _pg_bin() -> Path | None:
    found = [Path(p) for p in glob.glob(PG_BIN_GLOB) if (Path(p) / "initdb").exists()]
    # The newest major version (directory names are numbers).
    found.sort(key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    return found[-1] if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PrivatePostgres:
    """A PostgreSQL server of our own: `url`, and `stop()` / `start()` to fail it."""

    bin: Path
    data: Path
    sockets: Path
    port: int
    run_as: list[str]  # ["runuser", "-u", "postgres", "--"] when we are root

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *args: str) -> list[str]:
        return [*self.run_as, str(self.bin / "pg_ctl"), "-D", str(self.data), *args]

    def _start_args(self) -> list[str]:
        options = (
            f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        return self._pg_ctl("-o", options, "-l", str(self.data.parent / "server.log"), "-w")

    async def _run(self, command: list[str]) -> None:
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        out, _ = await process.communicate()
        assert process.returncode == 0, out.decode()

    async def stop(self, mode: str = "fast") -> None:
        """Stop the server (`fast` ends sessions; `immediate` is a crash)."""
        await self._run(self._pg_ctl("stop", "-m", mode, "-w"))

    async def start(self) -> None:
        """Start it again on the same port; returns when it accepts connections."""
        await self._run([*self._start_args(), "start"])


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """A fresh PostgreSQL cluster on a free port, removed after the test.

    Skipped when PostgreSQL's server binaries are missing, unless CI=true (.ci/run installs them).
    """
    bin_dir = _pg_bin()
    if bin_dir is None:
        message = f"no PostgreSQL server binaries under {PG_BIN_GLOB}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true requires the fault tests to run, but {message}")
        pytest.skip(message)
    root = Path(tempfile.mkdtemp(prefix="mentorbot-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        run_as = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres", "postgres")
    server = PrivatePostgres(bin_dir, root / "data", root, _free_port(), run_as)
    try:
        subprocess.run(
            [*run_as, str(bin_dir / "initdb"), "-D", str(server.data), "-A", "trust",
             "-U", "postgres", "--no-sync", "-E", "UTF8"],
            check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run([*server._start_args(), "start"], check=True, capture_output=True)
        yield server
    finally:
        if (server.data / "postmaster.pid").exists():
            subprocess.run(server._pg_ctl("stop", "-m", "immediate", "-w"), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
