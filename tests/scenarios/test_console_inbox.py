"""The console inbox in-process, on SQLite and PostgreSQL: what each person receives, in what
order, and what a typed line presses."""

from __future__ import annotations

import io
import random
from datetime import datetime
from pathlib import Path

from adapters.console.translate import pick_button
from bot.app import build_app
from bot.clock import SimulatedClock
from bot.platforms import console_inbox
from bot.roster_import import import_roster_file
from bot.settings import Secrets, Settings, parse_config
from conversations.enrolment.self_service import erase
from conversations.pairing.rounds import publish
from conversations.types import Button, OutgoingMessage, actions
from tests.fakes import utc

ROSTER = """email,name,title,level,department,manager_email,timezone,role,teaches,learns
maya@example.com,Maya Okafor,CEO,8,Operations,,Europe/London,mentee,,GenAI tools
ana@example.com,Ana Diaz,Analyst,2,Finance,,Europe/London,mentor,GenAI tools,
"""


def settings(db_url: str) -> Settings:
    config = parse_config(
        {"programme": {"name": "Test Programme", "start_date": "2027-01-11"}}, source="test"
    )
    return Settings(config=config, secrets=Secrets(database_url=db_url))


async def test_the_consent_preview_waits_for_the_welcome(db_url: str, tmp_path: Path) -> None:
    """Imported and published at 11:00 on a Monday (after that day's 10:00 delivery hour):
    the welcome is due on Tuesday at 10:00, and the preview, due "now" until this fix, went
    out first. Now Monday's tick delivers neither, Tuesday's the welcome, then the preview."""
    roster = tmp_path / "people.csv"
    roster.write_text(ROSTER)
    clock = SimulatedClock(utc(2027, 1, 4, 11))
    received: list[tuple[int, str, datetime]] = []
    async with build_app(settings(db_url), clock=clock, rng=random.Random(1)) as app:

        async def delivered(person_id: int, message: OutgoingMessage) -> None:
            received.append((person_id, message.kind, clock.now()))

        app.add_sender(console_inbox(app, delivered))
        await import_roster_file(
            app, roster, dry_run=False, deactivate_missing=False, out=io.StringIO()
        )
        _, pairs, _ = await publish(app.engine.ctx, "test", clock.now())
        assert len(pairs) == 1
        maya = pairs[0].mentee_id

        clock.set(utc(2027, 1, 4, 12))
        await app.tick()
        assert [kind for who, kind, _ in received if who == maya] == []

        clock.set(utc(2027, 1, 5, 10))
        await app.tick()
        assert [kind for who, kind, _ in received if who == maya] == ["welcome", "consent"]
        assert {when for who, _, when in received if who == maya} == {utc(2027, 1, 5, 10)}

        # The inbox keeps them for `mentorbot chat`, newest first, each with its buttons.
        inbox = await app.store.delivered_with_result(f"console:{maya}:")
        assert [payload["kind"] for _, payload in inbox] == ["consent", "welcome"]
        assert "Ana Diaz" in str(inbox[0][1])

        # Erasing Ana erases her from Maya's inbox too: it is the queue's sent rows.
        ana = await app.store.person_by_email("ana@example.com")
        assert ana is not None
        await erase(app.engine.ctx, ana, clock.now())
        inbox = await app.store.delivered_with_result(f"console:{maya}:")
        assert [payload["kind"] for _, payload in inbox] == ["consent", "welcome"]
        assert "Ana" not in str(inbox[0][1]) and "fallback_text" not in inbox[0][1]


def test_a_typed_number_or_label_presses_a_button() -> None:
    buttons = (
        Button("Accept", actions.CONSENT_ACCEPT, "1", "primary"),
        Button("Ask for someone else", actions.CONSENT_DECLINE, "1"),
        Button("We met ✅", actions.MEETING_MET, "7:1"),
        Button("Accept", actions.CONSENT_ACCEPT, "2"),  # a reminder's, shown later
    )
    assert pick_button("2", buttons) == buttons[1]
    assert pick_button("[3]", buttons) == buttons[2]
    assert pick_button("we met", buttons) == buttons[2]  # no emoji needed
    assert pick_button("ASK FOR SOMEONE ELSE", buttons) == buttons[1]
    assert pick_button("accept", buttons) == buttons[3]  # the latest of the same label
    assert pick_button("5", buttons) is None
    assert pick_button("accept please", buttons) is None  # a message to the bot
    assert pick_button("✅", buttons) is None


def test_a_message_of_several_questions_shows_each_row_under_its_question() -> None:
    from adapters.console.render import render
    from adapters.console.translate import pick_button
    from conversations.types import Button, Buttons, OutgoingMessage, Text, ToPerson

    blocks = (
        Text("Two quick questions."),
        Text("Could you speak openly?"),
        Buttons((Button("Yes", "c", "1:open:yes"), Button("Not really", "c", "1:open:no"))),
        Text("Again?"),
        Buttons((Button("Yes", "c", "1:again:yes"), Button("No", "c", "1:again:no"))),
    )
    message = OutgoingMessage(ToPerson(1), "closing", "unused", blocks)
    shown = render(message, first_number=3).splitlines()
    assert shown == [
        "  Two quick questions.",
        "  Could you speak openly?",
        "  [3] Yes   [4] Not really",
        "  Again?",
        "  [5] Yes   [6] No",
    ]
    # Numbers are still those of message.buttons(), so typing one presses that button.
    assert pick_button("2", message.buttons()) == Button("Not really", "c", "1:open:no")
