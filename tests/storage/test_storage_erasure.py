"""`forget` against the real tables: what it cancels, rewrites and cuts, and what it leaves."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from conversations.outbox.codec import message_to_dict
from conversations.types import (
    Address,
    Identity,
    OutgoingMessage,
    Role,
    RosterEntry,
    Text,
    ToPair,
    ToPerson,
)
from storage.models import (
    AuditRow,
    DueWorkRow,
    PairRow,
    PendingInputRow,
    PulseResponseRow,
    SessionRow,
    SurveyAnswerRow,
)
from storage.sql_aggregates import pulse_facts
from storage.sql_erasure import FORGOTTEN_REASON
from storage.store import SqlStore

T0 = datetime(2027, 3, 10, 15, 42, tzinfo=UTC)  # a Wednesday
ROSTER = [
    RosterEntry(2, "ana@x.com", "Ana Lopez", 2, title="Data Wrangler", role=Role.MENTOR,
                slack_id="U0ANA", teams_id="aad-ana"),
    RosterEntry(3, "femi@x.com", "Femi", 7, title="CFO", role=Role.MENTEE),
    RosterEntry(4, "diana@x.com", "Ana Diaz", 3, title="Analyst", role=Role.MENTOR),
    RosterEntry(5, "bo@x.com", "Bo", 2, role=Role.MENTOR),
]  # fmt: skip


async def _people(store: SqlStore) -> dict[str, int]:
    await store.import_roster(ROSTER, deactivate_missing=False, dry_run=False, at=T0)
    found = {}
    for entry in ROSTER:
        person = await store.person_by_email(entry.email)
        assert person is not None
        found[entry.email.split("@")[0]] = person.id
    await store.link_identity(Identity(found["ana"], "slack", "T1", "U0ANA", "D0ANA"))
    return found


async def _pair(store: SqlStore, mentor: int, mentee: int, reasons: list[str]) -> int:
    async with store._sessions.begin() as session:
        row = PairRow(
            mentor_id=mentor,
            mentee_id=mentee,
            score=1.0,
            reasons=reasons,
            status="active",
            conversation_ids={"slack": "G0ANAFEMI"},
            created_at=T0,
            mentor_accepted_at=T0,
            mentee_accepted_at=T0,
        )
        session.add(row)
        await session.flush()
        return row.id


async def _queue(store: SqlStore, key: str, to: Any, text: str, **extra: Any) -> None:
    message = OutgoingMessage(to, "note", text, (Text(text),), idempotency_key=key)
    payload = message_to_dict(message) | extra
    await store.schedule("deliver", payload, T0, key)


async def _rows(store: SqlStore, model: Any) -> list[Any]:
    async with store._sessions() as session:
        return list(await session.scalars(select(model).order_by(model.id)))


async def test_forget_cancels_unsent_messages_about_them_and_strips_sent_ones(
    store: SqlStore,
) -> None:
    ids = await _people(store)
    ana, femi, diana, bo = ids["ana"], ids["femi"], ids["diana"], ids["bo"]
    pair = await _pair(store, ana, femi, ["Ana Lopez teaches GenAI tools", "cross-department"])
    other = await _pair(store, diana, femi, ["Ana Diaz teaches SQL"])
    # Sent before: to the partner naming her, and one of her own with the Slack DM in result.
    await _queue(store, "intro:sent", ToPerson(femi), "Meet Ana Lopez, Data Wrangler!")
    await _queue(store, "hello:sent", ToPerson(ana), "Hi Ana, welcome")
    # Waiting: a consent request naming her, a prompt to her pair, a nudge to her Slack DM,
    # session work of her pair, a retry that failed on her Slack id.
    await _queue(store, "consent:1", ToPerson(femi), "I'd like to pair you with *Ana Lopez*")
    await _queue(store, "prompt:1", ToPair(pair), "Session 2: talk about feedback")
    await _queue(store, "nudge:1@slack:D0ANA", Address("slack", "T1", "D0ANA"), "Did you meet?")
    await store.schedule("session.step", {"pair": pair, "step": "prompt"}, T0, "step:1")
    await _queue(store, "failed:1", ToPerson(femi), "Ana says you met")
    # Waiting and not about her: must go out as planned.
    await _queue(store, "consent:2", ToPerson(femi), "I'd like to pair you with *Ana Diaz*")
    await _queue(store, "hi:diana", ToPerson(diana), "Hi Ana, your session with Femi is due")
    await _queue(store, "hi:bo", ToPerson(bo), "Banana bread for diana@x.com and Bo (Analyst)")
    await store.schedule("session.step", {"pair": other, "step": "prompt"}, T0, "step:2")
    sent = await store.claim(T0, limit=2, lease_until=T0 + timedelta(minutes=1), worker="w")
    await store.complete_many({sent[0].id: "ts-1", sent[1].id: "D0ANA:1712.5"}, at=T0)
    [failed] = [w for w in await store.claim(T0, limit=20, lease_until=T0, worker="w")
                if w.idempotency_key == "failed:1"]  # fmt: skip
    await store.fail(failed.id, error="user_not_found U0ANA", at=T0, retry_at=None)
    async with store._sessions.begin() as session:  # give back the other leases
        for row in await session.scalars(select(DueWorkRow).where(DueWorkRow.status == "leased")):
            row.status, row.lease_until = "pending", None

    await store.forget(ana, at=T0)

    rows = {row.idempotency_key: row for row in await _rows(store, DueWorkRow)}
    for key in ("consent:1", "prompt:1", f"nudge:1@slack:forgotten-{ana}@invalid", "step:1"):
        assert (rows[key].status, rows[key].last_error) == ("cancelled", FORGOTTEN_REASON), key
    assert rows["failed:1"].status == "cancelled"
    for key in ("consent:2", "hi:diana", "hi:bo", "step:2"):
        assert rows[key].status == "pending", key  # another Ana, "Banana", diana@x.com
    assert rows["consent:2"].payload["fallback_text"].endswith("*Ana Diaz*")
    # Sent rows stay sent (exactly-once keeps its key) but keep only kind and recipient ids.
    assert rows["intro:sent"].status == "done" and rows["intro:sent"].result == "ts-1"
    assert rows["intro:sent"].payload == {
        "erased": FORGOTTEN_REASON,
        "kind": "note",
        "to": {"type": "person", "person_id": femi},
    }
    assert rows["hello:sent"].result == f"forgotten-{ana}@invalid:1712.5"
    assert rows["consent:1"].payload == {}  # a cancelled message keeps no content at all
    text = repr([(r.payload, r.idempotency_key, r.last_error, r.result) for r in rows.values()])
    for identifier in ("ana@x.com", "Ana Lopez", "Data Wrangler", "U0ANA", "D0ANA"):
        assert identifier not in text.replace("diana@x.com", ""), identifier
    # The next claim sends only what is not about her.
    claimed = await store.claim(T0, limit=20, lease_until=T0, worker="w")
    assert sorted(w.idempotency_key for w in claimed) == [
        "consent:2",
        "hi:bo",
        "hi:diana",
        "step:2",
    ]
    counts = await store.queue_counts()
    assert counts["cancelled"] == 5 and counts["done"] == 2

    pairs = {row.id: row for row in await _rows(store, PairRow)}
    assert (pairs[pair].reasons, pairs[pair].conversation_ids) == ([], None)
    assert (pairs[pair].mentor_accepted_at, pairs[pair].mentee_accepted_at) == (None, None)
    assert pairs[other].mentee_accepted_at is not None  # only her pairs forget the answers
    assert pairs[pair].mentor_id == ana  # the pair stays, pointing at the erased row
    assert pairs[other].reasons == ["Ana Diaz teaches SQL"]


async def test_forget_deletes_their_answers_and_keeps_the_partners(store: SqlStore) -> None:
    ids = await _people(store)
    ana, femi, diana, bo = ids["ana"], ids["femi"], ids["diana"], ids["bo"]
    pair = await _pair(store, ana, femi, [])
    elsewhere = await _pair(store, bo, diana, [])
    async with store._sessions.begin() as session:
        session.add(SessionRow(pair_id=pair, number=1, due_date=date(2027, 3, 8), status="met",
                               met=True, reported_by=ana, reported_at=T0))  # fmt: skip
        for person, side, comment in ((ana, "mentor", "mine"), (femi, "mentee", "Ana was great")):
            session.add(
                PulseResponseRow(person_id=person, pair_id=pair, session_number=1, met=True,
                                 rating=4 if person == ana else 5, comment=comment,
                                 comment_consent=True, side=side, created_at=T0)
            )  # fmt: skip
            session.add(SurveyAnswerRow(person_id=person, pair_id=pair, question="again",
                                        answer="yes", side=side, created_at=T0))  # fmt: skip
        session.add(
            PulseResponseRow(person_id=bo, pair_id=elsewhere, session_number=1, met=True,
                             rating=3, comment="Ana Lopez showed me SQL. Ana Diaz laughed",
                             comment_consent=True, side="mentor", created_at=T0)
        )  # fmt: skip
        session.add(PendingInputRow(person_id=ana, kind="pulse.comment",
                                    context={"pair": pair}, expires_at=T0))  # fmt: skip
    await store.record("ceo@x.com", "pause", "ana@x.com (Ana Lopez) until 2027-04-01", at=T0)
    await store.record("ana@x.com", "refused", "match", at=T0)
    await store.record("ceo@x.com", "pause", "diana@x.com (Ana Diaz), Data Wrangler", at=T0)
    before = await store.figures()

    await store.forget(ana, at=T0)

    pulses = await _rows(store, PulseResponseRow)
    # Her own answers are gone: kept without person or pair they would be the only such
    # rows, hers by elimination.
    assert [(p.person_id, p.pair_id, p.side, p.rating, p.comment) for p in pulses] == [
        # The partner's answer stays theirs; their comment no longer names her.
        (femi, pair, "mentee", 5, f"forgotten-{ana}@invalid was great"),
        # Elsewhere, a comment naming her in full loses her name; another Ana stays.
        (bo, elsewhere, "mentor", 3, f"forgotten-{ana}@invalid showed me SQL. Ana Diaz laughed"),
    ]
    surveys = await _rows(store, SurveyAnswerRow)
    assert [(s.person_id, s.pair_id, s.answer) for s in surveys] == [(femi, pair, "yes")]
    [session_row] = await _rows(store, SessionRow)
    assert session_row.reported_by is None and session_row.met is True
    assert await _rows(store, PendingInputRow) == []
    audit = [(a.actor, a.detail) for a in await _rows(store, AuditRow)]
    assert audit == [
        ("ceo@x.com", f"forgotten-{ana}@invalid ({f'forgotten-{ana}@invalid'}) until 2027-04-01"),
        (f"forgotten-{ana}@invalid", "match"),
        ("ceo@x.com", "diana@x.com (Ana Diaz), Data Wrangler"),  # someone else's entry
    ]
    after = await store.figures()
    assert after.meetings_reported == before.meetings_reported  # the session was held
    async with store._sessions() as session:
        facts = await pulse_facts(session)
    assert sorted((p.side, p.rating) for p in facts) == [("mentee", 5), ("mentor", 3)]


async def test_migration_0005_cuts_the_pair_from_answers_forgotten_before_it(
    blank_db_url: str,
) -> None:
    """Answers of people forgotten under 0002 kept pair_id and a comment: the upgrade cuts
    both, and leaves everyone else's answers alone."""
    from sqlalchemy import text

    from storage.db import create_engine, upgrade

    await upgrade(blank_db_url, revision="0002")
    engine = create_engine(blank_db_url)
    statements = [
        "INSERT INTO people (id, email, name, title, level, department, timezone, teaches, "
        "learns, status, first_in_line, created_at, updated_at) VALUES "
        "(1, 'forgotten-1@invalid', '', '', 2, '', '', '[]', '[]', 'left', false, :at, :at), "
        "(2, 'femi@x.com', 'Femi', '', 7, '', '', '[]', '[]', 'enrolled', false, :at, :at)",
        "INSERT INTO pairs (id, mentor_id, mentee_id, score, reasons, status, created_at) "
        "VALUES (1, 1, 2, 1.0, '[]', 'ended', :at)",
        "INSERT INTO pulse_responses (person_id, pair_id, session_number, rating, comment, "
        "comment_consent, side, created_at) VALUES "
        "(NULL, 1, 1, 4, 'said before', true, 'mentor', :at), "
        "(2, 1, 1, 5, 'mine', true, 'mentee', :at)",
        "INSERT INTO survey_answers (person_id, pair_id, question, answer, side, created_at) "
        "VALUES (NULL, 1, 'again', 'yes', 'mentor', :at), (2, 1, 'again', 'no', 'mentee', :at)",
    ]
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement), {"at": T0})
    finally:
        await engine.dispose()

    async def answers() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
        engine = create_engine(blank_db_url)
        try:
            async with engine.connect() as connection:
                pulses = (
                    await connection.execute(
                        text("SELECT person_id, pair_id, comment, rating FROM pulse_responses "
                             "ORDER BY id")
                    )
                ).all()  # fmt: skip
                surveys = (
                    await connection.execute(
                        text("SELECT person_id, pair_id, answer FROM survey_answers ORDER BY id")
                    )
                ).all()
        finally:
            await engine.dispose()
        return [tuple(r) for r in pulses], [tuple(r) for r in surveys]

    await upgrade(blank_db_url, revision="0005")
    pulses, surveys = await answers()
    assert pulses == [(None, None, None, 4), (2, 1, "mine", 5)]
    assert surveys == [(None, None, "yes"), (2, 1, "no")]
    # 0007 finishes the job the way `forget` now does: the forgotten person's answers go.
    await upgrade(blank_db_url)
    pulses, surveys = await answers()
    assert pulses == [(2, 1, "mine", 5)]
    assert surveys == [(2, 1, "no")]


