"""The home view (Slack App Home, and the same words elsewhere) through the engine on the
in-memory store (no SQL): each stage of a person's programme shows what they can do next."""

from __future__ import annotations

from conversations.types import OutgoingMessage, actions
from tests.conversations.memory_programme import Programme
from tests.fakes import utc


def _buttons(view: OutgoingMessage) -> list[tuple[str, str]]:
    return [(b.action_id, b.value) for b in view.buttons()]


async def test_before_and_during_a_proposal_each_side_sees_its_own_buttons() -> None:
    p = Programme()
    await p.setup()
    waiting = await p.engine.home(p.user("ana@x.com"))
    assert "I'll let you know as soon as you have a partner" in waiting.fallback_text
    assert (actions.ENROL_LEAVE, "") in _buttons(waiting)
    await p.say("ceo@x.com", "match publish")
    pair = await p.pair_of("ana@x.com")
    for email, partner in (("ana@x.com", "Femi"), ("cfo@x.com", "Ana")):
        view = await p.engine.home(p.user(email))
        assert f"*{partner}* — colleague" in view.fallback_text
        assert _buttons(view)[:2] == [
            (actions.CONSENT_ACCEPT, str(pair.id)),
            (actions.CONSENT_DECLINE, str(pair.id)),
        ]
    await p.tap("ana@x.com", actions.CONSENT_ACCEPT, pair.id)
    answered = await p.engine.home(p.user("ana@x.com"))
    assert "Waiting for Femi to confirm your pairing" in answered.fallback_text
    assert actions.CONSENT_ACCEPT not in {a for a, _ in _buttons(answered)}


async def test_an_active_pair_shows_the_partner_next_session_and_ground_rules() -> None:
    p = Programme()
    await p.start()
    pair = await p.pair_of("ana@x.com")
    view = await p.engine.home(p.user("ana@x.com"))
    assert "Your mentee: Femi — colleague" in view.fallback_text
    assert "Next session: Session 1 of 6, by Mon 8 Feb 2027" in view.fallback_text
    assert "Held so far: 0 of 6" in view.fallback_text
    assert "Ground rules: shared with you both on Fri 5 Feb 2027" in view.fallback_text
    assert (actions.END_PAIRING, str(pair.id)) in _buttons(view)
    # Once session 1's message has gone, whoever has not agreed gets the button.
    await p.run_until(utc(2027, 2, 6))
    view = await p.engine.home(p.user("ana@x.com"))
    assert "Ground rules: waiting for Ana and Femi" in view.fallback_text
    assert (actions.GROUND_RULES_AGREE, str(pair.id)) in _buttons(view)
    await p.tap("ana@x.com", actions.GROUND_RULES_AGREE, str(pair.id))
    view = await p.engine.home(p.user("ana@x.com"))
    assert "Ground rules: waiting for Femi" in view.fallback_text
    assert actions.GROUND_RULES_AGREE not in {a for a, _ in _buttons(view)}


async def test_a_paused_person_is_offered_resume_and_a_stranger_nothing() -> None:
    p = Programme()
    await p.start()
    p.clock.set(utc(2027, 2, 1, 12))
    await p.say("ana@x.com", "pause until 2027-02-15")
    view = await p.engine.home(p.user("ana@x.com"))
    assert "You're paused until Mon 15 Feb 2027" in view.fallback_text
    assert _buttons(view) == [(actions.ENROL_RESUME, ""), (actions.CONCERN_RAISE, "")]
    stranger = await p.engine.home(p.user("zed@x.com"))
    assert "you're not in the programme's directory" in stranger.fallback_text
    assert _buttons(stranger) == []
    admin = await p.engine.home(p.user("ceo@x.com"))
    assert "*Programme at a glance* (admins only)" in admin.fallback_text
    assert "Active pairs: 2" in admin.fallback_text
