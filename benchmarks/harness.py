"""Shared plumbing for the load benchmarks: a scratch PostgreSQL database, child processes
that announce their URL on stdout, and percentiles.

Everything binds to 127.0.0.1: the benchmarks never send traffic off the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence

import asyncpg
from sqlalchemy.engine import make_url

# The server the benchmarks create their scratch databases on (its database name is ignored).
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def server_dsn() -> str:
    """BENCH_DATABASE_URL, else TEST_DATABASE_URL, else the local trust server."""
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    return url or DEFAULT_SERVER


@contextlib.asynccontextmanager
async def scratch_database(prefix: str) -> AsyncIterator[str]:
    """Create an empty database for one benchmark run; yields its SQLAlchemy URL; drops it."""
    server = make_url(server_dsn()).set(drivername="postgresql", database="postgres")
    dsn = server.render_as_string(hide_password=False)
    name = f"bench_{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        connection = await asyncpg.connect(dsn)
        try:
            # FORCE: a child process killed mid-run may still hold connections.
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()


async def checkpoint(url: str) -> None:
    """Write out what seeding left in PostgreSQL's buffers before a timed run starts, so the
    checkpoint it would cause does not land in the run (a no-op without the right to)."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute("CHECKPOINT")
    except asyncpg.InsufficientPrivilegeError:
        pass  # not a superuser (or pg_checkpoint): the run shares the machine with it
    finally:
        await connection.close()


def asyncpg_dsn(url: str) -> str:
    """A SQLAlchemy URL as plain libpq DSN for asyncpg."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextlib.asynccontextmanager
async def child(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    ready: bytes = b"listening on",
) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    """Start `python ARGS`, wait for the line containing `ready`; yields (process, URL).

    The URL is the line's last word. SIGTERM at the end, SIGKILL if it does not stop.
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        line = b""
        while ready not in line:
            line = await asyncio.wait_for(process.stdout.readline(), timeout=120)
            if not line:
                raise RuntimeError(f"{' '.join(args)} exited before it was ready")
        yield process, line.decode().rsplit(" ", 1)[1].strip()
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=30)
            except TimeoutError:
                process.kill()
                await process.wait()


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (no interpolation: a p99 is a latency someone saw)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(-(-fraction * len(ordered) // 1)) - 1))
    return ordered[rank]


def verdict(met: bool) -> str:
    """How a goal is shown next to a figure."""
    return "met" if met else "MISSED"
