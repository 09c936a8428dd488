"""Fault tests (issue 8): real processes and PostgreSQL under crashes, outages and storms.

- test_slack_sigkill: `mentorbot serve` SIGKILLed mid-batch on Slack, then restarted: nothing
  lost, nothing doubled (the metadata look-up finds the post the kill left unrecorded).
- test_postgres_restart: a private PostgreSQL server stopped and started under load: /healthz
  503 then 200, every message delivered exactly once.
- test_platform_storms: 500s then 429 storms with Retry-After, in simulated time in-process and
  for a few seconds against the real `serve`; `MENTORBOT_LONG_TESTS=1` adds a real-time variant
  of about two minutes.
- test_two_processes_programme: two instances on one database live a whole programme through
  Slack; every message once, the same as one instance alone.

The shared test server (TEST_DATABASE_URL) is never stopped: the restart test uses its own.
"""
