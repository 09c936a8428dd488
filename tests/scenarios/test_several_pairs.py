"""Someone in several pairs sees each of them and chooses which to end; a partner the
programme did not ask about a proposal sees nothing of it; the ground-rules row in `status`
and the home view. Engine-level, in simulated time, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.console.platform import PLATFORM, TENANT
from adapters.console.sender import ConsoleSender
from bot.app import build_app
from bot.clock import SimulatedClock
from bot.simulation import button
from conversations.types import (
    Button,
    Identity,
    OutgoingMessage,
    PairStatus,
    Role,
    RosterEntry,
    ToPerson,
    UserRef,
    actions,
)
from tests.scenarios.test_lifecycle_edges import Harness, _consent
from tests.scenarios.test_lifecycle_edges import harness as round_harness
from tests.scenarios.test_matching_round import LONDON, PEOPLE
from tests.scenarios.test_pair_endings import _settings
from tests.scenarios.test_pair_endings import harness as endings_harness
from tests.scenarios.test_programme import PUBLISH

OMAR = RosterEntry(
    20,
    "coo@x.com",
    "Omar",
    7,
    department="Sales",
    timezone=LONDON,
    role=Role.MENTEE,
    learns=("GenAI tools",),
)
TOPIC_1 = datetime(2027, 2, 5, 11, tzinfo=UTC)  # session 1's topic and ground rules go out


def _ends(message: OutgoingMessage) -> list[Button]:
    return [b for b in message.buttons() if b.action_id == actions.END_PAIRING]


async def _second_pair(h: Harness) -> int:
    """Ana (junior) takes on Omar too, both accepting: she is now in two active pairs."""
    await h.app.store.import_roster(
        [*PEOPLE, OMAR], deactivate_missing=False, dry_run=False, at=h.clock.now()
    )
    omar = await h.app.store.person_by_email("coo@x.com")
    assert omar is not None
    await h.app.store.link_identity(Identity(omar.id, PLATFORM, TENANT, "coo@x.com"))
    # By hand (a round would do the same with mentees_per_mentor 2): Ana is already paired.
    await h.sim.say("ceo@x.com", "pair ana@x.com with coo@x.com --force")
    pair = await h.pair_of("coo@x.com")
    assert pair.status is PairStatus.PROPOSED
    for email in ("ana@x.com", "coo@x.com"):
        await h.sim.tap(email, _consent(pair.id))
    await h.sim.run_until(h.clock.now() + timedelta(days=1))
    assert (await h.pair_of("coo@x.com")).status is PairStatus.ACTIVE
    return pair.id


async def test_someone_in_two_pairs_sees_both_and_chooses_which_to_end(db_url: str) -> None:
    async with endings_harness(db_url, matching={"mentees_per_mentor": 2}) as h:
        femi_pair = (await h.pair_of("cfo@x.com")).id
        omar_pair = await _second_pair(h)

        # `status` and the home view list both pairs, each with its own named button.
        (status,) = await h.sim.say("ana@x.com", "status")
        assert "Femi" in status.fallback_text and "Omar" in status.fallback_text
        assert {(b.label, b.value) for b in _ends(status)} == {
            ("End pairing with Femi", str(femi_pair)),
            ("End pairing with Omar", str(omar_pair)),
        }
        home = await h.app.engine.home(UserRef(PLATFORM, TENANT, "ana@x.com"))
        assert {b.label for b in _ends(home)} == {"End pairing with Femi", "End pairing with Omar"}
        assert home.fallback_text.count("Ground rules:") == 2

        # `end pairing` asks which, one button per partner; Omar's ends only Omar's.
        (which,) = await h.sim.say("ana@x.com", "end pairing")
        assert "Which pairing" in which.fallback_text
        assert {(b.label, b.value) for b in _ends(which)} == {
            ("Femi", str(femi_pair)),
            ("Omar", str(omar_pair)),
        }
        (omars,) = [b for b in _ends(which) if b.value == str(omar_pair)]
        (confirm,) = await h.sim.tap("ana@x.com", omars)
        assert "End your pairing with Omar?" in confirm.fallback_text
        (done,) = await h.sim.tap("ana@x.com", button(confirm, actions.END_PAIRING, ":confirm"))
        assert "your pairing with Omar has ended" in done.fallback_text
        assert (await h.app.store.get_pair(omar_pair)).status is PairStatus.ENDED  # type: ignore[union-attr]
        assert (await h.app.store.get_pair(femi_pair)).status is PairStatus.ACTIVE  # type: ignore[union-attr]

        # With one pair left, `end pairing` goes straight to it.
        (only,) = await h.sim.say("ana@x.com", "end pairing")
        assert "End your pairing with Femi?" in only.fallback_text


async def test_end_pairing_names_the_partner(db_url: str) -> None:
    async with endings_harness(db_url, matching={"mentees_per_mentor": 2}) as h:
        femi_pair = (await h.pair_of("cfo@x.com")).id
        await _second_pair(h)
        for typed in ("end pairing Femi", "end pairing with femi", "end pairing cfo@x.com"):
            (confirm,) = await h.sim.say("ana@x.com", typed)
            assert "End your pairing with Femi?" in confirm.fallback_text, typed
            assert button(confirm, actions.END_PAIRING, ":confirm").value == f"{femi_pair}:confirm"
        # A name that is none of her partners: asked which, nothing ended.
        (which,) = await h.sim.say("ana@x.com", "end pairing Bo")
        assert "not in a pairing with Bo" in which.fallback_text
        assert {b.label for b in _ends(which)} == {"Femi", "Omar"}
        # Someone in one pair is not asked which; someone in none is told so.
        (confirm,) = await h.sim.say("cfo@x.com", "end pairing")
        assert "End your pairing with Ana?" in confirm.fallback_text
        (none,) = await h.sim.say("cy@x.com", "end pairing")
        assert "not in a pairing right now" in none.fallback_text


async def test_a_proposal_declined_reaches_a_partner_already_in_another_pair(db_url: str) -> None:
    async with endings_harness(db_url, matching={"mentees_per_mentor": 2}) as h:
        await h.app.store.import_roster(
            [*PEOPLE, OMAR], deactivate_missing=False, dry_run=False, at=h.clock.now()
        )
        omar = await h.app.store.person_by_email("coo@x.com")
        assert omar is not None
        await h.app.store.link_identity(Identity(omar.id, PLATFORM, TENANT, "coo@x.com"))
        await h.sim.say("ceo@x.com", "pair ana@x.com with coo@x.com --force")
        pair = await h.pair_of("coo@x.com")
        # Ana (mentoring Femi) sees the proposal beside her pair, and has not answered yet.
        (status,) = await h.sim.say("ana@x.com", "status")
        assert "proposed mentee: *Omar" in status.fallback_text and "Femi" in status.fallback_text
        await h.sim.tap("coo@x.com", Button("No", actions.CONSENT_DECLINE, str(pair.id)))
        await h.sim.run_until(h.clock.now() + timedelta(days=1))
        (note,) = h.got("ana@x.com", "consent_closed")
        assert "won't go ahead" in note.fallback_text and "Omar" not in note.fallback_text


async def test_a_concern_from_someone_in_two_pairs_names_both_partners(db_url: str) -> None:
    async with endings_harness(db_url, matching={"mentees_per_mentor": 2}) as h:
        await _second_pair(h)
        await h.sim.say("ana@x.com", "concern")
        await h.sim.say("ana@x.com", "Something in one of my pairings worries me.")
        await h.sim.run_until(h.clock.now() + timedelta(days=1))
        (notice,) = [m for m in h.got("ceo@x.com", "concern")]
        text = notice.fallback_text
        assert "pair with Femi" in text and "pair with Omar" in text
        assert "don't raise it with Omar or Femi unless Ana agrees" in text


async def _published(db_url: str, programme: dict[str, Any]) -> AsyncIterator[Harness]:
    clock = SimulatedClock(PUBLISH)
    settings = _settings(db_url, programme=programme)
    async with build_app(settings, clock=clock, rng=random.Random(5)) as app:
        await app.store.import_roster(PEOPLE, deactivate_missing=False, dry_run=False, at=PUBLISH)
        for person in await app.store.all_people():
            await app.store.link_identity(Identity(person.id, PLATFORM, TENANT, person.email))
        sender = ConsoleSender(io.StringIO(), names=str, clock=clock.now)
        sender.silent = True
        app.add_sender(sender)
        h = Harness(app, clock, sender)
        await h.sim.say("ceo@x.com", "match publish")
        await h.sim.run_until(PUBLISH + timedelta(minutes=1))
        yield h


published = asynccontextmanager(_published)


async def test_a_partner_who_was_not_asked_sees_nothing_of_the_proposal(db_url: str) -> None:
    # Only the junior is asked: the senior sees no proposal, and nothing when she declines.
    async with published(db_url, {"require_mentee_consent": False}) as h:
        pair = await h.pair_of("ana@x.com")
        assert pair.status is PairStatus.PROPOSED
        before = [m.fallback_text for m in await h.sim.say("cfo@x.com", "status")]
        assert "Ana" not in before[0] and "Waiting" not in before[0]
        assert "I'll let you know as soon as you have a partner" in before[0]
        home = await h.app.engine.home(UserRef(PLATFORM, TENANT, "cfo@x.com"))
        assert "Ana" not in home.fallback_text and not _ends(home)
        (nothing,) = await h.sim.say("cfo@x.com", "end pairing")
        assert "not in a pairing right now" in nothing.fallback_text
        await h.sim.tap("ana@x.com", Button("No", actions.CONSENT_DECLINE, str(pair.id)))
        await h.sim.run_until(PUBLISH + timedelta(days=2))
        after = [m.fallback_text for m in await h.sim.say("cfo@x.com", "status")]
        assert after == before
        assert h.got("cfo@x.com", "consent_closed") == []
        assert h.got("cfo@x.com", "consent") == []
    # The other way round: the junior is not asked and hears nothing either.
    async with published(
        db_url, {"require_mentor_consent": False, "require_mentee_consent": True}
    ) as h:
        pair = await h.pair_of("ana@x.com")
        (status,) = await h.sim.say("ana@x.com", "status")
        assert "Femi" not in status.fallback_text and "Waiting" not in status.fallback_text
        await h.sim.tap("cfo@x.com", Button("No", actions.CONSENT_DECLINE, str(pair.id)))
        await h.sim.run_until(PUBLISH + timedelta(days=2))
        assert h.got("ana@x.com", "consent_closed") == []


async def test_a_decline_reaches_every_partner_who_was_asked_answered_or_not(db_url: str) -> None:
    async with published(db_url, {}) as h:
        pair = await h.pair_of("ana@x.com")
        # Femi has not answered yet when Ana asks for someone else: he gets the kind note too.
        await h.sim.tap("ana@x.com", Button("No", actions.CONSENT_DECLINE, str(pair.id)))
        await h.sim.run_until(PUBLISH + timedelta(days=1))
        (note,) = h.got("cfo@x.com", "consent_closed")
        assert "won't go ahead" in note.fallback_text and "first in line" in note.fallback_text
        assert "Ana" not in note.fallback_text and "declin" not in note.fallback_text
        assert h.got("ana@x.com", "consent_closed") == []  # she knows: she asked


async def test_the_ground_rules_row_and_its_button_in_status(db_url: str) -> None:
    async with round_harness(db_url) as h:
        pair = await h.pair_of("ana@x.com")
        # Before session 1's message: when they will be shared, and no button yet.
        (status,) = await h.sim.say("ana@x.com", "status")
        assert "Ground rules: shared with you both on Fri 5 Feb 2027" in status.fallback_text
        assert not [b for b in status.buttons() if b.action_id == actions.GROUND_RULES_AGREE]
        assert "waiting for" not in status.fallback_text

        await h.sim.run_until(TOPIC_1)
        (status,) = await h.sim.say("ana@x.com", "status")
        assert "Ground rules: waiting for Ana and Femi" in status.fallback_text
        agree = button(status, actions.GROUND_RULES_AGREE)
        assert (agree.label, agree.value) == ("I agree", str(pair.id))
        (first,) = await h.sim.tap("ana@x.com", agree)
        assert first.fallback_text == "Thanks, Ana — waiting for Femi."
        (status,) = await h.sim.say("ana@x.com", "status")
        assert not [b for b in status.buttons() if b.action_id == actions.GROUND_RULES_AGREE]
        home = await h.app.engine.home(UserRef(PLATFORM, TENANT, "cfo@x.com"))
        (both,) = await h.sim.tap("cfo@x.com", button(home, actions.GROUND_RULES_AGREE))
        assert both.fallback_text.startswith("You've both agreed the ground rules ✅")

        # Ana, who agreed first, is told privately (at her next delivery slot, Monday); Femi
        # is not told twice.
        await h.sim.run_until(TOPIC_1 + timedelta(days=3, hours=1))
        (told,) = h.got("ana@x.com", "ground_rules")
        assert (
            isinstance(told.to, ToPerson)
            and "Femi has agreed the ground rules too" in told.fallback_text
        )
        assert h.got("cfo@x.com", "ground_rules") == []
        (again,) = await h.sim.tap("cfo@x.com", agree)
        assert "You've both agreed" in again.fallback_text
        await h.sim.run_until(TOPIC_1 + timedelta(days=4))
        assert len(h.got("ana@x.com", "ground_rules")) == 1
