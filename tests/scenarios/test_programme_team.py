"""Review findings on issue 17: what the programme team is told, and what a member of a pair
who is also an admin must never learn about his own pairing. One recipient rule for every
notice (`conversations/safety/team.py`), holds and reviews hidden from the admin they concern, force
rules for pairing by hand, `end pairing` on a proposal, a junior's `forget me`, one partner
note for every ending, and audit entries that name nobody. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.simulation import button
from conversations.programme.lifecycle import notify_admins
from conversations.types import Button, PairStatus, Status, actions
from tests.scenarios.test_missed_sessions import ASKED
from tests.scenarios.test_pair_endings import NEXT_DAY, REASON, _end, _text, harness


async def test_a_senior_who_is_an_admin_never_learns_of_his_own_hold(db_url: str) -> None:
    """R1-1: `health`, `match` and `release` say nothing to Femi about his hold."""
    async with harness(db_url, admins=["ceo@x.com", "cfo@x.com"]) as h:
        await _end(h, "ana@x.com", REASON)
        await h.sim.run_until(NEXT_DAY)
        assert h.got("cfo@x.com", "admin_notice") == []
        (health,) = await h.sim.say("cfo@x.com", "health")
        assert "awaiting review" not in health.fallback_text
        assert "cfo@x.com" not in health.fallback_text
        (dry,) = await h.sim.say("cfo@x.com", "match")
        assert "Held for review" not in dry.fallback_text
        (own,) = await h.sim.say("cfo@x.com", "release cfo@x.com")
        (other,) = await h.sim.say("cfo@x.com", "release cy@x.com")
        # Exactly the answer for someone who isn't held, and the hold stays.
        assert own.fallback_text == other.fallback_text.replace("Cy", "Femi")
        assert "isn't held for review" in own.fallback_text
        assert len(await h.app.store.pair_endings(awaiting_review=True)) == 1
        # Another admin sees it all.
        (health,) = await h.sim.say("ceo@x.com", "health")
        assert "Pairs awaiting review (1)" in health.fallback_text
        (dry,) = await h.sim.say("ceo@x.com", "match")
        assert "Held for review (1): Femi" in dry.fallback_text


async def test_force_never_overrides_a_hold_an_ending_or_pairing_yourself(db_url: str) -> None:
    """R1-2: a held admin cannot re-pair himself; nobody forces past a hold or an ending."""
    no_consent = {"require_mentor_consent": False, "require_mentee_consent": False}
    async with harness(db_url, admins=["ceo@x.com", "cfo@x.com"], programme=no_consent) as h:
        await _end(h, "ana@x.com", REASON)
        await h.sim.run_until(NEXT_DAY)
        ana = await h.app.store.person_by_email("ana@x.com")
        assert ana is not None
        before = await h.app.store.pairs_of(ana.id)
        for line in ("pair ana@x.com with cfo@x.com", "pair ana@x.com with cfo@x.com --force"):
            (own,) = await h.sim.say("cfo@x.com", line)
            assert "can't pair yourself" in own.fallback_text
            assert "held" not in own.fallback_text and "ended" not in own.fallback_text
        (held,) = await h.sim.say("ceo@x.com", "pair cy@x.com with cfo@x.com --force")
        assert "even with `--force`" in held.fallback_text
        assert "is held for review after a pairing ended" in held.fallback_text
        await h.sim.say("ceo@x.com", "release cfo@x.com")
        (ended,) = await h.sim.say("ceo@x.com", "pair ana@x.com with cfo@x.com --force")
        assert "even with `--force`" in ended.fallback_text
        assert "declined or ended early before" in ended.fallback_text
        assert await h.app.store.pairs_of(ana.id) == before
        # What --force is for still works: past the other rules, once released.
        (forced,) = await h.sim.say("ceo@x.com", "pair cy@x.com with cfo@x.com --force")
        assert "Paired Cy" in forced.fallback_text


async def test_escalations_and_stuck_notices_skip_a_partner_who_is_an_admin(db_url: str) -> None:
    """R1-3: Tara (Bo's senior, an admin) never reads the team's notices about her pair."""
    async with harness(db_url, admins=["ceo@x.com", "cto@x.com"]) as h:
        await h.sim.run_until(ASKED)
        (asked,) = h.got("bo@x.com", "did_you_meet")
        await h.sim.tap("bo@x.com", button(asked, actions.MEETING_MISSED), message_id="m1")
        await h.sim.run_until(datetime(2027, 2, 10, 12, tzinfo=UTC))
        (why,) = h.got("bo@x.com", "missed_reason")
        await h.sim.tap("bo@x.com", button(why, actions.MISSED_REASON, ":work"))
        await h.sim.run_until(datetime(2027, 3, 23, 12, tzinfo=UTC))
        told = _text(h.got("ceo@x.com", "admin_notice"))
        assert "have not held" in told and "Bo" in told
        assert not any(
            "Bo" in m.fallback_text or "Tara" in m.fallback_text
            for m in h.got("cto@x.com", "admin_notice")
        )
        # "We're stuck" at the midpoint: the same rule.
        pair = await h.pair_of("bo@x.com")
        stuck = Button("We're stuck", actions.CHECKIN_ANSWER, f"{pair.id}:stuck")
        (thanks,) = await h.sim.tap("bo@x.com", stuck)
        assert "told the programme team privately" in thanks.fallback_text
        await h.sim.run_until(datetime(2027, 3, 24, 12, tzinfo=UTC))
        assert any("stuck" in m.fallback_text for m in h.got("ceo@x.com", "admin_notice"))
        assert not any("stuck" in m.fallback_text for m in h.got("cto@x.com", "admin_notice"))


async def test_one_recipient_rule_for_every_team_notice(db_url: str) -> None:
    """R1-3/R1-4: notify_admins and pair endings skip the excluded and whoever cannot read,
    and fall back to the admins who can."""
    async with harness(db_url, privacy={"concern_contacts": ["cy@x.com"]}) as h:
        store, engine = h.app.store, h.app.engine
        cy, cleo = await store.person_by_email("cy@x.com"), await store.person_by_email("ceo@x.com")
        assert cy is not None and cleo is not None
        to = [m.to for m in await notify_admins(engine.ctx, "x", key="k", exclude=set())]
        assert [t.person_id for t in to] == [cy.id]  # type: ignore[union-attr]
        to = [m.to for m in await notify_admins(engine.ctx, "x", key="k", exclude={cy.id})]
        assert [t.person_id for t in to] == [cleo.id]  # type: ignore[union-attr]
        await store.set_status(cy.id, Status.INACTIVE, at=h.clock.now())
        to = [m.to for m in await notify_admins(engine.ctx, "x", key="k", exclude=set())]
        assert [t.person_id for t in to] == [cleo.id]  # type: ignore[union-attr]
        # An inactive contact gets nothing of an ending; the admin gets it all.
        await _end(h, "ana@x.com", REASON)
        await h.sim.run_until(NEXT_DAY)
        assert h.got("cy@x.com", "admin_notice") == []
        told = _text(h.got("ceo@x.com", "admin_notice"))
        assert "`release cfo@x.com`" in told and REASON in told
        assert await notify_admins(engine.ctx, "x", key="k", exclude={cleo.id}) == []


async def test_end_pairing_on_a_proposal_is_asking_for_someone_else(db_url: str) -> None:
    """R1-6: no hold, no team notice, both first in line, the kind note to a partner who
    had said yes — the same as "Ask for someone else"."""
    async with harness(db_url) as h:
        await _end(h, "ana@x.com", None)  # Femi is free once released
        await h.sim.say("ceo@x.com", "release cfo@x.com")
        await h.sim.say("ceo@x.com", "pair cy@x.com with cfo@x.com --force")
        (pair,) = [p for p in await h.app.store.open_pairs() if p.status is PairStatus.PROPOSED]
        await h.sim.tap("cfo@x.com", Button("Accept", actions.CONSENT_ACCEPT, str(pair.id)))
        await h.sim.run_until(NEXT_DAY)
        before = len(h.got("ceo@x.com", "admin_notice"))
        notes = len(h.got("cfo@x.com", "partner_left"))
        (asked,) = await h.sim.say("cy@x.com", "end pairing")
        assert "Ask for someone else instead of Femi?" in asked.fallback_text
        assert "never told who or why" in asked.fallback_text
        (done,) = await h.sim.tap("cy@x.com", button(asked, actions.END_PAIRING, ":confirm"))
        assert "look for someone else for you in the next round" in done.fallback_text
        assert "Thank you for the time" not in done.fallback_text
        closed = await h.app.store.get_pair(pair.id)
        assert closed is not None and closed.status is PairStatus.DECLINED
        await h.sim.run_until(NEXT_DAY + timedelta(days=5))
        assert len(h.got("ceo@x.com", "admin_notice")) == before
        assert len(h.got("cfo@x.com", "partner_left")) == notes  # only Ana's, earlier
        (closed_note,) = h.got("cfo@x.com", "consent_closed")
        assert "won't go ahead this time" in closed_note.fallback_text
        assert await h.app.store.pair_endings(awaiting_review=True) == []
        for email in ("cy@x.com", "cfo@x.com"):
            person = await h.app.store.person_by_email(email)
            assert person is not None and person.first_in_line


async def test_a_juniors_forget_me_still_tells_the_team_and_the_note_is_the_usual_one(
    db_url: str,
) -> None:
    """R1-8: the team's notice survives the erasure (it does not name her); Femi's note is
    word for word what any ending sends."""
    async with harness(db_url) as h:
        pair = await h.pair_of("ana@x.com")
        (asked,) = await h.sim.say("ana@x.com", "forget me")
        await h.sim.tap("ana@x.com", button(asked, actions.PRIVACY_FORGET, "confirm"))
        await h.sim.run_until(NEXT_DAY)
        (notice,) = h.got("ceo@x.com", "admin_notice")
        assert f"Pair {pair.id} with Femi" in notice.fallback_text
        assert "`release cfo@x.com`" in notice.fallback_text
        assert "Ana" not in notice.fallback_text
        (note,) = h.got("cfo@x.com", "partner_left")
        await _end(h, "cto@x.com", None)
        await h.sim.run_until(NEXT_DAY + timedelta(days=1))
        (other,) = h.got("bo@x.com", "partner_left")
        assert note.fallback_text.replace("Femi", "X") == other.fallback_text.replace("Bo", "X")


async def test_every_partner_note_is_the_same_held_or_not(db_url: str) -> None:
    """R1-10: Femi (held) and Bo (first in line) get the same sentence."""
    async with harness(db_url) as h:
        await _end(h, "ana@x.com", None)
        await _end(h, "cto@x.com", None)
        await h.sim.run_until(NEXT_DAY)
        (held,) = h.got("cfo@x.com", "partner_left")
        (first,) = h.got("bo@x.com", "partner_left")
        assert held.fallback_text.replace("Femi", "X") == first.fallback_text.replace("Bo", "X")
        assert "first in line" not in held.fallback_text
        bo = await h.app.store.person_by_email("bo@x.com")
        assert bo is not None and bo.first_in_line  # still true, just not promised


async def test_the_audit_log_names_nobody_for_an_end_reason_or_a_decline(db_url: str) -> None:
    """R1-13: the reason and the decline are audited as a participant's, by pair only."""
    async with harness(db_url) as h:
        await _end(h, "ana@x.com", REASON)
        await h.sim.say("ceo@x.com", "release cfo@x.com")
        await h.sim.say("ceo@x.com", "pair cy@x.com with cfo@x.com --force")
        (pair,) = [p for p in await h.app.store.open_pairs() if p.status is PairStatus.PROPOSED]
        decline = Button("Ask for someone else", actions.CONSENT_DECLINE, str(pair.id))
        await h.sim.tap("cy@x.com", decline)
        entries = {
            e.action: e for e in await h.app.store.recent(50) if e.action in _PRIVATE_ACTIONS
        }
        assert set(entries) == _PRIVATE_ACTIONS
        for entry in entries.values():
            assert entry.actor == "participant"
            assert not re.search(r"ana|cy@|Cy\b|Ana\b", entry.detail)


_PRIVATE_ACTIONS = {"pair end reason", "consent decline"}
