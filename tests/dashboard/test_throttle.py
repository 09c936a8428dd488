"""Login throttling on the bot's clock: a handful of failures in a minute, then 429 for the
address's further failures; and the global cap on refusals written to the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.clock import SimulatedClock
from bot.dashboard.throttle import LoginThrottle, RefusalLog

T0 = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def test_five_failures_in_a_minute_make_that_address_wait() -> None:
    clock = SimulatedClock(T0)
    throttle = LoginThrottle(clock)
    tripped = []
    for _ in range(5):
        assert throttle.retry_after("10.0.0.1") is None
        tripped.append(throttle.failed("10.0.0.1"))
        clock.advance(timedelta(seconds=5))
    assert tripped == [False, False, False, False, True]  # reported once, when it trips
    assert throttle.retry_after("10.0.0.1") == 35  # the first failure leaves at 60 s
    assert throttle.retry_after("10.0.0.2") is None  # per address
    clock.advance(timedelta(seconds=35))
    assert throttle.retry_after("10.0.0.1") is None  # the window slid past the first one
    throttle.failed("10.0.0.1")
    assert throttle.retry_after("10.0.0.1") == 5


def test_failures_spread_out_never_block() -> None:
    clock = SimulatedClock(T0)
    throttle = LoginThrottle(clock)
    for _ in range(20):
        throttle.failed("10.0.0.1")
        assert throttle.retry_after("10.0.0.1") is None
        clock.advance(timedelta(seconds=15))  # four a minute: never five within 60 s


def test_a_flood_from_many_addresses_stays_bounded() -> None:
    clock = SimulatedClock(T0)
    throttle = LoginThrottle(clock, max_clients=100)
    for n in range(1_000):
        throttle.failed(f"10.0.{n // 256}.{n % 256}")
    assert len(throttle._failures) <= 100
    clock.advance(timedelta(minutes=2))
    throttle.failed("10.9.9.9")
    assert len(throttle._failures) == 1  # the stale ones went first


def test_only_failures_count_and_the_limit_is_per_address() -> None:
    """The throttle counts failures only: it never hears of a right credential, so nothing an
    attacker sends can make it refuse one (the views check the credential first)."""
    clock = SimulatedClock(T0)
    throttle = LoginThrottle(clock)
    for _ in range(5):
        throttle.failed("10.0.0.1")
    assert throttle.retry_after("10.0.0.1") == 60  # a sixth wrong one gets 429
    assert throttle.retry_after("10.0.0.2") is None


def test_refusal_log_caps_audit_rows_across_addresses_then_summarises() -> None:
    clock = SimulatedClock(T0)
    log = RefusalLog(clock, limit=20)
    written = [log.admit() for _ in range(50)]
    assert written == [True] * 20 + [False] * 30
    assert (log.total, log.unlogged) == (50, 30)
    assert not log.may_write()  # a "login throttled" note waits too
    assert log.due_summary() == 0  # the minute is not over
    clock.advance(timedelta(seconds=59))
    assert log.due_summary() == 0 and not log.admit()
    clock.advance(timedelta(seconds=1))
    # The minute is over: its 31 unwritten refusals are reported once, and writing resumes.
    assert log.due_summary() == 31
    assert log.due_summary() == 0
    assert log.admit() and (log.total, log.unlogged) == (52, 31)


def test_a_quiet_minute_leaves_no_summary() -> None:
    clock = SimulatedClock(T0)
    log = RefusalLog(clock, limit=20)
    assert all(log.admit() for _ in range(20))
    clock.advance(timedelta(minutes=5))
    assert log.due_summary() == 0 and log.admit()
