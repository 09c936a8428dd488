"""`conversations.ports.Reports` in memory: headline figures, queue health and who cannot be
reached, as `storage.sql_reports`, `storage.sql_queue_views` and `storage.sql_unreachable`;
pulse and "spoke openly" figures published once per closed window, as
`storage.sql_aggregates` (the decisions are `conversations.insights`'s, pure, on the same
facts)."""

from __future__ import annotations

from dataclasses import replace

from conversations.insights.openness import (
    ANSWERS,
    OPEN_QUESTION,
    OpenAnswer,
    RoundState,
    added_up,
    next_closing,
    to_publish,
)
from conversations.insights.windows import (
    PublishedPulse,
    late_answers,
    order_windows,
    published_comments,
    windows_to_publish,
)
from conversations.ports import DueWork
from conversations.types import (
    PublishRules,
    PulseFact,
    ReportFigures,
    RoundSession,
    SpokeOpenly,
    Status,
    Unreachable,
)
from storage.sql_unreachable import CONSOLE, display_name
from tests.inmemory.queue import CANCELLED, FAILED, STATUSES, due_work
from tests.inmemory.tables import Tables

_PARTICIPATING = (Status.ENROLLED, Status.PAUSED)


class FakeReports(Tables):
    """Aggregate figures for admins."""

    async def figures(self, rules: PublishRules | None = None) -> ReportFigures:
        """The headline figures; pulse figures only from windows published under `rules`."""
        participants = [p for p in self.people.values() if p.status in _PARTICIPATING]
        roles: dict[str, int] = {}
        for p in participants:
            key = p.role.value if p.role else "none"
            roles[key] = roles.get(key, 0) + 1
        pulse = self._publish(rules) if rules else None
        spoke = self._publish_open(rules) if rules else None
        return ReportFigures(
            participants=len(participants),
            active_pairs=sum(1 for p in self.pairs.values() if p.status.value == "active"),
            messages_sent=len(self.rows("deliver", "done")),
            meetings_reported=sum(1 for s in self.sessions.values() if s.status.value == "met"),
            pulse_responses=pulse.answers if pulse else 0,
            average_rating=pulse.average if pulse else None,
            raters=(pulse.overall.respondents or 0) if pulse else 0,
            late_answers=pulse.late if pulse else 0,
            open_respondents=spoke.respondents if spoke else 0,
            open_counts=(spoke.yes, spoke.mostly, spoke.no) if spoke else (0, 0, 0),
            open_hidden=spoke.hidden if spoke else 0,
            open_closes=spoke.closes if spoke else None,
            by_role=roles,
            delivery=await self.queue_counts(),
        )

    async def queue_counts(self) -> dict[str, int]:
        """Queue rows by status, every status listed."""
        counts = dict.fromkeys(STATUSES, 0)
        for w in self.work.values():
            counts[w.status] += 1
        return counts

    async def failed_work(self, limit: int = 50) -> list[DueWork]:
        """Rows that failed for good, latest first."""
        return self._ended(FAILED, limit)

    async def cancelled_work(self, limit: int = 50) -> list[DueWork]:
        """Rows cancelled, latest first."""
        return self._ended(CANCELLED, limit)

    def _ended(self, status: str, limit: int) -> list[DueWork]:
        rows = sorted(self.rows(status=status), key=lambda w: (w.done_at, w.id), reverse=True)
        return [due_work(w, with_outcome=True) for w in rows[:limit]]

    async def unreachable(self) -> tuple[Unreachable, ...]:
        """Who the platform refused, then participants with no account the deployment
        delivers on (nobody for that reason when the console delivers)."""
        people = [self.people[k] for k in sorted(self.people)]
        found = [
            Unreachable(
                display_name(p.name, p.email), "the platform says the bot cannot reach them"
            )
            for p in people
            if p.status is Status.UNREACHABLE
        ]
        if self.delivering is not None and CONSOLE in self.delivering:
            return tuple(found)
        linked = {
            i.person_id
            for i in self.identities
            if self.delivering is None or i.platform in self.delivering
        }
        found += [
            Unreachable(display_name(p.name, p.email), "no Slack or Teams account linked")
            for p in people
            if p.status in _PARTICIPATING and p.id not in linked
        ]
        return tuple(found)

    # --- published windows (storage.sql_aggregates) ------------------------------------------

    def _pulse_facts(self) -> list[PulseFact]:
        facts = []
        for row in self.pulses.values():
            topics = [
                d for d in self.deliveries if (d.pair_id, d.session) == (row.pair_id, row.session)
            ]
            topics.sort(key=lambda d: (d.delivered_at, d.id))
            pair = self.pairs.get(row.pair_id)
            facts.append(
                PulseFact(
                    row.person_id,
                    row.side,
                    row.rating,
                    True,
                    row.created_at,
                    self.prompts[topics[0].prompt_id].track if topics else None,
                    row.session,
                    pair.round if pair else None,
                    row.changed_at,
                    row.comment if row.comment_consent else None,
                    row.comment_at,
                )
            )
        return facts

    def _round_sessions(self) -> list[RoundSession]:
        found = []
        for pair in self.pairs.values():
            if pair.round is None:
                continue
            sessions = [s for k, s in sorted(self.sessions.items()) if k[0] == pair.id]
            found += [
                RoundSession(
                    pair.id, pair.round, pair.status.value, s.number, s.status.value, s.due_date
                )
                for s in sessions
            ] or [RoundSession(pair.id, pair.round, pair.status.value, None, None, None)]
        return found

    def _publish(self, rules: PublishRules) -> PublishedPulse:
        pulses = self._pulse_facts()
        fresh = windows_to_publish(pulses, self._round_sessions(), list(self.published), rules)
        for window in fresh:
            sides = sorted(
                window.sides, key=lambda f: (f.label == "other", -(f.respondents or 0), f.label)
            )
            self.published.setdefault(window.key, replace(window, sides=tuple(sides)))
        windows = order_windows(self.published.values())
        at = {w.key: w.published_at for w in windows}
        return PublishedPulse(
            rules.k,
            windows,
            late_answers(pulses, at, rules.tz),
            published_comments(pulses, windows, rules.tz),
        )

    def _open_facts(self) -> tuple[list[OpenAnswer], list[RoundState]]:
        answers = [
            OpenAnswer(
                person_id,
                self.pairs[pair_id].round if pair_id in self.pairs else None,
                answer,
                created,
            )
            for (person_id, pair_id, question), (answer, _, created) in self.surveys.items()
            if question == OPEN_QUESTION
        ]
        rounds = []
        for number, started in enumerate(self.cycles, start=1):
            pairs = [p for p in self.pairs.values() if p.round == number]
            if pairs:
                ended = [p.ended_at for p in pairs if p.ended_at is not None]
                running = any(p.status.open for p in pairs)
                rounds.append(RoundState(number, running, max(ended, default=None), started))
        return answers, rounds

    def _publish_open(self, rules: PublishRules) -> SpokeOpenly:
        answers, rounds = self._open_facts()
        fresh = to_publish(answers, rounds, list(self.published_open), rules)
        for window in fresh:
            counts = window.counts
            if counts is not None:
                counts = {a: counts.get(a, 0) for a in ANSWERS}
            self.published_open.setdefault(
                (window.kind, window.period), replace(window, counts=counts)
            )
        published = list(self.published_open.values())
        closes = next_closing(answers, rounds, list(self.published_open), rules)
        return replace(added_up(published, answers, rules), closes=closes)
