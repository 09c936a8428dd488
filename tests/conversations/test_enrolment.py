"""Conversation-level tests of enrolment and self-service (send text, check the reply)."""

from __future__ import annotations

import json
import random
from datetime import date

import pytest

from conversations.config import AppConfig, ProgrammeConfig
from conversations.engine import Engine
from conversations.outbox.codec import message_from_dict
from conversations.types import (
    Action,
    Address,
    Identity,
    IncomingMessage,
    OutgoingMessage,
    Role,
    Status,
    UserRef,
    actions,
)
from tests.fakes import FakeClock, FakeStore, utc

ADDRESS = Address("console", "local", "dm")


class Flow:
    """botbuilder's TestFlow, in miniature: say something as someone, read the replies."""

    def __init__(self, admins: tuple[str, ...] = ("admin@example.com",)) -> None:
        self.store = FakeStore()
        self.clock = FakeClock(utc(2027, 1, 4, 9))
        config = AppConfig(
            programme=ProgrammeConfig(
                name="RM 2027", start_date=date(2027, 1, 11), timezone="Europe/London"
            ),
            admins=admins,
        )
        self.engine = Engine(self.store, config, self.clock, random.Random(1))

    async def person(self, email: str, level: int = 2, **fields: object) -> UserRef:
        person = self.store.add(email, level, **fields)
        user = UserRef("console", "local", email)
        await self.store.link_identity(Identity(person.id, "console", "local", email))
        return user

    async def say(self, user: UserRef, text: str) -> list[OutgoingMessage]:
        return await self.engine.handle(IncomingMessage(user, ADDRESS, text, self.clock.now()))

    async def tap(self, user: UserRef, action_id: str, value: str = "") -> list[OutgoingMessage]:
        return await self.engine.handle(Action(user, ADDRESS, action_id, value, self.clock.now()))


def text_of(replies: list[OutgoingMessage]) -> str:
    return "\n".join(r.fallback_text for r in replies)


@pytest.fixture
def flow() -> Flow:
    return Flow()


async def test_join_asks_for_a_side_then_enrols(flow: Flow) -> None:
    dana = await flow.person("dana@example.com", name="Dana")
    replies = await flow.say(dana, "join")
    assert "Which side" in text_of(replies)
    assert [b.value for b in replies[0].buttons()] == ["mentor", "mentee", "either"]
    replies = await flow.tap(dana, actions.ENROL_ROLE, "mentor")
    assert "Welcome to *RM 2027*" in text_of(replies)
    person = flow.store.people[1]
    assert (person.status, person.role) == (Status.ENROLLED, Role.MENTOR)


async def test_join_with_role_and_join_twice(flow: Flow) -> None:
    dana = await flow.person("dana@example.com")
    await flow.say(dana, "join as mentee")
    assert flow.store.people[1].role is Role.MENTEE
    assert "already in the programme" in text_of(await flow.say(dana, "join"))


async def test_leave_and_rejoin_by_button(flow: Flow) -> None:
    dana = await flow.person("dana@example.com", role=Role.MENTOR, status=Status.ENROLLED)
    replies = await flow.say(dana, "leave")
    assert flow.store.people[1].status is Status.LEFT
    assert replies[0].buttons()[0].action_id == actions.ENROL_REJOIN
    await flow.tap(dana, actions.ENROL_REJOIN)
    assert flow.store.people[1].status is Status.ENROLLED


async def test_pause_until_date_then_resumes_on_that_day(flow: Flow) -> None:
    dana = await flow.person(
        "dana@example.com", role=Role.MENTOR, status=Status.ENROLLED, timezone="America/New_York"
    )
    replies = await flow.say(dana, "pause until 2027-02-01")
    assert "Paused until Mon 1 Feb 2027" in text_of(replies)
    assert flow.store.people[1].status is Status.PAUSED
    # Nothing happens before the day; on the day, at 10:00 New York time, they are resumed.
    assert await flow.engine.run_due(utc(2027, 2, 1, 14, 59)) == []
    produced = await flow.engine.run_due(utc(2027, 2, 1, 15, 0))
    assert "Welcome back" in text_of(produced)
    assert flow.store.people[1].status is Status.ENROLLED
    queued = [message_from_dict(p) for p in flow.store.queued()]
    assert [m.kind for m in queued] == ["pause.ended"]
    assert await flow.engine.run_due(utc(2027, 2, 2)) == []  # exactly once


async def test_pause_rejects_past_dates_and_nonsense(flow: Flow) -> None:
    dana = await flow.person("dana@example.com", status=Status.ENROLLED, role=Role.MENTOR)
    assert "already come" in text_of(await flow.say(dana, "pause until 2026-12-01"))
    assert "couldn't read the date" in text_of(await flow.say(dana, "pause until someday"))
    assert flow.store.people[1].status is Status.ENROLLED


async def test_resume_early_cancels_the_scheduled_resume_message(flow: Flow) -> None:
    dana = await flow.person("dana@example.com", status=Status.ENROLLED, role=Role.MENTOR)
    await flow.say(dana, "pause until 2027-03-01")
    assert "Welcome back" in text_of(await flow.say(dana, "resume"))
    assert await flow.engine.run_due(utc(2027, 3, 2)) == []


async def test_profile_changes_are_validated(flow: Flow) -> None:
    dana = await flow.person("dana@example.com")
    assert "Time zone must be an IANA" in text_of(
        await flow.say(dana, "profile timezone Mars/Base")
    )
    replies = await flow.say(dana, "profile learns GenAI tools; Accessibility; GenAI tools")
    assert flow.store.people[1].learns == ("GenAI tools", "Accessibility")
    assert "Wants to learn: GenAI tools, Accessibility" in text_of(replies)


