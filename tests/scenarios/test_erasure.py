"""`forget me` after a whole programme: the person is nowhere in the database afterwards.

Ana (on the console, Slack and Teams) lives a six-session programme with Femi: pulses, a
comment, check-in and closing answers, admin actions naming her. Then an admin pairs her again
by hand, which queues a consent request to the partner naming her, and Ana asks to be
forgotten before it goes out. Every text and JSON column of every table is then scanned for
each of her identifiers, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import json
import random
import re
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import JSON, String, Text, cast, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.console.platform import PLATFORM, TENANT
from adapters.console.sender import ConsoleSender
from bot.app import Mentorbot, build_app
from bot.clock import SimulatedClock
from bot.simulation import Simulation, button
from conversations.types import Identity, PairStatus, actions
from storage.models import Base, DueWorkRow, PulseResponseRow, SurveyAnswerRow
from storage.sql_erasure import FORGOTTEN_REASON
from tests.scenarios.test_matching_round import PEOPLE
from tests.scenarios.test_programme import END, PUBLISH, People, settings

EMAIL, FULL_NAME, FIRST_NAME, TITLE = "ana@x.com", "Ana Lopez", "Ana", "Junior Data Wrangler"
SLACK_USER, SLACK_DM = "U0ANA", "D0ANA"
AAD_ID, TEAMS_USER, TEAMS_CHAT = "aad-0ana", "29:1ana-teams", "a:1ana-chat"
TEAMS_REFERENCE = json.dumps(
    {
        "activityId": None,
        "bot": {"id": "28:mentorbot", "name": "Mentorbot"},
        "channelId": "msteams",
        "conversation": {"conversationType": "personal", "id": TEAMS_CHAT, "tenantId": "t-1"},
        "serviceUrl": "https://smba.example.net/emea/",
        "user": {"aadObjectId": AAD_ID, "id": TEAMS_USER, "name": FULL_NAME},
    },
    sort_keys=True,
)
PLATFORM_IDS = (SLACK_USER, SLACK_DM, AAD_ID, TEAMS_USER, TEAMS_CHAT)
ROSTER = [
    replace(e, name=FULL_NAME, title=TITLE, slack_id=SLACK_USER, teams_id=AAD_ID)
    if e.email == EMAIL
    else e
    for e in PEOPLE
]


async def _scan(engine: AsyncEngine) -> list[str]:
    """Every identifier of Ana found in any text or JSON column of any table, as
    'table.column: identifier' (JSON cast to text, so PostgreSQL compares it as text too)."""
    checks = [(EMAIL, re.compile(re.escape(EMAIL), re.IGNORECASE))]
    checks += [(i, re.compile(re.escape(i), re.IGNORECASE)) for i in PLATFORM_IDS]
    # Names and titles as whole words: "Ana" must not be found in "Banana".
    checks += [(w, re.compile(rf"(?<!\w){re.escape(w)}(?!\w)")) for w in (FULL_NAME, TITLE)]
    # However her name was typed: any case, any spacing, with or without the accent.
    checks += [(FULL_NAME, re.compile(r"(?<!\w)ana\s+l[oó]pez(?!\w)", re.IGNORECASE))]
    checks += [(FIRST_NAME, re.compile(rf"(?<!\w){FIRST_NAME}(?!\w)"))]
    found = []
    async with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            if not columns:
                continue
            rows = await connection.execute(select(*(cast(c, Text) for c in columns)))
            for row in rows:
                for column, value in zip(columns, row, strict=True):
                    for identifier, pattern in checks:
                        if value and pattern.search(value):
                            found.append(f"{table.name}.{column.name}: {identifier}")
    return sorted(set(found))


async def _answers(engine: AsyncEngine, person_id: int | None) -> list[tuple[str, int]]:
    """The pulse and survey answers of one person (None: those of nobody), as (table, id)."""
    found = []
    async with engine.connect() as connection:
        for model in (PulseResponseRow, SurveyAnswerRow):
            column = model.person_id
            where = column.is_(None) if person_id is None else column == person_id
            ids = await connection.scalars(select(model.id).where(where))
            found += [(model.__tablename__, answer_id) for answer_id in ids]
    return found


async def _live_a_programme(app: Mentorbot, sim: Simulation) -> None:
    """Round one from publish to graduation, with admin actions naming Ana."""
    await app.store.import_roster(ROSTER, deactivate_missing=False, dry_run=False, at=PUBLISH)
    for person in await app.store.all_people():
        await app.store.link_identity(Identity(person.id, PLATFORM, TENANT, person.email))
    ana = await app.store.person_by_email(EMAIL)
    assert ana is not None
    await app.store.link_identity(Identity(ana.id, "slack", "T0ACME", SLACK_USER, SLACK_DM))
    await app.store.link_identity(
        Identity(ana.id, "teams", "t-1", AAD_ID, TEAMS_CHAT, "https://smba.example.net/emea/",
                 TEAMS_REFERENCE)
    )  # fmt: skip
    await sim.say(EMAIL, "report")  # refused and audited under her email
    await sim.say("ceo@x.com", "match publish")
    await sim.run_until(END)


async def test_forget_me_leaves_no_trace_of_the_person_in_any_table(db_url: str) -> None:
    clock = SimulatedClock(PUBLISH)
    async with build_app(settings(db_url), clock=clock, rng=random.Random(5)) as app:
        sender = ConsoleSender(io.StringIO(), names=str, clock=clock.now)
        sender.silent = True
        app.add_sender(sender)
        sim = Simulation(app, clock, sender, People())
        await _live_a_programme(app, sim)
        ana = await app.store.person_by_email(EMAIL)
        assert ana is not None
        # The programme left her everywhere: the scan sees it before she is forgotten.
        assert len(await _scan(app.db)) >= 8

        # Round two by hand: a consent request naming her waits for Femi; a dated pause of
        # hers waits too.
        await sim.say("ceo@x.com", "pause ana@x.com until 2027-12-01")
        await sim.say("ceo@x.com", "resume ana@x.com")
        await sim.say("ceo@x.com", "pair ana@x.com with cfo@x.com --force")
        [pair] = [p for p in await app.store.pairs_of(ana.id) if p.status is PairStatus.PROPOSED]
        async with app.store._sessions() as session:
            consent = await session.scalar(
                select(DueWorkRow).where(DueWorkRow.idempotency_key == f"consent:{pair.id}")
            )
        assert consent is not None and consent.status == "pending"
        assert FULL_NAME in json.dumps(consent.payload)
        # Slack's dedupe key of her team_join event holds her user id; an admin wrote a prompt
        # naming her as people type names.
        await app.store.record_event("slack", f"welcome:T0ACME:{SLACK_USER}", clock.now())
        await app.store.add_prompt("general", "Ask ANA  LÓPEZ how she cleans data", None)
        assert len(await _answers(app.db, ana.id)) >= 2  # her pulse and survey answers
        before = await app.store.figures()

        [confirm] = await sim.say(EMAIL, "forget me")
        [done] = await sim.tap(EMAIL, button(confirm, actions.PRIVACY_FORGET, "confirm"))
        assert "personal data is erased" in done.fallback_text

        assert await _scan(app.db) == []
        # Her own answers are gone, not kept anonymous: they would be the only rows without
        # a person, hers by elimination.
        assert await _answers(app.db, None) == []
        async with app.store._sessions() as session:
            consent = await session.get(DueWorkRow, consent.id, populate_existing=True)
        assert consent is not None
        assert (consent.status, consent.last_error) == ("cancelled", FORGOTTEN_REASON)
        told = len(sender.sent)
        await sim.run_until(clock.now() + timedelta(days=60))
        later = [(address.conversation_id, m.kind) for address, m in sender.sent[told:]]
        assert ("cfo@x.com", "consent") not in later  # it never went out
        assert [kind for who, kind in later if who == EMAIL] == []
        after = await app.store.figures()
        assert after.meetings_reported == before.meetings_reported == 10
        assert after.pulse_responses == before.pulse_responses
        assert after.average_rating == before.average_rating
        # Still nothing after the ticks that followed.
        assert await _scan(app.db) == []


async def test_an_admin_forgets_someone_after_confirming_and_only_an_admin_can(
    db_url: str,
) -> None:
    clock = SimulatedClock(PUBLISH)
    async with build_app(settings(db_url), clock=clock, rng=random.Random(5)) as app:
        sender = ConsoleSender(io.StringIO(), names=str, clock=clock.now)
        sender.silent = True
        app.add_sender(sender)
        sim = Simulation(app, clock, sender, People())
        await app.store.import_roster(ROSTER, deactivate_missing=False, dry_run=False, at=PUBLISH)
        for person in await app.store.all_people():
            await app.store.link_identity(Identity(person.id, PLATFORM, TENANT, person.email))
        await sim.say("ceo@x.com", "match publish")
        await sim.run_until(PUBLISH + timedelta(days=10))  # Femi accepted; they were introduced
        ana = await app.store.person_by_email(EMAIL)
        assert ana is not None
        assert [p.status for p in await app.store.pairs_of(ana.id)] == [PairStatus.ACTIVE]

        assert "`forget EMAIL`" in (await sim.say("ceo@x.com", "help"))[0].fallback_text
        [unknown] = await sim.say("ceo@x.com", "forget nobody@x.com")
        assert "can't find nobody@x.com" in unknown.fallback_text
        [asked] = await sim.say("ceo@x.com", "forget ana@x.com")
        assert FULL_NAME in asked.fallback_text and "can't be undone" in asked.fallback_text
        await sim.tap("ceo@x.com", button(asked, actions.PRIVACY_FORGET_PERSON, "cancel"))
        # A non-admin replaying the admin's button is refused, and it is recorded.
        [refused] = await sim.tap(
            "bo@x.com", button(asked, actions.PRIVACY_FORGET_PERSON, f":{ana.id}")
        )
        assert "Only programme admins" in refused.fallback_text
        assert await app.store.person_by_email(EMAIL) is not None  # nothing erased yet

        [done] = await sim.tap(
            "ceo@x.com", button(asked, actions.PRIVACY_FORGET_PERSON, f":{ana.id}")
        )

        pseudonym = f"forgotten-{ana.id}@invalid"
        assert pseudonym in done.fallback_text
        assert await app.store.person_by_email(EMAIL) is None
        entries = [(e.actor, e.action, e.detail) for e in await app.store.recent(50)]
        assert ("ceo@x.com", "forget", pseudonym) in entries
        assert ("bo@x.com", "refused", "forget") in entries
        assert await _scan(app.db) == []
        # Femi hears the pairing ended, without her name.
        told = len(sender.sent)
        await sim.run_until(clock.now() + timedelta(days=3))
        [gone] = [m for a, m in sender.sent[told:] if a.conversation_id == "cfo@x.com"]
        assert (
            gone.kind == "partner_left" and "your pairing has come to an end" in gone.fallback_text
        )
        assert FIRST_NAME not in gone.fallback_text


async def test_an_admin_who_forgets_themself_is_told_app_yaml_still_lists_them(
    db_url: str,
) -> None:
    clock = SimulatedClock(PUBLISH)
    async with build_app(settings(db_url), clock=clock, rng=random.Random(5)) as app:
        sender = ConsoleSender(io.StringIO(), names=str, clock=clock.now)
        sender.silent = True
        app.add_sender(sender)
        sim = Simulation(app, clock, sender, People())
        await app.store.import_roster(ROSTER, deactivate_missing=False, dry_run=False, at=PUBLISH)
        for person in await app.store.all_people():
            await app.store.link_identity(Identity(person.id, PLATFORM, TENANT, person.email))
        assert app.settings.config.is_admin("ceo@x.com")

        [confirm] = await sim.say("ceo@x.com", "forget me")
        [done] = await sim.tap("ceo@x.com", button(confirm, actions.PRIVACY_FORGET, "confirm"))

        assert "personal data is erased" in done.fallback_text
        assert "still listed under `admins` in app.yaml" in done.fallback_text
        # The reply is queued and kept like any message: it does not repeat the email.
        assert "ceo@x.com" not in done.fallback_text
        assert await app.store.person_by_email("ceo@x.com") is None
