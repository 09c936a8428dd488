"""Send pacing and Retry-After parsing."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.teams.errors import retry_after_seconds
from adapters.teams.limits import RateLimiter


def test_the_limiter_spaces_calls_per_key_and_keeps_keys_apart() -> None:
    clock = [100.0]
    limiter = RateLimiter(7.0, now=lambda: clock[0])
    waits = [limiter.reserve("chat-a") for _ in range(8)]
    assert waits[0] == 0 and abs(waits[7] - 1.0) < 1e-9  # the 8th message waits a second
    assert limiter.reserve("chat-b") == 0
    clock[0] += 10
    assert limiter.reserve("chat-a") == 0  # an idle key starts afresh


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2027, 1, 11, 10, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("Mon, 11 Jan 2027 10:00:30 GMT", now=now) == 30.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None
