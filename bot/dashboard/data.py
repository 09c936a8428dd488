"""Load the dashboard's figures for one running bot: storage facts → privacy rules applied."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from conversations.insights.summary import Insights, Period, build_insights
from conversations.insights.windows import PublishedPulse
from conversations.texts import plural
from conversations.types import PublishRules
from storage.sql_aggregates import PublishedAggregates
from storage.sql_insights import InsightQueries

if TYPE_CHECKING:
    from bot.app import Mentorbot


def repository(bot: Mentorbot) -> InsightQueries:
    """The read-only insights queries on the bot's database."""
    return InsightQueries(bot.sessions, delivering=bot.store.delivering)


async def published_pulse(bot: Mentorbot, rules: PublishRules | None = None) -> PublishedPulse:
    """The pulse windows published as of the bot's clock (publishing any that just closed)."""
    rules = rules or PublishRules.from_config(bot.settings.config, bot.clock.now())
    return await PublishedAggregates(bot.sessions).publish(rules)


async def load_insights(bot: Mentorbot, period: Period | None = None) -> Insights:
    """The dashboard's figures as of the bot's clock, in the programme's time zone.

    `period` is accepted for old `?period=` links and ignored: the pulse trend is per published
    window (a round's session, or a month for pairs made by hand), never per week.
    """
    del period
    config = bot.settings.config
    now = bot.clock.now()
    rules = PublishRules.from_config(config, now)
    today = rules.today
    # The did-you-meet goes out on the due date; a pair is late once the reminder is due too.
    answer_by = today - timedelta(days=config.programme.remind_after_days)
    data = await repository(bot).gather(today=today, answer_by=answer_by)
    published = await published_pulse(bot, rules)
    spoke = await PublishedAggregates(bot.sessions).publish_open(rules)
    return build_insights(data, published, k=rules.k, now=now, spoke_openly=spoke)


async def headline_lines(bot: Mentorbot) -> list[str]:
    """The dashboard's headline figures as extra lines for `mentorbot report`."""
    insights = await load_insights(bot)
    head, kept = insights.headline, insights.retention
    lines = [
        f"Matched: {_percent(head.match_rate)} of participants are in a pair",
        f"Meeting rate: {_percent(head.meeting_rate)} "
        f"({head.meetings_held} of {head.sessions_due} sessions due were held)",
        f"Pairs at risk: {head.at_risk} (sessions not held, unanswered check-ins, no consent yet)",
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
