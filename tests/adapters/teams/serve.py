"""Run the real `mentorbot serve` for the HTTP-level Teams tests (`tests.serving`), with the
Teams pilot's app.yaml."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

from tests.serving import Served
from tests.serving import serve as serve_process

APP_YAML = """programme:
  name: Teams Pilot
  start_date: 2024-01-08
admins: [maya@example.com]
"""


@contextlib.asynccontextmanager
async def serve(workdir: Path, db_url: str, env: Mapping[str, str]) -> AsyncIterator[Served]:
    """`mentorbot serve` with the Teams pilot's configuration in `workdir`."""
    (workdir / "app.yaml").write_text(APP_YAML)
    async with serve_process(workdir, db_url, env) as served:
        yield served
