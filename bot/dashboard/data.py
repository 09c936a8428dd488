"""Load the dashboard's figures for one running bot: storage facts → privacy rules applied."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from conversations.insights import Insights, Period, build_insights
from conversations.messages import plural
from storage.db import make_sessionmaker
from storage.insights import Insights as InsightsRepository

if TYPE_CHECKING:
    from bot.app import Mentorbot


def repository(bot: Mentorbot) -> InsightsRepository:
    """The read-only insights queries on the bot's database."""
    return InsightsRepository(make_sessionmaker(bot.db))


async def load_insights(bot: Mentorbot, period: Period | None = None) -> Insights:
    """The dashboard's figures as of the bot's clock, in the programme's time zone."""
    config = bot.settings.config
    tz = ZoneInfo(config.programme.timezone)
    now = bot.clock.now()
    today = now.astimezone(tz).date()
    # The did-you-meet goes out on the due date; a pair is late once the reminder is due too.
    answer_by = today - timedelta(days=config.programme.remind_after_days)
    data = await repository(bot).gather(today=today, answer_by=answer_by)
    return build_insights(data, k=config.privacy.min_group_size, now=now, tz=tz, period=period)


async def headline_lines(bot: Mentorbot) -> list[str]:
    """The dashboard's headline figures as extra lines for `mentorbot report`."""
    insights = await load_insights(bot)
    head, kept = insights.headline, insights.retention
    lines = [
        f"Matched: {_percent(head.match_rate)} of participants are in a pair",
        f"Meeting rate: {_percent(head.meeting_rate)} "
        f"({head.meetings_held} of {head.sessions_due} sessions due were held)",
        f"Pairs at risk: {head.at_risk} (missed sessions, unanswered check-ins, no consent yet)",
        f"Junior mentors retained: {kept.mentors_retained} of {kept.mentors}",
    ]
    queue = insights.queue
    if queue.get("failed") or insights.unreachable:
        lines.append(
            f"Delivery: {queue.get('failed', 0)} failed, "
            f"{plural(len(insights.unreachable), 'person', 'people')} the bot cannot reach "
            "(`mentorbot health` lists them)"
        )
    return lines


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"
