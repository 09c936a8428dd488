"""`concern`: a confidential word with the programme team, never the partner.

Ana (junior mentor) and Femi (senior mentee) are pair A, Bo and Tara pair B; Cleo is the
admin; Hana (HR, not in the programme) is the concern contact when one is set. Every branch of
conversations/safety/concerns.py, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import random
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from adapters.console.platform import PLATFORM, TENANT
from adapters.console.sender import ConsoleSender
from bot.app import build_app
from bot.clock import SimulatedClock
from bot.settings import Secrets, Settings, parse_config
from bot.simulation import button
from conversations.admin.tools import health_text
from conversations.safety.concerns import DAILY_LIMIT, MAX_CONCERN
from conversations.types import Button, Identity, OutgoingMessage, RosterEntry, UserRef, actions
from storage.models import ConcernRow
from tests.scenarios.test_lifecycle_edges import Harness
from tests.scenarios.test_matching_round import LONDON, PEOPLE
from tests.scenarios.test_programme import PUBLISH

HR = RosterEntry(8, "hana@x.com", "Hana Ito", 6, department="People", timezone=LONDON)
SUPPORT = "The Employee Assistance Programme is on 0800 000 000, any time."
WORRY = "Femi keeps asking about my personal life and it makes me uncomfortable"


def _settings(url: str, *, admins: Sequence[str], contacts: Sequence[str] = ()) -> Settings:
    config = parse_config(
        {
            "programme": {
                "name": "RM 2027",
                "start_date": "2027-01-11",
                "timezone": "Europe/London",
            },
            "admins": list(admins),
            "privacy": {"concern_contacts": list(contacts), "support_text": SUPPORT},
        },
        source="test",
    )
    return Settings(config, Secrets(database_url=url))


@asynccontextmanager
async def harness(
    url: str, *, admins: Sequence[str] = ("ceo@x.com",), contacts: Sequence[str] = ()
) -> AsyncIterator[Harness]:
    """Pairs A and B published, accepted and introduced (as in test_lifecycle_edges)."""
    clock = SimulatedClock(PUBLISH)
    settings = _settings(url, admins=admins, contacts=contacts)
    async with build_app(settings, clock=clock, rng=random.Random(5)) as app:
        await app.store.import_roster(
            [*PEOPLE, HR], deactivate_missing=False, dry_run=False, at=PUBLISH
        )
        for person in await app.store.all_people():
            await app.store.link_identity(Identity(person.id, PLATFORM, TENANT, person.email))
        sender = ConsoleSender(io.StringIO(), names=str, clock=clock.now)
        sender.silent = True
        app.add_sender(sender)
        h = Harness(app, clock, sender)
        if "ceo@x.com" not in admins:  # someone has to publish the round
            h.sim.app.engine.config = _settings(url, admins=[*admins, "ceo@x.com"]).config
        await h.start()
        h.sim.app.engine.config = settings.config
        h.clock.set(datetime(2027, 1, 20, 15, tzinfo=UTC))
        yield h


def _texts(h: Harness, email: str) -> list[str]:
    return [r.message.fallback_text for r in h.sim.received if r.email == email]


def _concerns_to(h: Harness, email: str) -> list[OutgoingMessage]:
    return h.got(email, "concern")


async def _deliver(h: Harness) -> None:
    await h.sim.run_until(h.clock.now() + timedelta(minutes=1))


async def _rows(h: Harness) -> list[Any]:
    async with h.app.store._sessions() as session:
        return list(await session.scalars(select(ConcernRow).order_by(ConcernRow.id)))


def _only_text(replies: list[OutgoingMessage]) -> str:
    (reply,) = replies
    return reply.fallback_text


async def test_concern_then_the_text_reaches_only_the_admin(db_url: str) -> None:
    async with harness(db_url) as h:
        (ask,) = await h.sim.say("ana@x.com", "concern")
        assert "Only the programme team reads it — never your partner" in ask.fallback_text
        assert [b.label for b in ask.buttons()] == ["Cancel"]
        thanks = _only_text(await h.sim.say("ana@x.com", WORRY))
        assert thanks.startswith("Thank you for telling us. Cleo will be in touch")
        assert "Your reference is C-1." in thanks and SUPPORT in thanks
        await _deliver(h)
        (notice,) = _concerns_to(h, "ceo@x.com")
        text = notice.fallback_text
        assert "Concern C-1" in text and WORRY in text
        assert (
            "From Ana (ana@x.com), the junior mentor in an active pair with Femi (cfo@x.com)"
            in text
        )
        assert "don't raise it with Femi unless Ana agrees" in text
        # Femi, and everyone else, hears nothing of it.
        for email in ("cfo@x.com", "bo@x.com", "cto@x.com", "hana@x.com"):
            assert _concerns_to(h, email) == []
            assert not any(WORRY in t or "concern" in t.lower() for t in _texts(h, email))
        # The audit log keeps the reference and a count: no name, no words.
        entry = (await h.app.store.recent())[0]
        assert (entry.actor, entry.action) == ("participant", "concern")
        assert entry.detail == "concern C-1 raised, sent to 1 contact(s)"
        assert all("ana" not in e.detail.lower() for e in await h.app.store.recent())
        (row,) = await _rows(h)
        ana = await h.app.store.person_by_email("ana@x.com")
        ceo = await h.app.store.person_by_email("ceo@x.com")
        assert ana is not None and ceo is not None
        assert (row.sender_id, row.text, row.sent_to) == (ana.id, WORRY, [ceo.id])
        assert row.pair_id == (await h.pair_of("ana@x.com")).id


async def test_concern_with_text_goes_at_once_to_the_contact_not_the_admins(db_url: str) -> None:
    async with harness(db_url, contacts=["hana@x.com"]) as h:
        thanks = _only_text(await h.sim.say("cfo@x.com", f"concern   {WORRY}  "))
        assert "Hana Ito will be in touch" in thanks
        await _deliver(h)
        (notice,) = _concerns_to(h, "hana@x.com")
        assert "the senior mentee in an active pair with Ana (ana@x.com)" in notice.fallback_text
        assert f"“{WORRY}”" in notice.fallback_text  # trimmed
        assert _concerns_to(h, "ceo@x.com") == [] and _concerns_to(h, "ana@x.com") == []


async def test_a_partner_who_is_an_admin_never_reads_the_concern(db_url: str) -> None:
    async with harness(db_url, admins=["cfo@x.com", "ceo@x.com"]) as h:
        thanks = _only_text(await h.sim.say("ana@x.com", f"concern {WORRY}"))
        assert "Cleo will be in touch" in thanks and "Femi" not in thanks
        await _deliver(h)
        assert len(_concerns_to(h, "ceo@x.com")) == 1
        assert _concerns_to(h, "cfo@x.com") == []
        assert not any(WORRY in t for t in _texts(h, "cfo@x.com"))


async def test_a_sender_who_is_a_contact_is_not_sent_their_own_concern(db_url: str) -> None:
    async with harness(db_url, contacts=["ana@x.com", "hana@x.com"]) as h:
        _only_text(await h.sim.say("ana@x.com", f"concern {WORRY}"))
        await _deliver(h)
        assert len(_concerns_to(h, "hana@x.com")) == 1
        assert _concerns_to(h, "ana@x.com") == []


async def test_when_no_contact_can_receive_it_the_admins_do(db_url: str) -> None:
    # The only contact is Ana's partner (and one email nobody has): the admins read it.
    async with harness(db_url, contacts=["cfo@x.com", "nobody@x.com"]) as h:
        thanks = _only_text(await h.sim.say("ana@x.com", f"concern {WORRY}"))
        assert "Cleo will be in touch" in thanks
        await _deliver(h)
        assert len(_concerns_to(h, "ceo@x.com")) == 1 and _concerns_to(h, "cfo@x.com") == []
        (health,) = await h.sim.say("ceo@x.com", "health")
        assert "privacy.concern_contacts: nobody@x.com is not in the directory" in (
            health.fallback_text
        )


async def test_nobody_left_to_receive_it_is_said_honestly_and_shown_to_operators(
    db_url: str,
) -> None:
    async with harness(db_url, admins=["cfo@x.com"]) as h:
        thanks = _only_text(await h.sim.say("ana@x.com", f"concern {WORRY}"))
        assert "nobody on the programme team can receive it right now" in thanks
        assert "kept it safely" in thanks and SUPPORT in thanks
        await _deliver(h)
        assert _concerns_to(h, "cfo@x.com") == []
        health = await health_text(h.app.engine.ctx, operator=True)
        assert "1 concern could not be delivered" in health
        assert "set privacy.concern_contacts" in health
        assert WORRY not in health and "Ana" not in health
        assert (await h.app.store.concern_counts()).undelivered == 1
        (row,) = await _rows(h)
        assert (row.text, row.recipients) == (WORRY, 0)


async def test_too_long_is_cut_and_said_and_empty_is_asked_again(db_url: str) -> None:
    async with harness(db_url) as h:
        (ask,) = await h.sim.say("ana@x.com", "concern    ")
        assert "Tell me what's happening" in ask.fallback_text
        long = "x" * (MAX_CONCERN + 500)
        thanks = _only_text(await h.sim.say("ana@x.com", long))
        assert "passed on the first 2,000 characters" in thanks
        (row,) = await _rows(h)
        assert len(row.text) == MAX_CONCERN


async def test_cancel_sends_nothing_and_the_next_line_is_not_a_concern(db_url: str) -> None:
    async with harness(db_url) as h:
        (ask,) = await h.sim.say("ana@x.com", "concern")
        (cancelled,) = await h.sim.tap("ana@x.com", button(ask, actions.CONCERN_RAISE, "cancel"))
        assert cancelled.fallback_text.startswith("Cancelled — nothing was sent")
        (reply,) = await h.sim.say("ana@x.com", WORRY)
        assert reply.kind == "unknown"  # an ordinary line again
        (again,) = await h.sim.tap("ana@x.com", button(ask, actions.CONCERN_RAISE, "cancel"))
        assert "nothing waiting to be sent" in again.fallback_text
        await _deliver(h)
        assert await _rows(h) == [] and _concerns_to(h, "ceo@x.com") == []


async def test_the_button_in_the_check_in_and_the_home_view(db_url: str) -> None:
    async with harness(db_url) as h:
        await h.sim.run_until(datetime(2027, 4, 14, tzinfo=UTC))  # session 3's check-in
        (checkin, *_) = h.got("ana@x.com", "checkin")
        assert "tell the programme team in confidence" in checkin.fallback_text
        pair = await h.pair_of("ana@x.com")
        raise_it = button(checkin, actions.CONCERN_RAISE)
        assert raise_it.value == str(pair.id)
        (ask,) = await h.sim.tap("ana@x.com", raise_it)
        assert "never your partner" in ask.fallback_text
        _only_text(await h.sim.say("ana@x.com", WORRY))
        (row,) = await _rows(h)
        assert row.pair_id == pair.id
        # The home view (Slack App Home) and `status` (Teams, console) offer it too.
        (status,) = await h.sim.say("bo@x.com", "status")
        assert button(status, actions.CONCERN_RAISE).value == ""
        home = await h.app.engine.home(UserRef(PLATFORM, TENANT, "ana@x.com"))
        assert button(home, actions.CONCERN_RAISE).label == "Raise a concern"


async def test_a_forged_button_for_someone_elses_pair_changes_nothing(db_url: str) -> None:
    async with harness(db_url) as h:
        pair_a = await h.pair_of("ana@x.com")
        forged = Button("Raise a concern", actions.CONCERN_RAISE, str(pair_a.id))
        (reply,) = await h.sim.tap("bo@x.com", forged)
        assert "isn't for you" in reply.fallback_text
        (typed,) = await h.sim.say("bo@x.com", WORRY)
        assert typed.kind == "unknown"  # nothing was waiting for Bo's text
        (junk,) = await h.sim.tap("bo@x.com", Button("x", actions.CONCERN_RAISE, "12:x"))
        assert "isn't for you" in junk.fallback_text
        assert await _rows(h) == []


async def test_forget_me_cancels_a_concern_not_sent_yet_and_erases_it(db_url: str) -> None:
    async with harness(db_url, contacts=["hana@x.com"]) as h:
        _only_text(await h.sim.say("ana@x.com", f"concern {WORRY}"))
        # Before the notice goes out, Ana asks to be forgotten.
        (confirm,) = await h.sim.say("ana@x.com", "forget me")
        await h.sim.tap("ana@x.com", button(confirm, actions.PRIVACY_FORGET, "confirm"))
        await _deliver(h)
        assert _concerns_to(h, "hana@x.com") == []
        cancelled = await h.app.store.cancelled_work()
        assert any(w.idempotency_key.startswith("concern:") for w in cancelled)
        (row,) = await _rows(h)
        assert (row.sender_id, row.pair_id, row.text) == (None, None, "")
        assert (await h.app.store.concern_counts()).undelivered == 0


async def test_concern_with_text_after_a_bare_concern_sends_once(db_url: str) -> None:
    async with harness(db_url) as h:
        await h.sim.say("ana@x.com", "concern")
        thanks = _only_text(await h.sim.say("ana@x.com", f"concern {WORRY}"))
        assert "Your reference is C-1." in thanks
        (reply,) = await h.sim.say("ana@x.com", "thanks, that's all")
        assert reply.kind == "unknown"  # no longer waiting for a concern
        assert len(await _rows(h)) == 1


async def test_a_flood_of_concerns_is_held_back_after_the_daily_limit(db_url: str) -> None:
    async with harness(db_url) as h:
        for n in range(DAILY_LIMIT):
            assert "Your reference is" in _only_text(await h.sim.say("bo@x.com", f"concern {n}"))
        held = _only_text(await h.sim.say("bo@x.com", "concern one more"))
        assert "this one wasn't sent" in held and SUPPORT in held
        assert len(await _rows(h)) == DAILY_LIMIT
        h.clock.set(h.clock.now() + timedelta(days=1, minutes=1))
        assert "Your reference is" in _only_text(await h.sim.say("bo@x.com", "concern again"))
