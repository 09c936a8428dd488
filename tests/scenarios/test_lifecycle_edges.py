"""The programme when life happens: pauses, leaving, unreachable people, admin prompts, and
the privacy of the pulse. On SQLite and PostgreSQL."""

from __future__ import annotations

import io
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta

from adapters.console.platform import PLATFORM, TENANT
from adapters.console.sender import ConsoleSender
from bot.app import Mentorbot, build_app
from bot.clock import SimulatedClock
from bot.simulation import Simulation, button
from conversations.ports import SendFailed
from conversations.types import (
    Address,
    Button,
    Delivery,
    Identity,
    Image,
    Link,
    OutgoingMessage,
    Pair,
    PairStatus,
    Status,
    actions,
)
from tests.fakes import FakeLinks
from tests.scenarios.test_matching_round import PEOPLE
from tests.scenarios.test_programme import PUBLISH, settings

INTRO = datetime(2027, 1, 11, 10, tzinfo=UTC)


class Harness:
    """A published, accepted round (Ana–Femi, Bo–Tara) ready to live through."""

    def __init__(self, app: Mentorbot, clock: SimulatedClock, sender: ConsoleSender) -> None:
        self.app, self.clock, self.sender = app, clock, sender
        self.sim = Simulation(app, clock, sender)

    async def start(self) -> None:
        await self.sim.say("ceo@x.com", "match publish")
        await self.sim.run_until(PUBLISH + timedelta(minutes=1))
        for pair in await self.app.store.open_pairs():
            for person_id in (pair.mentee_id, pair.mentor_id):  # both partners say yes
                person = await self.app.store.get_person(person_id)
                assert person is not None
                await self.sim.tap(person.email, _consent(pair.id))
        await self.sim.run_until(INTRO + timedelta(minutes=1))

    def got(self, email: str, kind: str) -> list[OutgoingMessage]:
        return [r.message for r in self.sim.received if r.email == email and r.message.kind == kind]

    async def pair_of(self, email: str) -> Pair:
        person = await self.app.store.person_by_email(email)
        assert person is not None
        return (await self.app.store.pairs_of(person.id))[0]


def _consent(pair_id: int) -> Button:
    return Button("Accept", actions.CONSENT_ACCEPT, str(pair_id))


@asynccontextmanager
async def harness(
    url: str, sender_class: type[ConsoleSender] = ConsoleSender
) -> AsyncIterator[Harness]:
    clock = SimulatedClock(PUBLISH)
    async with build_app(settings(url), clock=clock, rng=random.Random(5)) as app:
        await app.store.import_roster(PEOPLE, deactivate_missing=False, dry_run=False, at=PUBLISH)
        for person in await app.store.all_people():
            await app.store.link_identity(Identity(person.id, PLATFORM, TENANT, person.email))
        sender = sender_class(io.StringIO(), names=str, clock=clock.now)
        sender.silent = True
        app.add_sender(sender)
        h = Harness(app, clock, sender)
        await h.start()
        yield h


async def test_a_pause_shifts_the_pairs_sessions_and_tells_the_partner(db_url: str) -> None:
    async with harness(db_url) as h:
        pair = await h.pair_of("ana@x.com")
        before = [s.due_date for s in await h.app.store.sessions_of(pair.id)]
        h.clock.set(datetime(2027, 2, 1, 12, tzinfo=UTC))
        await h.sim.say("ana@x.com", "pause until 2027-02-15")
        await h.sim.run_until(datetime(2027, 2, 2, 12, tzinfo=UTC))
        (told,) = h.got("cfo@x.com", "partner_paused")
        assert "Ana is taking a short break until Mon 15 Feb 2027" in told.fallback_text
        # Session 1 (due 8 Feb) falls in the pause: nothing is asked while Ana is away.
        await h.sim.run_until(datetime(2027, 2, 14, tzinfo=UTC))
        assert h.got("cfo@x.com", "did_you_meet") == []
        await h.sim.run_until(datetime(2027, 2, 15, 11, tzinfo=UTC))  # the pause ends at 10:00
        after = [s.due_date for s in await h.app.store.sessions_of(pair.id)]
        assert after == [d + timedelta(days=14) for d in before]  # 1 Feb → 15 Feb
        await h.sim.run_until(datetime(2027, 2, 23, tzinfo=UTC))
        (asked,) = h.got("cfo@x.com", "did_you_meet")
        assert "Session 1 of 6" in asked.fallback_text
        assert [r.at.date() for r in h.sim.received if r.message is asked] == [date(2027, 2, 22)]


async def test_leaving_ends_the_pair_kindly_and_puts_the_partner_first(db_url: str) -> None:
    async with harness(db_url) as h:
        h.clock.set(datetime(2027, 1, 20, 15, tzinfo=UTC))
        await h.sim.say("cto@x.com", "leave")
        await h.sim.run_until(datetime(2027, 1, 22, tzinfo=UTC))
        (told,) = h.got("bo@x.com", "partner_left")
        # Blame-free, the same words as `end pairing`; Tara is the senior, so Bo goes first
        # (without the note promising it: a held partner gets the same words).
        assert "your pairing has come to an end" in told.fallback_text
        assert "nobody's fault" in told.fallback_text
        assert "first in line" not in told.fallback_text  # one note for all, held or not
        (notice,) = [r.message for r in h.sim.received if r.message.kind == "admin_notice"]
        assert "Tara left the programme" in notice.fallback_text
        assert "held" not in notice.fallback_text
        pair = await h.pair_of("bo@x.com")
        assert pair.status is PairStatus.ENDED
        bo = await h.app.store.person_by_email("bo@x.com")
        assert bo is not None and bo.first_in_line
        # Nothing more for the ended pair: no prompts, no questions.
        await h.sim.run_until(datetime(2027, 3, 1, tzinfo=UTC))
        assert h.got("bo@x.com", "prompt") == [] and h.got("bo@x.com", "did_you_meet") == []


