"""A concern can be neither captured nor lost (review findings R1-5 and R1-7).

Captured: while the bot waits for a concern's words, a later question (a pulse rating's "one
thing", the reason after ending a pairing) must not take them; `concern` itself may replace
such a question, and says so. Lost: a concern nobody could receive is kept, counted only for the
operator (never in an admin's chat, where the sender's partner may read it), and passed on at
the next tick once someone can receive it. Same people as tests/scenarios/test_concerns.py, on
SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

from bot.simulation import button
from conversations.admin.tools import health_text
from conversations.safety.concerns import CONCERN_FIRST
from conversations.types import Button, actions
from tests.scenarios.test_concerns import (
    SUPPORT,
    WORRY,
    _concerns_to,
    _deliver,
    _only_text,
    _rows,
    _settings,
    _texts,
    harness,
)


async def test_a_rating_tapped_while_a_concern_is_being_written_does_not_capture_it(
    db_url: str,
) -> None:
    async with harness(db_url) as h:
        pair = await h.pair_of("ana@x.com")
        await h.sim.say("ana@x.com", "concern")
        # An old rating button, tapped before she types: the rating counts, nothing else.
        (rated,) = await h.sim.tap("ana@x.com", Button("4", actions.PULSE_RATE, f"{pair.id}:1:4"))
        assert "4/5 noted" in rated.fallback_text and CONCERN_FIRST in rated.fallback_text
        assert "One thing you learned" not in rated.fallback_text
        assert [b.label for b in rated.buttons()] == ["Cancel"]
        thanks = _only_text(await h.sim.say("ana@x.com", WORRY))
        assert thanks.startswith("Thank you for telling us. Cleo will be in touch")
        await _deliver(h)
        (notice,) = _concerns_to(h, "ceo@x.com")
        assert WORRY in notice.fallback_text
        assert not any("May the programme team read it" in t for t in _texts(h, "ana@x.com"))
        (row,) = await _rows(h)
        assert row.text == WORRY


async def test_skipping_a_pulse_comment_keeps_the_concern_being_written(db_url: str) -> None:
    async with harness(db_url) as h:
        pair = await h.pair_of("ana@x.com")
        (rated,) = await h.sim.tap("ana@x.com", Button("5", actions.PULSE_RATE, f"{pair.id}:1:5"))
        assert "One thing you learned" in rated.fallback_text
        # `concern` comes first: it replaces the waiting comment, and says so.
        (ask,) = await h.sim.say("ana@x.com", "concern")
        assert "I've set aside the question I asked you before" in ask.fallback_text
        (skipped,) = await h.sim.tap("ana@x.com", button(rated, actions.PULSE_SKIP))
        assert "No problem" in skipped.fallback_text
        assert "Your reference is C-1." in _only_text(await h.sim.say("ana@x.com", WORRY))
        await _deliver(h)
        assert len(_concerns_to(h, "ceo@x.com")) == 1


async def test_ending_the_pairing_while_a_concern_is_being_written_does_not_capture_it(
    db_url: str,
) -> None:
    async with harness(db_url) as h:
        pair = await h.pair_of("ana@x.com")
        await h.sim.say("ana@x.com", "concern")
        (asked,) = await h.sim.say("ana@x.com", "end pairing")
        (done,) = await h.sim.tap("ana@x.com", button(asked, actions.END_PAIRING, ":confirm"))
        assert "your pairing with Femi has ended" in done.fallback_text
        assert CONCERN_FIRST in done.fallback_text and "tell me why" not in done.fallback_text
        assert "Your reference is C-1." in _only_text(await h.sim.say("ana@x.com", WORRY))
        await _deliver(h)
        (notice,) = _concerns_to(h, "ceo@x.com")
        assert WORRY in notice.fallback_text and f"pair {pair.id}" not in notice.fallback_text
        # The words went as a concern, not as an end-of-pairing reason.
        assert not any(WORRY in m.fallback_text for m in h.got("ceo@x.com", "admin_notice"))


async def test_cancel_on_the_concern_first_answer_cancels_the_concern(db_url: str) -> None:
    async with harness(db_url) as h:
        pair = await h.pair_of("ana@x.com")
        await h.sim.say("ana@x.com", "concern")
        (rated,) = await h.sim.tap("ana@x.com", Button("3", actions.PULSE_RATE, f"{pair.id}:1:3"))
        (cancelled,) = await h.sim.tap("ana@x.com", button(rated, actions.CONCERN_RAISE))
        assert cancelled.fallback_text.startswith("Cancelled — nothing was sent")
        (typed,) = await h.sim.say("ana@x.com", WORRY)
        assert typed.kind == "unknown"  # neither a concern nor a pulse comment now
        assert await _rows(h) == []


async def test_a_concern_replaces_a_waiting_end_reason_and_goes_as_a_concern(
    db_url: str,
) -> None:
    async with harness(db_url) as h:
        (asked,) = await h.sim.say("ana@x.com", "end pairing")
        (done,) = await h.sim.tap("ana@x.com", button(asked, actions.END_PAIRING, ":confirm"))
        assert "tell me why in a line" in done.fallback_text
        (ask,) = await h.sim.say("ana@x.com", "concern")
        assert "I've set aside the question I asked you before" in ask.fallback_text
        assert "Your reference is C-1." in _only_text(await h.sim.say("ana@x.com", WORRY))
        await _deliver(h)
        assert len(_concerns_to(h, "ceo@x.com")) == 1
        assert not any(WORRY in m.fallback_text for m in h.got("ceo@x.com", "admin_notice"))


async def test_a_concern_nobody_can_receive_is_kept_then_passed_on_once_someone_can(
    db_url: str,
) -> None:
    # Femi, Ana's partner, is the only admin: her concern can reach nobody.
    async with harness(db_url, admins=["cfo@x.com"]) as h:
        thanks = _only_text(await h.sim.say("ana@x.com", f"concern {WORRY}"))
        assert "nobody on the programme team can receive it right now" in thanks
        assert "it will reach them as soon as someone is set up to receive it" in thanks
        assert "I'll let you know when it has" in thanks and SUPPORT in thanks
        await _deliver(h)
        assert _concerns_to(h, "cfo@x.com") == []
        # The operator sees a count; Femi's admin chat `health` says nothing of it.
        operator = await health_text(h.app.engine.ctx, operator=True)
        assert "1 concern could not be delivered yet" in operator
        assert WORRY not in operator and "Ana" not in operator
        (femi,) = await h.sim.say("cfo@x.com", "health")
        assert "concern" not in femi.fallback_text.lower()
        # Ticks while still nobody can receive it change nothing.
        await h.sim.run_until(h.clock.now() + timedelta(hours=2))
        (row,) = await _rows(h)
        assert (row.recipients, row.sent_to) == (0, [])
        # The operator names a concern contact, as health says: the next tick passes it on.
        h.app.engine.config = _settings(
            db_url, admins=["cfo@x.com"], contacts=["hana@x.com"]
        ).config
        await h.sim.run_until(h.clock.now() + timedelta(minutes=5))
        (notice,) = _concerns_to(h, "hana@x.com")
        assert "Concern C-1" in notice.fallback_text and WORRY in notice.fallback_text
        assert "it waited until someone could" in notice.fallback_text
        assert "the junior mentor in an active pair with Femi (cfo@x.com)" in notice.fallback_text
        (arrived,) = [
            m
            for m in h.got("ana@x.com", "concern.thanks")
            if "has now reached the programme team" in m.fallback_text
        ]
        assert "Your concern C-1" in arrived.fallback_text and "Hana Ito" in arrived.fallback_text
        assert SUPPORT in arrived.fallback_text
        assert _concerns_to(h, "cfo@x.com") == []
        assert not any(WORRY in t or "C-1" in t for t in _texts(h, "cfo@x.com"))
        hana = await h.app.store.person_by_email("hana@x.com")
        assert hana is not None
        (row,) = await _rows(h)
        assert (row.recipients, row.sent_to) == (1, [hana.id])
        assert (await h.app.store.concern_counts()).undelivered == 0
        operator = await health_text(h.app.engine.ctx, operator=True)
        assert "could not be delivered" not in operator
        details = [e.detail for e in await h.app.store.recent() if e.action == "concern"]
        assert "concern C-1 passed on late, sent to 1 contact(s)" in details
        # Later ticks send nothing again.
        await h.sim.run_until(h.clock.now() + timedelta(days=1))
        assert len(_concerns_to(h, "hana@x.com")) == 1


async def test_a_waiting_concern_of_someone_forgotten_is_never_passed_on(db_url: str) -> None:
    async with harness(db_url, admins=["cfo@x.com"]) as h:
        _only_text(await h.sim.say("ana@x.com", f"concern {WORRY}"))
        (confirm,) = await h.sim.say("ana@x.com", "forget me")
        await h.sim.tap("ana@x.com", button(confirm, actions.PRIVACY_FORGET, "confirm"))
        h.app.engine.config = _settings(
            db_url, admins=["cfo@x.com"], contacts=["hana@x.com"]
        ).config
        await h.sim.run_until(h.clock.now() + timedelta(hours=1))
        assert _concerns_to(h, "hana@x.com") == []
        assert await h.app.store.undelivered_concerns() == []
