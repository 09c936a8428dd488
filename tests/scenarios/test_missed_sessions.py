"""A session the pair could not hold, without blame: the shared conversation names nobody,
each partner is asked privately what got in the way (reasons, never names), forged or old
buttons change nothing, and the admins hear about both partners alike, told "not reported"
apart from "couldn't meet". On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.simulation import button
from conversations.programme.survey_texts import missed_detail
from conversations.types import Button, Session, SessionStatus, ToPair, ToPerson, actions
from tests.scenarios.test_lifecycle_edges import harness

LONDON = ZoneInfo("Europe/London")
ASKED = datetime(2027, 2, 8, 11, tzinfo=UTC)  # session 1 was due Mon 8 Feb, asked at 10:00


async def test_we_couldnt_meet_names_nobody_and_asks_each_partner_privately(db_url: str) -> None:
    async with harness(db_url) as h:
        await h.sim.run_until(ASKED)
        (asked,) = h.got("bo@x.com", "did_you_meet")
        pair = await h.pair_of("bo@x.com")
        bo, tara = (
            await h.app.store.get_person(pair.mentor_id),
            await h.app.store.get_person(pair.mentee_id),
        )
        assert bo is not None and tara is not None and bo.email == "bo@x.com"
        start = len(h.sim.received)

        (said,) = await h.sim.tap(
            "bo@x.com", button(asked, actions.MEETING_MISSED), message_id="m1"
        )
        # The pair's shared reply: no buttons, nobody named, nothing asked about who.
        assert said.buttons() == () and said.replaces == "m1"
        assert "ask you each privately what got in the way" in said.fallback_text
        assert "Session 2 of 6 on Mon 8 Mar 2027" in said.fallback_text
        for word in ("Bo", "Tara", "Who", "who", "called off"):
            assert word not in said.fallback_text

        await h.sim.run_until(datetime(2027, 2, 10, 12, tzinfo=UTC))
        new = h.sim.received[start:]
        shared = [r.message for r in new if isinstance(r.message.to, ToPair)]
        assert all("called off" not in m.fallback_text for m in shared)
        (mine,) = [r for r in new if r.email == "bo@x.com" and r.message.kind == "missed_reason"]
        (hers,) = [r for r in new if r.email == "cto@x.com" and r.message.kind == "missed_reason"]
        assert mine.message.to == ToPerson(bo.id) and hers.message.to == ToPerson(tara.id)
        assert mine.at == ASKED  # the reporter at once
        assert hers.at.astimezone(LONDON).hour == 10  # the partner at her delivery hour
        assert "What got in the way of *Session 1 of 6*?" in hers.message.fallback_text
        assert "never Bo" in hers.message.fallback_text  # only the programme team sees it
        assert [b.label for b in hers.message.buttons()] == [
            "Diary clash",
            "Urgent work",
            "Something else",
            "Rather not say",
        ]
        assert hers.message.premise is not None and hers.message.premise.people == (tara.id,)

        # Forged and stale values change nothing.
        reason = button(mine.message, actions.MISSED_REASON, ":diary")
        forged = [
            ("ana@x.com", reason.value),  # not in this pair
            ("bo@x.com", f"{pair.id}:2:diary"),  # session 2 was not missed
            ("bo@x.com", f"{pair.id}:1:mentee"),  # a side is not a reason
            ("bo@x.com", f"{pair.id}:x:diary"),
            ("bo@x.com", "diary"),
        ]
        for email, value in forged:
            (reply,) = await h.sim.tap(email, Button("x", actions.MISSED_REASON, value))
            assert "earlier message" in reply.fallback_text
        assert await h.app.store.survey_answers(pair.id) == {}

        (thanks,) = await h.sim.tap("bo@x.com", reason, message_id=mine.message_id)
        assert thanks.fallback_text == "Thanks — noted. 🙏"
        assert thanks.replaces == mine.message_id
        skip = button(hers.message, actions.MISSED_REASON, ":skip")
        await h.sim.tap("cto@x.com", skip, message_id=hers.message_id)
        assert await h.app.store.survey_answers(pair.id) == {
            (bo.id, "missed:1"): "diary",
            (tara.id, "missed:1"): "skip",
        }

        # An old "who had to call it off?" button still in a chat records nothing, kindly.
        old = Button("Tara did", actions.MEETING_CANCELLED_BY, f"{pair.id}:1:partner")
        (kind,) = await h.sim.tap("bo@x.com", old, message_id="old-1")
        assert "no need to say who" in kind.fallback_text and kind.replaces == "old-1"
        (refused,) = await h.sim.tap("ana@x.com", old)
        assert "earlier message" in refused.fallback_text
        assert len(await h.app.store.survey_answers(pair.id)) == 2
        session = await h.app.store.get_session(pair.id, 1)
        assert session is not None and session.status is SessionStatus.MISSED

        # Session 2 goes unreported: after its lapse, the admins hear about both alike.
        await h.sim.run_until(datetime(2027, 3, 23, 12, tzinfo=UTC))
        notices = [m.fallback_text for m in h.got("ceo@x.com", "admin_notice")]
        (text,) = [t for t in notices if bo.display_name in t]
        # Ana and Femi answered nothing at all: theirs says so, no reasons invented.
        (other,) = [t for t in notices if bo.display_name not in t]
        assert "Session 1 — not reported; Session 2 — not reported" in other
        assert f"{bo.display_name} and {tara.display_name} have not held 2 of their" in text
        assert "Session 1 — couldn't meet (diary clash)" in text  # "rather not say" left out
        assert "Session 2 — not reported" in text
        assert "A friendly word to both may help." in text
        for word in ("mentor", "mentee", "called off", "skip"):
            assert word not in text


def test_missed_detail_merges_reasons_and_never_says_whose() -> None:
    reported = Session(1, 3, datetime(2027, 1, 1).date(), SessionStatus.MISSED, reported_by=7)
    lapsed = Session(1, 4, datetime(2027, 1, 1).date(), SessionStatus.MISSED, reported_by=None)
    answers = {(7, "missed:3"): "work", (8, "missed:3"): "diary", (8, "missed:4"): "other"}
    assert missed_detail(reported, answers) == "couldn't meet (diary clash, urgent work)"
    assert missed_detail(reported, {(7, "missed:3"): "skip"}) == "couldn't meet"
    assert missed_detail(reported, {(7, "missed:3"): "mentee"}) == "couldn't meet"
    # Nobody answered: "not reported", whatever anyone said later.
    assert missed_detail(lapsed, answers) == "not reported"
