"""Headline figures for `mentorbot report`, the chat report and the Slack home tab."""

from __future__ import annotations

from sqlalchemy import func, select

from conversations.ports import DELIVER
from conversations.types import PublishRules, ReportFigures, Status, Unreachable
from storage.base import Repository
from storage.models import DueWorkRow, PairRow, PersonRow, SessionRow
from storage.sql_aggregates import PublishedAggregates
from storage.sql_queue import DONE, STATUSES
from storage.sql_unreachable import unreachable_people

_PARTICIPATING = (Status.ENROLLED.value, Status.PAUSED.value)
# Outgoing messages are queued as due_work of this kind; a sent message is a row done.


class Reports(Repository):
    """`conversations.ports.Reports`."""

    async def figures(self, rules: PublishRules | None = None) -> ReportFigures:
        """The headline figures; zeros (and no average) before anything happened.

        `messages_sent` counts due_work rows of kind 'deliver' that are done;
        `meetings_reported` counts sessions reported held, once each whoever reported. The
        pulse figures (`pulse_responses`, `average_rating`, `raters`, `late_answers`) come only
        from published windows (`storage.sql_aggregates`), publishing what closed as of
        `rules.now`; without `rules` they stay empty. So do the "Could you speak openly?"
        figures (`open_respondents`, `open_counts`), published the same way per closed round.
        """
        count = func.count
        scalars = select(
            select(count())
            .select_from(PersonRow)
            .where(PersonRow.status.in_(_PARTICIPATING))
            .scalar_subquery(),
            select(count())
            .select_from(PairRow)
            .where(PairRow.status == "active")
            .scalar_subquery(),
            select(count())
            .select_from(DueWorkRow)
            .where(DueWorkRow.kind == DELIVER, DueWorkRow.status == DONE)
            .scalar_subquery(),
            select(count())
            .select_from(SessionRow)
            .where(SessionRow.met.is_(True))
            .scalar_subquery(),
        )
        by_role = (
            select(PersonRow.role, count())
            .where(PersonRow.status.in_(_PARTICIPATING))
            .group_by(PersonRow.role)
        )
        delivery = select(DueWorkRow.status, count()).group_by(DueWorkRow.status)
        async with self._sessions() as session:
            row = (await session.execute(scalars)).one()
            participants, pairs, sent, met = row
            roles = {role or "none": int(n) for role, n in await session.execute(by_role)}
            counts = dict.fromkeys(STATUSES, 0)
            counts.update({status: int(n) for status, n in await session.execute(delivery)})
        published = PublishedAggregates(self._sessions)
        pulse = await published.publish(rules) if rules else None
        spoke = await published.publish_open(rules) if rules else None
        return ReportFigures(
            participants=int(participants),
            active_pairs=int(pairs),
            messages_sent=int(sent),
            meetings_reported=int(met),
            pulse_responses=pulse.answers if pulse else 0,
            average_rating=pulse.average if pulse else None,
            raters=(pulse.overall.respondents or 0) if pulse else 0,
            late_answers=pulse.late if pulse else 0,
            open_respondents=spoke.respondents if spoke else 0,
            open_counts=(spoke.yes, spoke.mostly, spoke.no) if spoke else (0, 0, 0),
            open_hidden=spoke.hidden if spoke else 0,
            open_closes=spoke.closes if spoke else None,
            by_role=roles,
            delivery=counts,
        )

    async def unreachable(self) -> tuple[Unreachable, ...]:
        """Everyone the bot cannot message, with why
        (`storage.sql_unreachable.unreachable_people`)."""
        async with self._sessions() as session:
            return await unreachable_people(session, self.delivering)