async def test_forget_clears_dedupe_keys_admin_links_sessions_and_prompts(store: SqlStore) -> None:
    """The last places that held her: Slack's welcome dedupe key (her user id), the admin
    web's links and sessions issued to her email (she was an admin), a prompt an admin wrote
    about her. Her session stops working; other people's rows stay."""
    from storage.models import AdminLinkRow, AdminSessionRow, ProcessedEventRow, PromptRow

    ids = await _people(store)
    ana = ids["ana"]
    # As adapters/slack/translate.py keys a team_join event.
    assert await store.record_event("slack", "welcome:T0TEAM:U0ANA", T0)
    assert await store.record_event("slack", "welcome:T0TEAM:U0BOB", T0)
    assert await store.record_event("slack", "Ev0ANA1", T0)  # an event id that is not hers
    later = T0 + timedelta(hours=12)
    await store.issue_link("h-link-ana", "dashboard", "Ana@X.com", at=T0, expires_at=later)
    await store.issue_link("h-link-ceo", "dashboard", "ceo@x.com", at=T0, expires_at=later)
    await store.start_session("h-session-ana", "ana@x.com", at=T0, expires_at=later)
    await store.start_session("h-session-ceo", "ceo@x.com", at=T0, expires_at=later)
    await store.add_prompt("general", "Ask ANA  LOPEZ about her data pipeline", None)
    await store.add_prompt("general", "Ask about Ana Diaz's pipeline", None)
    assert await store.session_of("h-session-ana", T0) == "ana@x.com"

    await store.forget(ana, at=T0)

    events = {e.event_id for e in await _rows(store, ProcessedEventRow)}
    assert events == {"welcome:T0TEAM:U0BOB", "Ev0ANA1"}
    assert [link.issued_to for link in await _rows(store, AdminLinkRow)] == ["ceo@x.com"]
    assert [s.who for s in await _rows(store, AdminSessionRow)] == ["ceo@x.com"]
    assert await store.session_of("h-session-ana", T0) is None  # signed out
    assert await store.use_link("h-link-ana", "dashboard", T0) is None
    prompts = sorted(p.text for p in await _rows(store, PromptRow) if p.source == "admin")
    assert prompts == [
        "Ask about Ana Diaz's pipeline",
        f"Ask forgotten-{ana}@invalid about her data pipeline",
    ]


