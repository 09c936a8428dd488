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


def test_a_burst_limiter_lets_calls_go_together_and_keeps_the_rate() -> None:
    clock = [100.0]
    limiter = RateLimiter(30.0, burst=8, now=lambda: clock[0])
    waits = [limiter.reserve("tenant") for _ in range(20)]
    span = 8 / 30
    assert waits[:8] == [0.0] * 8  # the first eight go at once
    assert all(abs(w - span) < 1e-9 for w in waits[8:16])  # the next eight one window later
    assert all(abs(w - 2 * span) < 1e-9 for w in waits[16:])
    clock[0] += span + 0.01  # part of the way into the second window
    assert abs(limiter.reserve("tenant") - (2 * span - span - 0.01)) < 1e-9  # still the third
    clock[0] += 10
    assert limiter.reserve("tenant") == 0
    # Over any stretch, no more than `burst` calls per window: 30 a second.
    starts = [clock[0] + limiter.reserve("other") for _ in range(300)]
    assert sum(1 for t in starts if t < clock[0] + 1.0) <= 30 + 8


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2027, 1, 11, 10, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("Mon, 11 Jan 2027 10:00:30 GMT", now=now) == 30.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None
