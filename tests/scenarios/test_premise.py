"""Messages never outlive their premise (issue 16), on SQLite and PostgreSQL.

A message is queued when something is decided and sent later. These scenarios change the world
in between — the junior leaves, is deactivated by a roster import, asks to be forgotten; the
senior leaves before the intro goes out; an admin publishes the round twice — and check that
nobody is told what is no longer true, that each stale message is cancelled with its reason,
and that `health` shows it.
"""

from __future__ import annotations

import io
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from adapters.console.platform import PLATFORM, TENANT
from adapters.console.sender import ConsoleSender
from bot.app import build_app
from bot.clock import SimulatedClock
from bot.roster_import import import_roster_file
from bot.settings import Settings
from bot.simulation import Simulation, button
from conversations.ports import DueWork
from conversations.texts import fmt_date
from conversations.types import (
    Identity,
    OutgoingMessage,
    Pair,
    PairStatus,
    Role,
    RosterEntry,
    actions,
)
from tests.scenarios.test_matching_round import LONDON, PEOPLE
from tests.scenarios.test_programme import PUBLISH, settings

INTRO = datetime(2027, 1, 11, 10, tzinfo=UTC)  # the start date, when early intros go out


class World:
    """The scenario roster (two seniors, three juniors: Cy is left over) with a chat each;
    nothing delivered yet."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.app = sim.app

    def got(self, email: str, kind: str) -> list[OutgoingMessage]:
        return [r.message for r in self.sim.received if r.email == email and r.message.kind == kind]

    async def pair_of(self, email: str) -> Pair:
        person = await self.app.store.person_by_email(email)
        assert person is not None
        return (await self.app.store.pairs_of(person.id))[0]

    async def cancelled(self) -> dict[str, str]:
        """Cancelled rows: idempotency key → the reason recorded."""
        rows: list[DueWork] = await self.app.store.cancelled_work(limit=100)
        return {w.idempotency_key: str(w.extra.get("last_error", "")) for w in rows}

    async def health(self) -> str:
        (reply,) = await self.sim.say("ceo@x.com", "health")
        return reply.fallback_text

    async def audit(self, action: str) -> list[str]:
        return [e.detail for e in reversed(await self.app.store.recent()) if e.action == action]


@asynccontextmanager
async def world(url: str, *, consent: bool = True, at: datetime = PUBLISH) -> AsyncIterator[World]:
    clock = SimulatedClock(at)
    chosen = settings(url)
    # These premises are about the senior's preview: the junior is not asked here
    # (tests/scenarios/test_consent.py covers both partners consenting).
    programme = chosen.config.programme.model_copy(
        update={"require_mentee_consent": consent, "require_mentor_consent": False}
    )
    config = chosen.config.model_copy(update={"programme": programme})
    chosen = Settings(config, chosen.secrets)
    async with build_app(chosen, clock=clock, rng=random.Random(5)) as app:
        await app.store.import_roster(PEOPLE, deactivate_missing=False, dry_run=False, at=at)
        for person in await app.store.all_people():
            await app.store.link_identity(Identity(person.id, PLATFORM, TENANT, person.email))
        sender = ConsoleSender(io.StringIO(), names=str, clock=clock.now)
        sender.silent = True
        app.add_sender(sender)
        yield World(Simulation(app, clock, sender))


async def test_the_junior_leaves_before_the_consent_preview_goes_out(db_url: str) -> None:
    async with world(db_url) as w:
        await w.sim.say("ceo@x.com", "match publish")  # consent is on: previews queued for now
        pair = await w.pair_of("cfo@x.com")
        assert pair.status is PairStatus.PROPOSED
        await w.sim.say("ana@x.com", "leave")  # before the delivery worker's next pass
        await w.sim.run_until(PUBLISH + timedelta(days=10))
        # Femi is never asked to accept a partner who has gone, nor reminded about it.
        assert w.got("cfo@x.com", "consent") == []
        assert w.got("cto@x.com", "consent") != []  # the other pair's preview went out
        reason = (await w.cancelled())[f"consent:{pair.id}"]
        assert reason == f"premise gone: pair {pair.id} is ended, no longer proposed"
        health = await w.health()
        assert "Latest cancelled, never sent:" in health
        assert f"deliver consent:{pair.id}: {reason}" in health
        assert ", 1 cancelled" in health.splitlines()[0]


async def test_a_roster_import_deactivates_the_junior_first(db_url: str, tmp_path: Path) -> None:
    async with world(db_url) as w:
        await w.sim.say("ceo@x.com", "match publish")
        pair = await w.pair_of("cfo@x.com")
        ana = await w.app.store.person_by_email("ana@x.com")
        assert ana is not None
        # HR's new export no longer lists Ana; the admin imports it with --deactivate-missing.
        roster = tmp_path / "roster.csv"
        rows = ["email,name,level,department,manager_email,timezone,role,teaches,learns"]
        for e in PEOPLE:
            if e.email != "ana@x.com":
                role = e.role.value if e.role else ""
                rows.append(
                    f"{e.email},{e.name},{e.level},{e.department},{e.manager_email or ''},"
                    f"{e.timezone},{role},{';'.join(e.teaches)},{';'.join(e.learns)}"
                )
        roster.write_text("\n".join(rows) + "\n")
        out = io.StringIO()
        await import_roster_file(w.app, roster, dry_run=False, deactivate_missing=True, out=out)
        assert "1 was marked inactive." in out.getvalue()
        await w.sim.run_until(PUBLISH + timedelta(days=10))
        assert w.got("cfo@x.com", "consent") == []
        assert (await w.cancelled())[f"consent:{pair.id}"] == (
            f"premise gone: person {ana.id} no longer takes part (inactive)"
        )


async def test_the_junior_asks_to_be_forgotten_first(db_url: str) -> None:
    async with world(db_url) as w:
        await w.sim.say("ceo@x.com", "match publish")
        pair = await w.pair_of("cfo@x.com")
        (ask,) = await w.sim.say("ana@x.com", "forget me")
        await w.sim.tap("ana@x.com", button(ask, actions.PRIVACY_FORGET, "confirm"))
        await w.sim.run_until(PUBLISH + timedelta(days=10))
        assert w.got("cfo@x.com", "consent") == []
        assert f"consent:{pair.id}" in await w.cancelled()
        assert "Latest cancelled, never sent:" in await w.health()


async def test_an_intro_queued_for_a_pair_that_ended_is_cancelled(db_url: str) -> None:
    async with world(db_url) as w:
        await w.sim.say("ceo@x.com", "match publish")
        await w.sim.run_until(PUBLISH + timedelta(minutes=1))
        (preview,) = w.got("cfo@x.com", "consent")
        # Femi accepts: published before the start date, the intro waits for 11 January.
        await w.sim.tap("cfo@x.com", button(preview, actions.CONSENT_ACCEPT))
        pair = await w.pair_of("cfo@x.com")
        assert pair.status is PairStatus.ACTIVE
        w.sim.clock.set(datetime(2027, 1, 8, 12, tzinfo=UTC))
        await w.sim.say("cfo@x.com", "leave")  # before the intro goes out
        await w.sim.run_until(INTRO + timedelta(days=1))
        assert w.got("ana@x.com", "intro") == [] and w.got("cfo@x.com", "intro") == []
        assert (await w.cancelled())[f"intro:{pair.id}"] == (
            f"premise gone: pair {pair.id} is ended, no longer active"
        )
        (told,) = w.got("ana@x.com", "partner_left")  # what Ana hears instead: the truth
        assert "your pairing has come to an end" in told.fallback_text


async def test_publishing_twice_tells_nobody_twice_and_says_why(db_url: str) -> None:
    async with world(db_url) as w:
        (first,) = await w.sim.say("ceo@x.com", "match publish")
        assert first.fallback_text.startswith("Published: 2 pairs, 1 unmatched")
        await w.sim.run_until(PUBLISH + timedelta(minutes=1))
        (dry,) = await w.sim.say("ceo@x.com", "match")  # a dry run promises nothing false
        assert "Left without a partner (each is told kindly when this is published, unless " in (
            dry.fallback_text
        )
        (again,) = await w.sim.say("ceo@x.com", "match publish")
        await w.sim.run_until(PUBLISH + timedelta(minutes=2))
        # One clear answer: nothing new, no round started, nobody told anything again.
        assert again.fallback_text.startswith(
            "Nothing new to publish: no new pair can be made, so no round was started; nobody "
            "was told anything new. Pair people by hand with `pair MENTOR with MENTEE`."
        )
        assert "Left without a partner (each was told before; nobody is told again):" in (
            again.fallback_text
        )
        (notice,) = w.got("cy@x.com", "unmatched")  # once, not twice
        # Nobody enrolled is within Cy's time zone: going first cannot help, so no promise.
        assert "I'll look again when the next round starts" in notice.fallback_text
        assert "first in line" not in notice.fallback_text
        assert len({pair.round for pair in await w.app.store.open_pairs()}) == 1
        assert await w.audit("match publish") == [
            "round 1: 2 pairs, 1 unmatched",
            "no new round: 0 new pairs, 1 unmatched (1 told before, not again)",
        ]
        # The second time, both mentees are taken; Cy's own obstacle is still the time zone
        # (Tokyo against London), which is what the admin reads, not "no mentee enrolled".
        assert "Cy: no mentee within 4 h of their time zone" in again.fallback_text


async def test_the_second_publish_says_the_mentees_are_taken(db_url: str) -> None:
    async with world(db_url) as w:
        await w.sim.say("ceo@x.com", "match publish")
        await w.sim.run_until(PUBLISH + timedelta(minutes=1))
        # Dee joins late, in London: every mentee who would suit her is already paired.
        await w.app.store.import_roster(
            [
                *PEOPLE,
                RosterEntry(
                    8, "dee@x.com", "Dee", 1, department="Legal", timezone=LONDON, role=Role.MENTOR
                ),
            ],
            deactivate_missing=False,
            dry_run=False,
            at=w.sim.clock.now(),
        )
        dee = await w.app.store.person_by_email("dee@x.com")
        assert dee is not None
        await w.app.store.link_identity(Identity(dee.id, PLATFORM, TENANT, dee.email))
        (again,) = await w.sim.say("ceo@x.com", "match publish")
        await w.sim.run_until(PUBLISH + timedelta(minutes=2))
        assert "Dee: every compatible mentee is already in a pair (2 would fit" in (
            again.fallback_text
        )
        (notice,) = w.got("dee@x.com", "unmatched")
        assert "every mentee who would suit you is already paired" in notice.fallback_text
        assert "reporting line" not in notice.fallback_text
        assert len(w.got("cy@x.com", "unmatched")) == 1
        # The summary says Dee was told now, not "nobody was told anything new".
        assert "no round was started; 1 person without a partner was told why." in (
            again.fallback_text
        )


async def _met_once(w: World) -> tuple[Pair, OutgoingMessage]:
    """Femi accepts Ana, the programme starts, and the first did-you-meet reaches them."""
    await w.sim.say("ceo@x.com", "match publish")
    await w.sim.run_until(PUBLISH + timedelta(minutes=1))
    (preview,) = w.got("cfo@x.com", "consent")
    await w.sim.tap("cfo@x.com", button(preview, actions.CONSENT_ACCEPT))
    pair = await w.pair_of("cfo@x.com")
    for _ in range(60):
        asked = w.got("ana@x.com", "did_you_meet")
        if asked:
            return pair, asked[0]
        await w.sim.run_until(w.sim.clock.now() + timedelta(days=1))
    raise AssertionError("no did-you-meet within 60 days")


async def test_a_pulse_queued_for_a_partner_who_then_leaves_is_cancelled(db_url: str) -> None:
    async with world(db_url) as w:
        pair, asked = await _met_once(w)
        # Ana reports "we met": her pulse comes at once, Femi's at his next delivery hour.
        await w.sim.tap("ana@x.com", button(asked, actions.MEETING_MET))
        await w.sim.run_until(w.sim.clock.now() + timedelta(minutes=1))
        assert len(w.got("ana@x.com", "pulse")) == 1
        assert w.got("cfo@x.com", "pulse") == []  # his waits for his delivery hour
        femi = await w.app.store.person_by_email("cfo@x.com")
        assert femi is not None
        await w.sim.say("cfo@x.com", "leave")  # "I won't send you anything more"
        await w.sim.run_until(w.sim.clock.now() + timedelta(days=3))
        assert w.got("cfo@x.com", "pulse") == []
        reason = (await w.cancelled())[f"pulse:{pair.id}:1:{femi.id}"]
        assert reason == f"premise gone: person {femi.id} no longer takes part (left)"


async def test_a_junior_declined_by_a_senior_is_never_told_so(db_url: str) -> None:
    async with world(db_url) as w:
        await w.sim.say("ceo@x.com", "match publish")
        await w.sim.run_until(PUBLISH + timedelta(minutes=1))
        (preview,) = w.got("cfo@x.com", "consent")
        (answer,) = await w.sim.tap("cfo@x.com", button(preview, actions.CONSENT_DECLINE))
        assert "your answer stays between you and me" in answer.fallback_text
        # Femi was the one mentee from another department Ana could have: the next publish
        # leaves her out. The admins read the precise rule; Ana reads a neutral line.
        (again,) = await w.sim.say("ceo@x.com", "match publish")
        await w.sim.run_until(PUBLISH + timedelta(minutes=2))
        assert (
            "Ana: every mentee who fits was declined or ended early before" in again.fallback_text
        )
        (notice,) = w.got("ana@x.com", "unmatched")
        text = notice.fallback_text
        assert "no mentee who fits you is free this round" in text
        assert "declined" not in text and "avoid" not in text
        assert "first in line" not in text  # going first cannot help her: no promise


async def test_nobody_hears_about_pairing_before_their_welcome(db_url: str) -> None:
    async with world(db_url) as w:
        # The roster was just imported: the welcomes wait for each person's delivery hour.
        # For Cy in Tokyo (6 pm there) that is tomorrow morning; the round is published now.
        await w.app.engine.welcome(await w.app.store.all_people())
        await w.sim.say("ceo@x.com", "match publish")
        await w.sim.run_until(PUBLISH + timedelta(days=2))
        kinds = [r.message.kind for r in w.sim.received if r.email == "cy@x.com"]
        assert kinds == ["welcome", "unmatched"]  # the notice follows the welcome
        for email in ("cfo@x.com", "cto@x.com"):
            kinds = [r.message.kind for r in w.sim.received if r.email == email]
            assert kinds.index("welcome") < kinds.index("consent")


async def test_an_intro_after_the_start_date_follows_both_welcomes(db_url: str) -> None:
    # Consent is off and the programme has started: the intro would go out at once. Published
    # at 6 am London, before the delivery hour the welcomes wait for.
    early = datetime(2027, 1, 12, 6, tzinfo=UTC)
    async with world(db_url, consent=False, at=early) as w:
        await w.app.engine.welcome(await w.app.store.all_people())
        await w.sim.say("ceo@x.com", "match publish")
        await w.sim.run_until(early + timedelta(days=1))
        for email in ("ana@x.com", "cfo@x.com"):
            got = [r for r in w.sim.received if r.email == email]
            kinds = [r.message.kind for r in got]
            assert kinds.index("welcome") < kinds.index("intro"), kinds


async def test_the_consent_reminder_never_comes_with_a_late_preview(db_url: str) -> None:
    async with world(db_url) as w:
        await w.sim.say("ceo@x.com", "match publish")
        # Nobody ran the bot for a week (`mentorbot tick --now …` jumps there): the preview
        # and the reminder planned 3 days after publishing are both due in the same tick.
        late = PUBLISH + timedelta(days=7, hours=3)
        w.sim.clock.set(late)
        await w.app.tick()
        await w.sim.run_until(late)  # collects what that tick sent
        texts = [m.fallback_text for m in w.got("cfo@x.com", "consent")]
        assert len(texts) == 1 and texts[0].startswith("Hi Femi, I'd like to pair you")
        # The reminder comes 3 days after the preview truly went out, once.
        await w.sim.run_until(late + timedelta(days=2))
        assert len(w.got("cfo@x.com", "consent")) == 1
        await w.sim.run_until(late + timedelta(days=4))
        texts = [m.fallback_text for m in w.got("cfo@x.com", "consent")]
        assert len(texts) == 2 and texts[1].startswith("A quick reminder")


async def test_a_late_did_you_meet_names_the_planned_date(db_url: str) -> None:
    async with world(db_url) as w:
        await w.sim.say("ceo@x.com", "match publish")
        await w.sim.run_until(PUBLISH + timedelta(minutes=1))
        (preview,) = w.got("cfo@x.com", "consent")
        await w.sim.tap("cfo@x.com", button(preview, actions.CONSENT_ACCEPT))
        pair = await w.pair_of("cfo@x.com")
        first = (await w.app.store.sessions_of(pair.id))[0]
        await w.sim.run_until(datetime.combine(first.due_date, time(6), UTC))
        assert w.got("ana@x.com", "did_you_meet") == []
        # Nobody ran the bot for two days: the question goes out late, and says when.
        late = datetime.combine(first.due_date + timedelta(days=2), time(12), UTC)
        w.sim.clock.set(late)
        await w.app.tick()
        await w.sim.run_until(late)
        (asked,) = w.got("ana@x.com", "did_you_meet")
        assert asked.fallback_text.startswith(
            f"*Session 1 of 6* was planned for {fmt_date(first.due_date)}. Did you meet?"
        )
        assert "today" not in asked.fallback_text


async def test_a_pause_holds_back_the_unmatched_notice(db_url: str) -> None:
    async with world(db_url) as w:
        await w.sim.say("ceo@x.com", "match publish")
        await w.sim.say("cy@x.com", "pause")  # before the worker's next pass
        await w.sim.run_until(PUBLISH + timedelta(days=2))
        assert w.got("cy@x.com", "unmatched") == []
        cy = await w.app.store.person_by_email("cy@x.com")
        assert cy is not None
        reasons = [r for r in (await w.cancelled()).values() if f"person {cy.id} " in r]
        assert reasons == [f"premise gone: person {cy.id} is paused"]


async def test_a_break_already_over_is_not_announced(db_url: str) -> None:
    async with world(db_url) as w:
        await w.sim.say("ceo@x.com", "match publish")
        await w.sim.run_until(PUBLISH + timedelta(minutes=1))
        (preview,) = w.got("cfo@x.com", "consent")
        await w.sim.tap("cfo@x.com", button(preview, actions.CONSENT_ACCEPT))
        w.sim.clock.set(PUBLISH + timedelta(hours=10))  # 7 pm: Ana hears at her next hour
        await w.sim.say("cfo@x.com", "pause")
        await w.sim.say("cfo@x.com", "resume")  # changed his mind the same evening
        await w.sim.run_until(PUBLISH + timedelta(days=2))
        assert w.got("ana@x.com", "partner_paused") == []
        femi = await w.app.store.person_by_email("cfo@x.com")
        assert femi is not None
        reasons = list((await w.cancelled()).values())
        assert f"premise gone: person {femi.id} is no longer paused" in reasons
