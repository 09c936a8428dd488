"""Run the real `mentorbot serve` for the HTTP-level Teams tests (`tests.serving`), with the
Teams pilot's app.yaml."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

from tests.serving import Served
from tests.serving import serve as serve_process

# Only the senior is asked to consent here (these tests are about other things);
# `BOTH_CONSENT` asks the junior too, as the shipped default does.
APP_YAML = """programme:
  name: Teams Pilot
  start_date: 2024-01-08
  require_mentor_consent: false
admins: [maya@example.com]
"""
BOTH_CONSENT = APP_YAML.replace("  require_mentor_consent: false\n", "")


@contextlib.asynccontextmanager
async def serve(
    workdir: Path, db_url: str, env: Mapping[str, str], *, config: str = APP_YAML
) -> AsyncIterator[Served]:
    """`mentorbot serve` with the Teams pilot's configuration (or `config`) in `workdir`."""
    (workdir / "app.yaml").write_text(config)
    async with serve_process(workdir, db_url, env) as served:
        yield served