async def test_forget_me_needs_confirmation(flow: Flow) -> None:
    dana = await flow.person("dana@example.com", name="Dana")
    await flow.say(dana, "forget me")
    assert flow.store.people[1].name == "Dana"
    await flow.tap(dana, actions.PRIVACY_FORGET, "cancel")
    assert flow.store.people[1].name == "Dana"
    await flow.tap(dana, actions.PRIVACY_FORGET, "confirm")
    assert flow.store.people[1].name == "" and flow.store.identities == []
    # They are a stranger now.
    assert "don't know you" in text_of(await flow.say(dana, "status"))


async def test_admin_commands_are_refused_to_others_and_audited_for_admins(flow: Flow) -> None:
    dana = await flow.person("dana@example.com", status=Status.ENROLLED, role=Role.MENTOR)
    boss = await flow.person("admin@example.com", level=7)
    refusal = text_of(await flow.say(dana, "pause boss@example.com"))
    assert "Only programme admins" in refusal and "admin@example.com" in refusal
    assert "Participants: 1" in text_of(await flow.say(boss, "report"))
    replies = await flow.say(boss, "pause dana@example.com until 2027-05-01")
    assert "Paused dana until" in text_of(replies)
    assert [(e.actor, e.action) for e in flow.store.audit_log] == [
        ("dana@example.com", "refused"),  # the attempt is on record; nothing changed
        ("admin@example.com", "report"),
        ("admin@example.com", "pause"),
    ]
    assert "can't find nobody@example.com" in text_of(
        await flow.say(boss, "resume nobody@example.com")
    )


async def test_unknown_text_gets_help_and_a_suggestion(flow: Flow) -> None:
    dana = await flow.person("dana@example.com")
    replies = await flow.say(dana, "stauts")
    assert "Did you mean `status`" in text_of(replies)
    assert "Only programme admins" not in text_of(await flow.say(dana, "help"))


async def test_stranger_is_told_how_to_get_in(flow: Flow) -> None:
    stranger = UserRef("console", "local", "who@example.com")
    assert "don't know you" in text_of(await flow.say(stranger, "join"))
    assert "what I can do" in text_of(await flow.say(stranger, "help"))


async def test_welcome_is_queued_once_per_enrolment_for_the_next_delivery_slot(flow: Flow) -> None:
    flow.store.add(
        "ana@example.com",
        2,
        role=Role.MENTOR,
        status=Status.ENROLLED,
        timezone="Asia/Kolkata",
        enrolled_at=utc(2027, 1, 4, 9),
    )
    person = flow.store.people[1]
    assert await flow.engine.welcome([person]) == 1
    assert await flow.engine.welcome([person]) == 0
    work = next(iter(flow.store.work.values()))
    assert work.due_at == utc(2027, 1, 5, 4, 30)  # 10:00 in Kolkata, the next morning
    message = message_from_dict(work.payload)
    assert [b.action_id for b in message.buttons()][-1] == actions.ENROL_LEAVE


async def test_the_enrolment_form_saves_everything_at_once(flow: Flow) -> None:
    dana = await flow.person("dana@example.com", name="Dana")
    form = json.dumps(
        {
            "role": "mentor",
            "teaches": ["GenAI tools", "Accessibility"],
            "learns": [],
            "timezone": "Europe/Paris",
        }
    )
    welcome = text_of(await flow.tap(dana, actions.ENROL_FORM, form))
    assert "Welcome to" in welcome
    person = flow.store.people[1]
    assert person.status is Status.ENROLLED and person.role is Role.MENTOR
    assert person.teaches == ("GenAI tools", "Accessibility") and person.timezone == "Europe/Paris"
    # Enrolled already: the same form just saves.
    saved = text_of(await flow.tap(dana, actions.ENROL_FORM, '{"learns": ["Finance basics"]}'))
    assert "Saved" in saved and flow.store.people[1].learns == ("Finance basics",)


async def test_a_bad_form_changes_nothing_and_says_what_to_fix(flow: Flow) -> None:
    dana = await flow.person("dana@example.com", name="Dana")
    bad = '{"role": "boss", "timezone": "Mars/Olympus", "teaches": 3}'
    answer = text_of(await flow.tap(dana, actions.ENROL_FORM, bad))
    assert "Your role can be" in answer and "Time zone" in answer and "teaches" in answer
    assert flow.store.people[1].status is Status.DIRECTORY
    assert "unreadable" in text_of(await flow.tap(dana, actions.ENROL_FORM, "{not json"))


async def test_a_sender_the_adapter_already_looked_up_is_not_looked_up_again(flow: Flow) -> None:
    dana = await flow.person("dana@example.com", name="Dana")
    looked_up: list[UserRef] = []
    real = flow.store.person_by_identity

    async def counting(user: UserRef) -> object:
        looked_up.append(user)
        return await real(user)

    flow.store.person_by_identity = counting  # type: ignore[assignment,method-assign]
    person = flow.store.people[1]
    message = IncomingMessage(dana, ADDRESS, "join as mentor", flow.clock.now())
    replies = await flow.engine.handle(message, person=person)
    assert "Welcome to *RM 2027*" in text_of(replies) and looked_up == []
    await flow.say(dana, "status")  # without it, the engine looks the sender up itself
    assert looked_up == [dana]
