"""Quiet hours and working days: when a scheduled message may reach a person.

Scheduled messages go out at `delivery_hour` local time on a working day in the recipient's
zone (README.md, "Configuration"); answers to people go out at once and never pass through here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from conversations.config import WEEKDAYS, ProgrammeConfig


def zone(name: str, fallback: str) -> ZoneInfo:
    """The person's zone, or the programme's when theirs is blank or unknown."""
    for candidate in (name, fallback, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (KeyError, ValueError, OSError):
                continue
    return ZoneInfo("UTC")


def is_working_day(day: date, programme: ProgrammeConfig) -> bool:
    """True when `day` is one of the programme's working days."""
    return WEEKDAYS[day.weekday()] in programme.working_days


def next_working_day(day: date, programme: ProgrammeConfig) -> date:
    """`day` itself when it is a working day, else the next one."""
    for _ in range(7):
        if is_working_day(day, programme):
            return day
        day += timedelta(days=1)
    return day  # unreachable: the config requires at least one working day


def previous_working_day(day: date, programme: ProgrammeConfig) -> date:
    """`day` itself when it is a working day, else the working day before it."""
    for _ in range(7):
        if is_working_day(day, programme):
            return day
        day -= timedelta(days=1)
    return day  # unreachable: the config requires at least one working day


def slot_before(day: date, tz: ZoneInfo, programme: ProgrammeConfig) -> datetime:
    """The delivery moment (UTC) on the last working day up to `day`: for reminders that must
    arrive before something, not after it."""
    local = datetime.combine(
        previous_working_day(day, programme), time(programme.delivery_hour), tzinfo=tz
    )
    return local.astimezone(UTC)


def slot_on(day: date, tz: ZoneInfo, programme: ProgrammeConfig) -> datetime:
    """The delivery moment (UTC) on the first working day from `day`, in zone `tz`."""
    local = datetime.combine(
        next_working_day(day, programme), time(programme.delivery_hour), tzinfo=tz
    )
    return local.astimezone(UTC)


def next_slot(now: datetime, tz: ZoneInfo, programme: ProgrammeConfig) -> datetime:
    """The first delivery moment at or after `now` (UTC) in zone `tz`."""
    today = now.astimezone(tz).date()
    candidate = slot_on(today, tz, programme)
    if candidate >= now:
        return candidate
    return slot_on(today + timedelta(days=1), tz, programme)


def local_today(now: datetime, tz: ZoneInfo) -> date:
    """The date it is for someone in zone `tz`."""
    return now.astimezone(tz).date()
