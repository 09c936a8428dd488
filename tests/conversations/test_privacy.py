"""`privacy`: what the programme keeps, who sees what, the one exception, how to erase it."""

from __future__ import annotations

from conversations.config import DEFAULT_SUPPORT_TEXT, PrivacyConfig
from conversations.pairing.disclosure import WHAT_PARTNERS_SEE
from conversations.types import UserRef
from tests.conversations.test_enrolment import Flow, text_of


async def test_privacy_says_what_is_kept_and_who_sees_it() -> None:
    flow = Flow()
    dana = await flow.person("dana@example.com", name="Dana")
    [reply] = await flow.say(dana, "privacy")
    text = reply.fallback_text
    assert reply.private and reply.kind == "privacy"
    assert "What the programme keeps about you" in text
    assert "stays between you and your partner" in text
    assert WHAT_PARTNERS_SEE in text
    assert "only as figures for groups of at least 5 people" in text
    assert "only if you agree to share it, without your name" in text
    assert "safety is at risk" in text and "`concern`" in text
    assert "type `forget me`" in text
    assert text.rstrip().endswith(DEFAULT_SUPPORT_TEXT)


async def test_privacy_uses_the_programmes_own_settings() -> None:
    flow = Flow()
    config = flow.engine.config
    flow.engine.config = config.model_copy(
        update={"privacy": PrivacyConfig(min_group_size=8, support_text="Call Sam on 1234.")}
    )
    dana = await flow.person("dana@example.com")
    text = text_of(await flow.say(dana, "privacy"))
    assert "groups of at least 8 people" in text
    assert text.rstrip().endswith("Call Sam on 1234.")


async def test_privacy_is_everyones_and_listed_in_help() -> None:
    flow = Flow(admins=())
    dana = await flow.person("dana@example.com")
    assert "`privacy` — what the programme keeps about you" in text_of(await flow.say(dana, "help"))
    assert "Only programme admins" not in text_of(await flow.say(dana, "privacy"))
    assert "takes nothing after it" in text_of(await flow.say(dana, "privacy please"))


async def test_privacy_tells_the_whole_truth() -> None:
    """Every kind of record kept is named; the team's view includes the profile export; the
    partner's view is scoped to what the shared conversation shows."""
    flow = Flow()
    dana = await flow.person("dana@example.com")
    text = text_of(await flow.say(dana, "privacy"))
    for kept in (
        "when you paused",
        "why the matcher proposed them",
        "any proposal you turned down",
        "which side ended it",
        "held for review",
        "any reason you give for ending a pairing",
        "the messages it sends you",
        "the audit log's entries that name you",
    ):
        assert kept in text, kept
    assert "The programme team sees your profile (also in its export" in text
    assert "never your ratings, comments or survey answers" in text
    assert "Neither of you ever sees the other's answers" not in text


async def test_privacy_answers_someone_not_in_the_directory() -> None:
    flow = Flow()
    stranger = UserRef("console", "local", "new@example.com")
    [reply] = await flow.say(stranger, "privacy")
    assert reply.kind == "privacy" and "What the programme keeps about you" in reply.fallback_text
