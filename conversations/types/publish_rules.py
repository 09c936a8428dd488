"""`PublishRules`: when a window of figures closes and whether it shows a value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from conversations.config import AppConfig
from conversations.types.programme_span import round_days


@dataclass(frozen=True)
class PublishRules:
    """What decides when a window closes and whether it shows a value."""

    k: int
    tz: tzinfo
    now: datetime
    grace: timedelta
    # A matching round's planned length (`round_days`): its "Could you speak openly?"
    # window closes this long plus `grace` after the round started, whatever is still open.
    round_span: timedelta | None = None

    @classmethod
    def from_config(cls, config: AppConfig, now: datetime) -> PublishRules:
        """The rules of this programme as of `now`."""
        return cls(
            k=config.privacy.min_group_size,
            tz=ZoneInfo(config.programme.timezone),
            now=now,
            grace=timedelta(days=2 * config.programme.remind_after_days),
            round_span=timedelta(days=round_days(config.programme)),
        )

    @property
    def today(self) -> date:
        """The programme's date as of `now`."""
        return self.now.astimezone(self.tz).date()