async def test_a_worker_holding_rows_when_she_is_forgotten_cannot_bring_them_back(
    store: SqlStore,
) -> None:
    """A delivery worker claimed her pair's message and a note to her, then `forget` ran:
    splitting the pair message afterwards queues no child carrying her name, and finishing
    or retrying the note leaves it cancelled and stripped, with no error text naming her."""
    from conversations.ports import NewWork

    ids = await _people(store)
    ana, femi = ids["ana"], ids["femi"]
    pair = await _pair(store, ana, femi, [])
    await _queue(store, "nudge:1", ToPair(pair), "Ana Lopez and Femi: how was it?")
    await _queue(store, "note:1", ToPerson(ana), "Hi Ana Lopez")
    await _queue(store, "note:2", ToPerson(ana), "Hi again Ana Lopez")
    claimed = await store.claim(T0, limit=10, lease_until=T0 + timedelta(minutes=2), worker="w")
    rows = {w.idempotency_key: w for w in claimed}

    await store.forget(ana, at=T0)

    nudge = rows["nudge:1"]
    children = [
        NewWork("deliver", dict(nudge.payload) | {"side": d}, T0, f"nudge:1@{d}", parent=nudge.id)
        for d in ("D0ANA", "D0FEMI")
    ]
    inserted = await store.fan_out(
        {nudge.id: "fanned out to 2"},
        children,
        at=T0,
        leased_by="w",
        lease_until=T0 + timedelta(minutes=2),
    )
    await store.complete(rows["note:1"].id, at=T0, result="ts=1")
    await store.fail(rows["note:2"].id, error="user U0ANA not found", at=T0, retry_at=T0)

    assert inserted == {}
    queue = {row.id: row for row in await _rows(store, DueWorkRow)}
    assert len(queue) == 3  # no child was queued
    for row in queue.values():
        assert (row.status, row.last_error) == ("cancelled", FORGOTTEN_REASON)
        assert "Ana" not in repr(row.payload) and "U0ANA" not in repr(row.payload)
        assert row.result is None
    assert await store.claim(T0 + timedelta(hours=1), limit=10,
                             lease_until=T0 + timedelta(hours=2), worker="w2") == []  # fmt: skip
