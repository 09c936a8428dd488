"""The closing survey: it counts the questions it asks, asks both partners "Could you speak
openly?", and stores only the answers it offers. On SQLite and PostgreSQL."""

from __future__ import annotations

from conversations.programme import survey_texts as pm
from conversations.types import Button, ToPerson, actions
from tests.scenarios.test_lifecycle_edges import harness


async def test_the_closing_survey_counts_its_questions_and_asks_both_to_speak_openly(
    db_url: str,
) -> None:
    async with harness(db_url) as h:
        pair = await h.pair_of("bo@x.com")
        bo, tara = (
            await h.app.store.get_person(pair.mentor_id),
            await h.app.store.get_person(pair.mentee_id),
        )
        assert bo is not None and tara is not None
        config = h.app.settings.config
        junior = pm.closing(ToPerson(bo.id), pair, bo, tara, config, key="k1")
        senior = pm.closing(ToPerson(tara.id), pair, tara, bo, config, key="k2")
        assert "Two quick questions, Bo" in junior.fallback_text
        assert "Three quick questions, Tara" in senior.fallback_text
        for message in (junior, senior):
            assert "Could you speak openly in your sessions?" in message.fallback_text
            opened = [b for b in message.buttons() if ":open:" in b.value]
            assert [b.label for b in opened] == ["Yes", "Mostly", "Not really"]
            assert [b.value for b in opened] == [
                f"{pair.id}:open:{a}" for a in pm.CLOSING_QUESTIONS["open"]
            ]
        assert "mentor Bo in return" in senior.fallback_text
        assert "in return" not in junior.fallback_text

        # Forged answers store nothing: another question, another answer, the senior's
        # question from the junior, or someone outside the pair.
        forged = [
            ("bo@x.com", f"{pair.id}:checkin:stuck"),
            ("bo@x.com", f"{pair.id}:missed:diary"),
            ("bo@x.com", f"{pair.id}:open:maybe"),
            ("bo@x.com", f"{pair.id}:reciprocal:yes"),
            ("ana@x.com", f"{pair.id}:open:no"),
        ]
        for email, value in forged:
            (reply,) = await h.sim.tap(email, Button("x", actions.CLOSING_ANSWER, value))
            assert "earlier message" in reply.fallback_text, value
        assert await h.app.store.survey_answers(pair.id) == {}

        not_really = next(b for b in junior.buttons() if b.value.endswith(":open:no"))
        (reply,) = await h.sim.tap("bo@x.com", not_really, message_id="c1")
        # A reply below the survey, not in its place: its other questions stay answerable.
        assert "type `concern`" in reply.fallback_text and reply.replaces is None
        yes = next(b for b in senior.buttons() if b.value.endswith(":open:yes"))
        (reply,) = await h.sim.tap("cto@x.com", yes)
        assert reply.fallback_text == "Thank you — noted. 🙏"
        assert await h.app.store.survey_answers(pair.id) == {
            (bo.id, "open"): "no",
            (tara.id, "open"): "yes",
        }
