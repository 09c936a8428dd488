"""A whole six-session programme, from publish to graduation, in simulated time.

Two pairs live it differently: Ana and Femi meet every time; Bo and Tara need the safety net
(a consent reminder, a session nobody reports, one they couldn't hold, one moved). The test checks
what each person received and when, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import random
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from adapters.console.platform import PLATFORM, TENANT
from adapters.console.sender import ConsoleSender
from bot.app import Mentorbot, build_app
from bot.clock import SimulatedClock
from bot.settings import Secrets, Settings, parse_config
from bot.simulation import Received, Simulation, button
from conversations.admin.tools import report_text
from conversations.types import (
    Identity,
    OutgoingMessage,
    PairStatus,
    PublishRules,
    SessionStatus,
    ToPerson,
    actions,
)
from storage.db import make_sessionmaker
from storage.sql_aggregates import PublishedAggregates
from tests.scenarios.test_matching_round import PEOPLE

LONDON = ZoneInfo("Europe/London")
PUBLISH = datetime(2027, 1, 4, 9, tzinfo=UTC)  # a week before the start date
END = datetime(2027, 9, 1, tzinfo=UTC)
# Session k is due k × 28 days after the intro (Mon 11 Jan): all Mondays.
DUE = [date(2027, 1, 11) + timedelta(days=28 * k) for k in range(1, 7)]
SESSION_KINDS = ("prompt", "prep", "did_you_meet", "nudge")


def settings(url: str) -> Settings:
    config = parse_config(
        {
            "programme": {
                "name": "RM 2027",
                "start_date": "2027-01-11",
                "timezone": "Europe/London",
                "consent_reminder_days": 3,
            },
            "admins": ["ceo@x.com"],
        },
        source="test",
    )
    return Settings(config, Secrets(database_url=url))


class People:
    """The simulated participants: how each answers what they receive."""

    def __init__(self) -> None:
        self.pair_of: dict[str, str] = {"ana@x.com": "A", "cfo@x.com": "A"}
        self.missed_reply: OutgoingMessage | None = None
        self.pair_of |= {"bo@x.com": "B", "cto@x.com": "B"}

    async def __call__(self, sim: Simulation, got: Received) -> None:
        m, who, pair = got.message, got.email, self.pair_of.get(got.email)
        session = _session_of(m.fallback_text)
        if not m.buttons():
            return  # an acknowledgement: nothing to answer
        if m.kind == "consent" and who in ("cfo@x.com", "ana@x.com", "bo@x.com"):
            # The juniors and Femi accept at once; Tara waits for her reminder.
            await sim.tap(who, button(m, actions.CONSENT_ACCEPT), message_id=got.message_id)
        elif m.kind == "consent" and "reminder" in m.fallback_text:  # Tara answers the reminder
            await sim.tap(who, button(m, actions.CONSENT_ACCEPT), message_id=got.message_id)
        elif (
            m.kind == "did_you_meet"
            and pair == "A"
            and who == ("ana@x.com", "cfo@x.com")[session % 2]
        ):
            await sim.tap(who, button(m, actions.MEETING_MET), message_id=got.message_id)
        elif m.kind == "did_you_meet" and who == "bo@x.com":
            await self._pair_b(sim, got, session)
        elif m.kind == "pulse" and m.buttons()[0].action_id == actions.PULSE_RATE:
            await sim.tap(who, button(m, actions.PULSE_RATE, ":4"), message_id=got.message_id)
            if who == "cfo@x.com" and session == 1:
                await sim.say(who, "I'll try replacing my Monday update with a voice note")
        elif m.kind == "pulse.comment":
            await sim.tap(who, button(m, actions.PULSE_SHARE, ":yes"))
        elif m.kind == "followup":
            await sim.tap(who, button(m, actions.FOLLOWUP_TRIED, ":yes"))
        elif m.kind == "missed_reason":  # asked privately of each: a reason, never a name
            reason = ":diary" if who == "cto@x.com" else ":work"
            await sim.tap(who, button(m, actions.MISSED_REASON, reason), message_id=got.message_id)
        elif m.kind == "checkin":
            await sim.tap(who, button(m, actions.CHECKIN_ANSWER, ":good"))
        elif m.kind == "closing":
            await sim.tap(who, button(m, actions.CLOSING_ANSWER, "again:yes"))
            spoke = {"cto@x.com": "open:no", "cfo@x.com": "open:mostly"}.get(who, "open:yes")
            await sim.tap(who, button(m, actions.CLOSING_ANSWER, spoke))
        elif m.kind == "prompt" and session == 1 and (pair == "A" or who == "bo@x.com"):
            # Both of pair A agree the ground rules; in pair B only Bo does.
            await sim.tap(who, button(m, actions.GROUND_RULES_AGREE))
        elif m.kind == "prep" and who == "ana@x.com" and session % 2:
            # Ana leads: in sessions 1, 3 and 5 she picks the second topic offered.
            options = [b for b in m.buttons() if b.action_id == actions.TOPIC_CHOOSE]
            await sim.tap(who, options[1], message_id=got.message_id)

    async def _pair_b(self, sim: Simulation, got: Received, session: int) -> None:
        m = got.message
        if session == 2:
            return  # nobody answers: a nudge, then it counts as missed
        if session == 3:
            (said,) = await sim.tap(
                "cto@x.com", button(m, actions.MEETING_MISSED), message_id=got.message_id
            )
            self.missed_reply = said
        elif session == 4 and got.at.date() == DUE[3]:
            await sim.tap("bo@x.com", button(m, actions.MEETING_RESCHEDULED, ":7"))
        else:
            await sim.tap("bo@x.com", button(m, actions.MEETING_MET), message_id=got.message_id)


def _session_of(text: str) -> int:
    marker = "Session "
    if marker in text and " of 6" in text:
        return int(text.split(marker, 1)[1].split(" ", 1)[0])
    if "after session " in text:
        return int(text.split("after session ", 1)[1].split(",", 1)[0])
    return 0


async def run_programme(url: str) -> tuple[Simulation, Mentorbot]:
    clock = SimulatedClock(PUBLISH)
    async with build_app(settings(url), clock=clock, rng=random.Random(5)) as app:
        await app.store.import_roster(PEOPLE, deactivate_missing=False, dry_run=False, at=PUBLISH)
        for person in await app.store.all_people():
            await app.store.link_identity(Identity(person.id, PLATFORM, TENANT, person.email))
        sender = ConsoleSender(io.StringIO(), names=str, clock=clock.now)
        sender.silent = True
        app.add_sender(sender)
        sim = Simulation(app, clock, sender, People())
        await sim.say("ceo@x.com", "match publish")
        await sim.run_until(END)
        # Checks that need the database run here, while it is open.
        await _check_storage(app)
    return sim, app


async def _check_storage(app: Mentorbot) -> None:
    pairs = {
        (p.mentor_id, p.mentee_id): p
        for p in await app.store.pairs_of(
            (await app.store.person_by_email("ana@x.com")).id  # type: ignore[union-attr]
        )
    }
    (pair_a,) = pairs.values()
    assert pair_a.status is PairStatus.ENDED  # graduated, kept in history
    sessions = await app.store.sessions_of(pair_a.id)
    assert [s.status for s in sessions] == [SessionStatus.MET] * 6
    rules = PublishRules.from_config(app.settings.config, app.clock.now())
    # "Could you speak openly?": the round closed, so it is published once; with k = 4 its
    # four answers show as counts, never who gave which.
    aggregates = PublishedAggregates(make_sessionmaker(app.db))
    spoke = await aggregates.publish_open(replace(rules, k=4))
    assert (spoke.respondents, spoke.yes, spoke.mostly, spoke.no) == (4, 2, 1, 1)
    figures = await app.store.figures(rules)  # read back, never recomputed (k = 5 now)
    assert figures.open_respondents == 4 and figures.open_counts == (2, 1, 1)
    assert figures.private(5).open_respondents == 0  # fewer than k: not shown
    text = report_text(figures, app.settings.config)
    assert "Could speak openly: 75% (2 yes, 1 mostly, 1 not really; 4 answers)" in text
    figures = await app.store.figures(rules)
    assert figures.meetings_reported == 6 + 4  # pair B held 1, 4 (moved), 5, 6
    assert figures.active_pairs == 0
    # Both pairs have ended, so every session window has closed; four people are fewer than
    # k, so each was published as "not enough answers" and no average reaches an admin.
    assert figures.average_rating is None and figures.pulse_responses == 0
    published = await PublishedAggregates(make_sessionmaker(app.db)).publish(rules)
    assert len(published.windows) == 6 and published.hidden == 6
    again = await app.store.survey_answers(pair_a.id)
    assert set(again.values()) >= {"good", "yes"}
    # Both of pair A agreed the ground rules: who agreed is recorded, nothing else.
    assert {q for (_, q), a in again.items() if a == "agreed"} == {"ground_rules"}
    assert sum(1 for (_, q) in again if q == "ground_rules") == 2
    # Ana's three picks are the topics recorded for sessions 1, 3 and 5.
    for number in (1, 3, 5):
        pick = again[(pair_a.mentor_id, f"topic:{number}")]
        assert await app.store.session_prompt(pair_a.id, number) == pick


def _local(at: datetime) -> datetime:
    return at.astimezone(LONDON)


def _kinds(sim: Simulation, email: str) -> list[str]:
    return [r.message.kind for r in sim.received if r.email == email]


_LIVED: dict[str, tuple[Simulation, Mentorbot]] = {}


@pytest.fixture
async def lived(db_url: str, db_backend: str) -> tuple[Simulation, Mentorbot]:
    """The programme as lived on this backend: run once, read by every test below (the run
    is deterministic, so which test triggers it does not matter)."""
    if db_backend not in _LIVED:
        _LIVED[db_backend] = await run_programme(db_url)
    return _LIVED[db_backend]


async def test_a_pair_that_meets_every_time(lived: tuple[Simulation, Mentorbot]) -> None:
    sim, _ = lived
    ana = [r for r in sim.received if r.email == "ana@x.com"]
    # Intro on the start date at 10:00 London, after Femi accepted a week earlier.
    (intro,) = [r for r in ana if r.message.kind == "intro"]
    assert _local(intro.at) == datetime(2027, 1, 11, 10, tzinfo=LONDON)
    assert "First conversation: by Mon 8 Feb 2027" in intro.message.fallback_text
    for number, due in enumerate(DUE, start=1):
        label = f"Session {number} of 6"
        for kind, day in (
            ("prompt", due - timedelta(days=3)),
            ("prep", due - timedelta(days=4)),
            ("did_you_meet", due),
        ):
            # Lead messages land before a Monday session (the topic on the Friday, the junior's
            # choice of it on the Thursday), never at the weekend.
            (got,) = [r for r in ana if r.message.kind == kind and label in r.message.fallback_text]
            assert _local(got.at) == datetime.combine(day, datetime.min.time(), LONDON).replace(
                hour=10
            ), (kind, number)
    assert "prep" not in _kinds(sim, "cfo@x.com")  # the junior's prep is theirs alone
    assert "nudge" not in _kinds(sim, "ana@x.com")  # they always said they met
    counts = Counter(_kinds(sim, "ana@x.com"))
    assert counts["did_you_meet"] == 6 and counts["graduation"] == 1
    assert counts["checkin"] == 1 and counts["closing"] == 1
    assert Counter(_kinds(sim, "cfo@x.com"))["pulse"] >= 6
    # No prompt twice for a pair.
    prompts = [r.message.fallback_text for r in ana if r.message.kind == "prompt"]
    assert len(set(prompts)) == 6
    # Session 1 opens with the ground rules; Ana's picks are the topics the pair then gets,
    # and the prep note she was sent matches each topic.
    assert "stays between the two of you" in prompts[0] and "`concern`" in prompts[0]
    assert "stays between" not in prompts[1]
    picked = [n for n, text in enumerate(prompts, start=1) if "Ana picked the topic" in text]
    assert picked == [3, 5] and "a first topic Ana picked" in prompts[0]
    assert all(r.message.buttons() for r in ana if r.message.kind == "prep")
    # Femi's commitment after session 1 comes back 30 days later, at 10:00 on a working day.
    (followup,) = [r for r in sim.received if r.message.kind == "followup"]
    assert followup.email == "cfo@x.com" and "voice note" in followup.message.fallback_text
    assert _local(followup.at).hour == 10 and _local(followup.at).weekday() < 5


async def test_a_pair_that_needs_the_safety_net(lived: tuple[Simulation, Mentorbot]) -> None:
    sim, _ = lived
    tara = [r for r in sim.received if r.email == "cto@x.com"]
    # No answer to the consent preview: one reminder three days later, then she accepts.
    consents = [r for r in tara if r.message.kind == "consent" and r.message.buttons()]
    assert len(consents) == 2 and "reminder" in consents[1].message.fallback_text
    assert _local(consents[1].at) == datetime(2027, 1, 7, 10, tzinfo=LONDON)
    # Session 2 went unreported: exactly one nudge, remind_after_days (7) after it was due.
    nudges = [r for r in tara if r.message.kind == "nudge"]
    assert len(nudges) == 1 and "Session 2 of 6" in nudges[0].message.fallback_text
    assert _local(nudges[0].at).date() == DUE[1] + timedelta(days=7)
    # Session 3 called off: the pair's reply names nobody; each partner was asked privately.
    assert isinstance(sim.respond, People)
    said = sim.respond.missed_reply
    assert said is not None and not said.buttons()
    assert "ask you each privately" in said.fallback_text
    assert "Tara" not in said.fallback_text and "Bo" not in said.fallback_text
    asked = [r for r in sim.received if r.message.kind == "missed_reason"]
    assert sorted(r.email for r in asked) == ["bo@x.com", "cto@x.com"]
    assert all(isinstance(r.message.to, ToPerson) for r in asked)  # each in their own chat
    assert [b.label for b in asked[0].message.buttons()] == [
        "Diary clash",
        "Urgent work",
        "Something else",
        "Rather not say",
    ]
    # Two sessions not held: the admin hears what happened, both partners alike, no side.
    (notice,) = [r for r in sim.received if r.message.kind == "admin_notice"]
    assert notice.email == "ceo@x.com"
    text = notice.message.fallback_text
    assert "have not held 2 of their sessions" in text
    assert "Session 2 — not reported" in text
    assert "Session 3 — couldn't meet (diary clash, urgent work)" in text
    assert "mentee" not in text and "mentor" not in text and "called off" not in text
    # Session 4 moved by a week: asked again on the new date.
    asks = [
        r
        for r in tara
        if r.message.kind == "did_you_meet" and "Session 4" in r.message.fallback_text
    ]
    assert [_local(r.at).date() for r in asks] == [DUE[3], DUE[3] + timedelta(days=7)]
    assert Counter(_kinds(sim, "cto@x.com"))["graduation"] == 1


async def test_every_scheduled_message_respects_quiet_hours_and_goes_once(
    lived: tuple[Simulation, Mentorbot],
) -> None:
    sim, _ = lived
    scheduled = {
        "prompt",
        "prep",
        "did_you_meet",
        "nudge",
        "checkin",
        "closing",
        "graduation",
        "followup",
        "welcome",
    }
    for r in sim.received:
        if r.message.kind in scheduled:
            local = _local(r.at)
            assert (local.hour, local.minute, local.weekday() < 5) == (10, 0, True), r
        if r.message.kind in SESSION_KINDS:
            assert " of 6" in r.message.fallback_text  # every one names its session
    keys = [(r.email, r.message.idempotency_key) for r in sim.received if r.message.idempotency_key]
    assert len(keys) == len(set(keys))
    # Cy, left out of the round (time zone), was told and is first in line next time.
    assert _kinds(sim, "cy@x.com") == ["unmatched"]