class GoneSender(ConsoleSender):
    """Tara's account is deactivated: the platform refuses every send to her."""

    async def send(self, message: OutgoingMessage, address: Address) -> Delivery:
        if address.conversation_id == "cto@x.com" and message.kind == "prompt":
            raise SendFailed("account_inactive", unreachable=True)
        return await super().send(message, address)


async def test_an_unreachable_person_is_marked_and_their_partner_told(db_url: str) -> None:
    async with harness(db_url, GoneSender) as h:
        await h.sim.run_until(datetime(2027, 2, 6, tzinfo=UTC))  # the first prompt, Fri 5 Feb
        tara = await h.app.store.person_by_email("cto@x.com")
        assert tara is not None and tara.status is Status.UNREACHABLE
        (told,) = h.got("bo@x.com", "partner_left")
        assert "I can no longer reach Tara" in told.fallback_text
        failed = await h.app.store.failed_work()
        assert [w.extra["last_error"] for w in failed] == ["unreachable: account_inactive"]
        # The admin sees it in `health`; nobody else may look.
        (health,) = await h.sim.say("ceo@x.com", "health")
        assert "1 failed" in health.fallback_text and "unreachable: account_inactive" in (
            health.fallback_text
        )
        assert "Can't be reached (1): Tara" in health.fallback_text
        (refused,) = await h.sim.say("bo@x.com", "health")
        assert "Only programme admins" in refused.fallback_text


async def test_admins_add_prompts_that_pairs_then_receive(db_url: str) -> None:
    async with harness(db_url) as h:
        refused = await h.sim.say("ana@x.com", "prompt add technology Show your AI notebook")
        assert "Only programme admins" in refused[0].fallback_text
        bad = await h.sim.say("ceo@x.com", "prompt add cooking Show each other a recipe app")
        assert "no track called 'cooking'" in bad[0].fallback_text
        ok = await h.sim.say(
            "ceo@x.com", 'prompt add technology "Show each other your favourite shortcut"'
        )
        assert "Added to *technology*" in ok[0].fallback_text
        (prompt,) = await h.app.store.admin_prompts()
        assert prompt.text == "Show each other your favourite shortcut"
        assert (await h.app.store.recent())[0].action == "prompt add"


async def test_the_pulse_is_private_and_a_comment_waits_for_consent(db_url: str) -> None:
    async with harness(db_url) as h:
        await h.sim.run_until(datetime(2027, 2, 8, 11, tzinfo=UTC))
        pair = await h.pair_of("ana@x.com")
        (asked,) = h.got("ana@x.com", "did_you_meet")
        await h.sim.tap("ana@x.com", button(asked, actions.MEETING_MET))
        await h.sim.run_until(datetime(2027, 2, 8, 11, 1, tzinfo=UTC))
        (pulse,) = h.got("ana@x.com", "pulse")
        assert "never Femi" in pulse.fallback_text
        await h.sim.tap("ana@x.com", button(pulse, actions.PULSE_RATE, ":2"))
        await h.sim.say("ana@x.com", "Femi cancels a lot")
        answer = await h.app.store.get_pulse((await h.pair_of("ana@x.com")).mentor_id, pair.id, 1)
        assert answer is not None and answer.rating == 2
        assert answer.comment == "Femi cancels a lot" and answer.comment_consent is False
        # Nothing Ana said reaches Femi, in any message.
        femi_texts = " ".join(
            r.message.fallback_text for r in h.sim.received if r.email == "cfo@x.com"
        )
        assert "cancels a lot" not in femi_texts and "2/5" not in femi_texts
        # A typed command is still a command, not a comment.
        await h.sim.run_until(datetime(2027, 2, 9, 11, tzinfo=UTC))
        (femi_pulse,) = h.got("cfo@x.com", "pulse")
        await h.sim.tap("cfo@x.com", button(femi_pulse, actions.PULSE_RATE, ":5"))
        replies = await h.sim.say("cfo@x.com", "status")
        assert "Your mentor" in replies[0].fallback_text
        femi = await h.app.store.person_by_email("cfo@x.com")
        assert femi is not None
        mine = await h.app.store.get_pulse(femi.id, pair.id, 1)
        assert mine is not None and mine.comment is None


async def test_admins_get_a_private_dashboard_link(db_url: str) -> None:
    async with harness(db_url) as h:
        (off,) = await h.sim.say("ceo@x.com", "dashboard")
        assert "MENTORBOT_ADMIN_TOKEN" in off.fallback_text
        h.app.engine.links = links = FakeLinks()
        (on,) = await h.sim.say("ceo@x.com", "dashboard")
        (link,) = [b for b in on.blocks if isinstance(b, Link)]
        assert link.url == "https://mentorbot.example/admin?link=one-1" and on.private
        assert links.issued_to == ["ceo@x.com"] and "works once" in on.fallback_text
        (export,) = await h.sim.say("ceo@x.com", "export")
        assert "mentorbot export DIR" in export.fallback_text
        # The report in chat carries the chart as an image where the platform shows one.
        (report,) = await h.sim.say("ceo@x.com", "report")
        (image,) = [b for b in report.blocks if isinstance(b, Image)]
        assert image.url.endswith("sig=abc") and "Meeting rate" in image.alt
        assert [e.action for e in await h.app.store.recent(3)] == [
            "report",
            "dashboard",
            "match publish",
        ]
