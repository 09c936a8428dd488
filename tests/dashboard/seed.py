"""A small programme written straight into the database, for the dashboard and export tests.

The lifecycle that fills sessions, prompt deliveries and pulses is built elsewhere; these tests
seed the rows through the ORM so the figures below are known exactly (k = 5, today 2027-04-01):

- Enrolled: Engineering 7, Sales 6, Legal 2, Finance 1 (16). Legal + Finance = 3 < k, and
  hiding them would leave 16 − 7 − 6 = 3 derivable, so Sales joins them: the department
  breakdown shows Engineering and "other" (9).
- Round 1: six active pairs, one ended pair (its mentor was later forgotten); round 2: one
  active pair (the Legal senior, back again) and one proposed pair stuck for 31 days.
- Sessions: round 1 has 13 due, 11 held, 1 missed (pair 2), 1 unanswered (pair 3); round 2 has
  1 due, unanswered but not yet overdue for the at-risk list.
- Pulses: session 1 (technology prompt) rated by 6 junior mentors and 2 seniors; session 2
  (inclusion prompt) by 2 people only, so inclusion is hidden; a forgotten person's answer.
  On 1 April round 1's sessions 1 and 2 have closed (due 8 Feb and 8 Mar, 14 days' grace):
  session 1 is published with 8 respondents (average 35 / 9), session 2 as "not enough answers".
- Comments: 5 consented (one a spreadsheet formula), 1 private.
- Queue: 10 sent, 1 failed for good, 1 waiting to retry. One unreachable person, one enrolled
  person with no platform account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import create_engine, make_sessionmaker
from storage.models import (
    Base,
    CycleRow,
    DueWorkRow,
    IdentityRow,
    PairRow,
    PersonRow,
    ProgrammeRow,
    PromptDeliveryRow,
    PromptRow,
    PulseResponseRow,
    SessionRow,
)

NOW = datetime(2027, 4, 1, 10, 0, tzinfo=UTC)
INTRO = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)
SCRIPT_NAME = '<script>alert("x")</script>'
QUOTE_NAME = 'Zoë "Zed" O\'Neil'
RTL_NAME = "מרים כהן"
FORMULA_COMMENT = '=HYPERLINK("http://evil.example","click")'
PRIVATE_COMMENT = "PRIVATE: my senior never listens"
CONSENTED_COMMENTS = (
    FORMULA_COMMENT,
    "+1 would do again",
    "Learned a lot about how our apps feel to new starters",
    "Good questions, honest answers",
    "We ran out of time, as always",
)
SMALL_DEPARTMENTS = ("Legal", "Finance")


@dataclass
class Seeded:
    """Ids of what was seeded, by short name (e1…e7, s1…s6, l1, l2, f1, u1, gone; P1…P9)."""

    people: dict[str, int] = field(default_factory=dict)
    pairs: dict[str, int] = field(default_factory=dict)


def _person(key: str, name: str, department: str, level: int, role: str | None) -> PersonRow:
    return PersonRow(
        email=f"{key}@example.com",
        name=name,
        title="",
        level=level,
        department=department,
        timezone="Europe/London",
        role=role,
        teaches=["ai"] if role == "mentor" else [],
        learns=["ai"] if role == "mentee" else [],
        status="enrolled",
        enrolled_at=INTRO - timedelta(days=7),
        created_at=INTRO - timedelta(days=7),
        updated_at=INTRO - timedelta(days=7),
    )


async def _add_people(session: AsyncSession, seeded: Seeded) -> dict[str, PersonRow]:
    people: dict[str, PersonRow] = {}
    names = {"e2": SCRIPT_NAME, "e3": QUOTE_NAME, "s5": RTL_NAME}  # all in pairs at risk
    for dept, prefix, mentors, mentees in (
        ("Engineering", "e", range(1, 5), range(5, 8)),
        ("Sales", "s", range(1, 4), range(4, 7)),
        ("Legal", "l", range(1, 2), range(2, 3)),
        ("Finance", "f", range(0), range(1, 2)),
    ):
        for n in mentors:
            key = f"{prefix}{n}"
            people[key] = _person(key, names.get(key, f"Junior {key.upper()}"), dept, 2, "mentor")
        for n in mentees:
            key = f"{prefix}{n}"
            people[key] = _person(key, names.get(key, f"Senior {key.upper()}"), dept, 8, "mentee")
    people["u1"] = _person("u1", "Una Reachable", "Operations", 3, "mentor")
    people["u1"].status = "unreachable"
    gone = _person("gone", "", "", 2, "mentor")
    gone.status = "left"
    people["gone"] = gone
    session.add_all(people.values())
    await session.flush()
    gone.email = f"forgotten-{gone.id}@invalid"
    for key, row in people.items():
        seeded.people[key] = row.id
        if key not in ("f1", "gone"):  # f1 has no platform account; the forgotten lost theirs
            session.add(IdentityRow(person_id=row.id, platform="slack", user_id=f"U{row.id}"))
    return people


async def seed_programme(url: str, now: datetime = NOW) -> Seeded:
    """Write the programme described in the module docstring into the migrated database.

    With `now`, every date moves by whole days so that `now` plays the part of 1 April 2027
    (a server subprocess runs on the real clock).
    """
    engine = create_engine(url)
    seeded = Seeded()
    try:
        async with make_sessionmaker(engine).begin() as session:
            added: list[Base] = []  # strong references: the identity map holds rows weakly
            event.listen(session.sync_session, "transient_to_pending", lambda _, r: added.append(r))
            await _seed(session, seeded)
            shift = timedelta(days=(now.date() - NOW.date()).days)
            if shift:
                _shift_all(added, shift)
    finally:
        await engine.dispose()
    return seeded


async def _seed(session: AsyncSession, seeded: Seeded) -> None:
    p = await _add_people(session, seeded)
    programme = ProgrammeRow(name="Reverse Mentoring 2027", start_date=date(2027, 1, 11))
    session.add(programme)
    await session.flush()
    round1 = CycleRow(programme_id=programme.id, number=1, started_at=INTRO)
    round2 = CycleRow(
        programme_id=programme.id, number=2, started_at=datetime(2027, 3, 1, tzinfo=UTC)
    )
    session.add_all([round1, round2])
    await session.flush()
    specs = {
        "P1": ("e1", "s4", round1, "active", INTRO),
        "P2": ("e2", "s5", round1, "active", INTRO),
        "P3": ("e3", "s6", round1, "active", INTRO),
        "P4": ("s1", "e5", round1, "active", INTRO),
        "P5": ("s2", "e6", round1, "active", INTRO),
        "P6": ("s3", "e7", round1, "active", INTRO),
        "P7": ("gone", "l2", round1, "ended", INTRO),
        "P8": ("l1", "l2", round2, "active", round2.started_at),
        "P9": ("e4", "f1", round2, "proposed", round2.started_at),
    }
    pairs: dict[str, PairRow] = {}
    for key, (mentor, mentee, cycle, status, created) in specs.items():
        pairs[key] = PairRow(
            cycle_id=cycle.id,
            mentor_id=p[mentor].id,
            mentee_id=p[mentee].id,
            score=3.5,
            reasons=["shared topic: ai"],
            status=status,
            created_at=created,
            ended_at=datetime(2027, 3, 1, tzinfo=UTC) if status == "ended" else None,
        )
    session.add_all(pairs.values())
    await session.flush()
    seeded.pairs = {key: row.id for key, row in pairs.items()}

    due = [date(2027, 2, 8), date(2027, 3, 8), date(2027, 4, 5)]
    held = {
        "P1": (True, True, None),
        "P2": (True, False, None),
        "P3": (True, None, None),
        "P4": (True, True, None),
        "P5": (True, True, None),
        "P6": (True, True, None),
        "P7": (True, None, None),
    }
    for key, outcomes in held.items():
        for number, (when, met) in enumerate(zip(due, outcomes, strict=True), start=1):
            status = {True: "met", False: "missed", None: "scheduled"}[met]
            session.add(
                SessionRow(
                    pair_id=pairs[key].id,
                    number=number,
                    due_date=when,
                    status=status,
                    met=met,
                    reported_by=pairs[key].mentor_id if met is not None else None,
                    reported_at=datetime.combine(when, datetime.min.time(), UTC)
                    if met is not None
                    else None,
                )
            )
    session.add(SessionRow(pair_id=pairs["P8"].id, number=1, due_date=date(2027, 3, 29)))

    tech = PromptRow(track="technology", text="Show me the app you use most.", session=1)
    incl = PromptRow(track="inclusion", text="When did you last feel like an outsider?", session=2)
    unused = PromptRow(track="inclusion", text="What would make meetings fairer?", session=3)
    session.add_all([tech, incl, unused])
    await session.flush()
    for key in ("P1", "P2", "P3", "P4", "P5", "P6"):
        session.add_all(
            [
                PromptDeliveryRow(
                    pair_id=pairs[key].id, prompt_id=tech.id, session=1, delivered_at=INTRO
                ),
                PromptDeliveryRow(
                    pair_id=pairs[key].id,
                    prompt_id=incl.id,
                    session=2,
                    delivered_at=datetime(2027, 3, 6, tzinfo=UTC),
                ),
            ]
        )

    def pulse(who: str, pair: str, number: int, rating: int, side: str, **extra: object) -> None:
        answered = datetime.combine(due[number - 1], datetime.min.time(), UTC) + timedelta(hours=12)
        session.add(
            PulseResponseRow(
                person_id=p[who].id if who != "gone" else None,
                pair_id=pairs[pair].id,
                session_number=number,
                met=True,
                rating=rating,
                side=side,
                created_at=answered,
                **extra,
            )
        )

    comments = iter(CONSENTED_COMMENTS)
    for who, pair in (("e1", "P1"), ("e2", "P2"), ("e3", "P3"), ("s1", "P4"), ("s2", "P5")):
        pulse(who, pair, 1, 4, "mentor", comment=next(comments), comment_consent=True)
    pulse("s3", "P6", 1, 4, "mentor", comment=PRIVATE_COMMENT, comment_consent=False)
    pulse("s4", "P1", 1, 5, "mentee")
    pulse("s5", "P2", 1, 5, "mentee")
    pulse("e1", "P1", 2, 2, "mentor")  # inclusion: only two people answered, so it stays hidden
    pulse("s1", "P4", 2, 3, "mentor")
    pulse("gone", "P7", 1, 1, "mentor")  # anonymous since they were forgotten

    for n in range(10):
        session.add(_work(f"sent-{n}", "done"))
    failed = _work("failed-1", "failed")
    failed.last_error = "channel_not_found"
    failed.attempts = 8
    retry = _work("retry-1", "pending")
    retry.last_error = "ratelimited"
    session.add_all([failed, retry])


def _shift_all(rows: list[Base], shift: timedelta) -> None:
    """Move every date and time of the seeded rows by `shift`."""
    for row in rows:
        for column in row.__table__.columns:
            value = getattr(row, column.key)
            if isinstance(value, (date, datetime)):
                setattr(row, column.key, value + shift)


def _work(key: str, status: str) -> DueWorkRow:
    return DueWorkRow(
        kind="deliver",
        payload={},
        due_at=NOW - timedelta(days=1),
        idempotency_key=key,
        status=status,
        attempts=1,
        created_at=NOW - timedelta(days=2),
    )
