"""Hostile input (issue 8, "Bad input"): fuzzed payloads, HTTP abuse, bad roster files and
admin commands from non-admins. Every test here asserts the bot answers clearly or refuses
with a 4xx; none may see a 500, a traceback or a change that should not happen.

Run just this suite with `.venv/bin/python -m pytest -q tests/hostile` (about 40 s with
PostgreSQL). Longer variants, by environment variable:
- `HOSTILE_EXAMPLES=N`: hypothesis examples per pure fuzz test (default 200).
- `HOSTILE_HTTP_EXAMPLES=N`: generated requests per platform against the real server
  (default 30; 600 ran clean when this suite was written).
- `HOSTILE_ROSTER_ROWS=N`: rows in the over-the-limit roster file (default a million; it is
  refused before parsing, so it stays fast and needs no `slow` marker).
"""
