"""`mentorbot demo`: a five-minute tour of a programme, in simulated time, in the terminal.

It imports the sample organisation shipped with the package into a throwaway SQLite database,
lets the console stand in for Slack and Teams, and plays what people and admins would see.
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
import textwrap
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import TextIO

from adapters.console.platform import PLATFORM, TENANT
from adapters.console.session import ConsoleSession
from bot.app import Mentorbot, build_app
from bot.clock import SimulatedClock
from bot.demo_people import DemoPeople
from bot.demo_printing import DemoSender, heading
from bot.platforms import adapter_deps
from bot.roster_import import import_roster_file
from bot.settings import ConfigError, Secrets, Settings, load_config, parse_config
from bot.simulation import Simulation
from conversations.programme.session_texts import consent_buttons
from conversations.types import (
    Identity,
    Pair,
    PairStatus,
    Person,
    Role,
    Status,
)

DEMO_START = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)  # a Monday, a week before the programme
PROGRAMME_END = datetime(2027, 9, 1, tzinfo=UTC)  # past graduation and the 30-day follow-ups
BAD_ROSTER = b"""email,name,level,role,timezone,manager_email
ana@example.com,Ana,two,mentor,Europe/London,
bo@example.com,Bo,3,teacher,Europe/Lodnon,
ana@example.com,Ana again,2,mentee,UTC,nobody@example.com
"""


def demo_config(admin_email: str) -> Settings:
    """The demo programme's settings (the same schema as app.yaml)."""
    config = parse_config(
        {
            "programme": {
                "name": "Northwind Reverse Mentoring 2027",
                "start_date": "2027-01-11",
                "sessions": 6,
                "cadence_days": 28,
                "timezone": "Europe/London",
            },
            "admins": [admin_email],
        },
        source="demo",
    )
    return Settings(config=config, secrets=Secrets())


def _sample_roster() -> bytes:
    return resources.files("bot.data").joinpath("sample_roster.csv").read_bytes()


def _pick(people: list[Person], **wanted: object) -> Person:
    for person in people:
        if all(getattr(person, key) == value for key, value in wanted.items()):
            return person
    raise LookupError(f"the sample roster has no person with {wanted}")


async def run_demo(
    *, database_url: str | None, out: TextIO, config: Path = Path("app.yaml")
) -> int:
    """Play the tour, then say how to run a programme yourself (with `config`); returns the
    exit code."""
    with tempfile.TemporaryDirectory(prefix="mentorbot-demo-") as tmp:
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'demo.db'}"
        roster_path = Path(tmp) / "roster.csv"
        roster_path.write_bytes(_sample_roster())
        bad_path = Path(tmp) / "roster-with-mistakes.csv"
        bad_path.write_bytes(BAD_ROSTER)
        clock = SimulatedClock(DEMO_START)
        admin = _admin_of(_sample_roster())
        settings = demo_config(admin)
        settings = Settings(settings.config, Secrets(database_url=url))
        async with build_app(settings, clock=clock, rng=random.Random(7)) as app:
            await _tour(app, clock, roster_path, bad_path, out)
    print(try_it_yourself(config, datetime.now(UTC).date(), kept=database_url), file=out)
    return 0


TRY_AS = "priya.raghunathan@example.com"  # a senior the sample's first round pairs
TRY_JUNIOR = "aisha.alsayed@example.com"  # …with this junior (tests/scenarios checks it)


def try_it_yourself(config: Path, today: date, *, kept: str | None = None) -> str:
    """The demo's last words: the commands that run a programme of one's own in the terminal,
    exactly as they work from here (this folder's app.yaml and database, the shipped roster).
    `kept`: the demo's own database, when it was given one to keep.

    `--now` jumps past the welcomes (each person's next working day at 10:00 local time) to
    the programme's start date, when the second partner's Accept introduces the pair at once.
    """
    command = _command_name()
    roster = _shown_path(Path(str(resources.files("bot.data").joinpath("sample_roster.csv"))))
    lines = ["", "", "━━ Try it yourself " + "━" * 58]
    try:
        start: date | None = load_config(config).programme.start_date
    except ConfigError as error:
        start = None
        lines.append(f"First an app.yaml: {error}")
    day = max(today + timedelta(days=7), start or today)
    # A working day (delivery hours skip weekends). The consent reminder never comes with the
    # preview: it waits consent_reminder_days after the preview truly went out.
    while day.weekday() >= 5:
        day += timedelta(days=1)
    now = f"{day:%Y-%m-%d}T12:00Z"
    lines += [
        (
            f"The demo's data stays in {kept}; these"
            if kept
            else "The demo's database is gone; these"
        )
        + " use the one next to app.yaml (or $DATABASE_URL).",
        "With no Slack or Teams configured, the terminal is the platform:",
        "",
        f"  {command} roster import {roster}",
        f"  {command} match --publish",
        f"  {command} tick --now {now}",
        f"  {command} chat --as {TRY_AS} --now {now}",
        f"  {command} chat --as {TRY_JUNIOR} --now {now}",
        "",
        "In each chat, type `accept` (or its number): once both partners have said yes, the",
        'pair is introduced. The README\'s "Try it in the terminal" goes on: the intro,',
        "did-you-meet, the pulse.",
    ]
    return "\n".join(lines)


def _command_name() -> str:
    """How this `mentorbot` was started, so the printed commands run as they are."""
    script = Path(sys.argv[0])
    if script.name != "mentorbot":  # `python -m bot`
        return f"{_shown_path(Path(sys.executable))} -m bot"
    on_path = shutil.which("mentorbot")
    if on_path and Path(on_path).resolve() == script.resolve():
        return "mentorbot"
    return _shown_path(script)


def _shown_path(path: Path) -> str:
    """`path` relative to the current folder when it is inside it (shorter to type)."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _admin_of(roster: bytes) -> str:
    """The most senior person in the People team runs the programme in the demo."""
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(roster.decode("utf-8-sig"))))
    people_team = [r for r in rows if r.get("department", "").strip() == "People"] or rows
    return max(people_team, key=lambda r: int(r["level"]))["email"].strip().casefold()


async def _tour(
    app: Mentorbot, clock: SimulatedClock, roster: Path, bad_roster: Path, out: TextIO
) -> None:
    config = app.settings.config
    print(f"Mentorbot demo — {config.programme.name}", file=out)
    print(
        "Simulated time, a throwaway SQLite database, and the terminal standing in for Slack "
        "and Teams.",
        file=out,
    )

    heading(out, "1. The programme team imports the company roster")
    print("A roster with mistakes is refused whole, with a line per problem:\n", file=out)
    from bot.errors import UserError

    try:
        await import_roster_file(app, bad_roster, dry_run=False, deactivate_missing=False, out=out)
    except UserError as error:
        shown = str(error).replace(f"{bad_roster.parent}/", "")
        print("  " + shown.replace("\n", "\n  "), file=out)
    print("\nThe real roster imports cleanly:\n", file=out)
    await import_roster_file(app, roster, dry_run=False, deactivate_missing=False, out=out)

    people = await app.store.all_people()
    names = {p.email: f"{p.display_name} ({p.title or 'no title'})" for p in people}
    sender = DemoSender(out, names, clock)
    app.add_sender(sender)
    deps = adapter_deps(app)
    for person in people:  # in the demo everyone has the app installed
        await app.store.link_identity(
            Identity(person.id, PLATFORM, TENANT, person.email, dm_conversation_id=person.email)
        )

    heading(out, "2. Everyone enrolled is welcomed at 10:00 on their own working day")
    clock.set(DEMO_START + timedelta(days=1, hours=4))
    sender.quiet = True
    await app.tick()
    sender.quiet = False
    sender.summarise_hidden()

    junior = _pick(people, role=Role.MENTOR, status=Status.ENROLLED)
    heading(out, f"3. {junior.display_name}, a junior mentor, chats with the bot")
    session = ConsoleSession(junior.email, deps, sender)
    for line in ("status", "profile", "pause until 2027-02-01", "1"):
        print(f"\n{junior.display_name} types: {line}", file=out)
        await session.say(line)

    senior = _pick(people, status=Status.DIRECTORY)
    heading(out, f"4. {senior.display_name} was not nominated, but joins by themself")
    session = ConsoleSession(senior.email, deps, sender)
    for line in ("join", "2"):
        print(f"\n{senior.display_name} types: {line}", file=out)
        await session.say(line)

    admin = await app.store.person_by_email(config.admins[0])
    assert admin is not None
    heading(out, f"5. {admin.display_name}, the programme admin, runs the matching")
    admin_session = ConsoleSession(admin.email, deps, sender)
    for line in ("match", "match publish"):
        print(f"\n{admin.display_name} types: {line}", file=out)
        await admin_session.say(line)

    heading(out, "6. Both partners see the proposal first, privately, and both say yes")
    sender.quiet = True
    await app.tick()
    sender.quiet = False
    sender.summarise_hidden()
    pairs = await app.store.open_pairs()
    by_id = {p.id: p for p in await app.store.all_people()}
    for n, pair in enumerate(pairs):
        # The senior answers first, then the junior: the second yes introduces them.
        for who in (by_id[pair.mentee_id], by_id[pair.mentor_id]):
            if n == 0:
                print(f"\n{who.display_name} taps: 1 (Accept)", file=out)
            session = ConsoleSession(who.email, deps, sender)
            session.sender.buttons[who.email] = consent_buttons(pair.id).buttons
            sender.quiet = n > 0  # one pair's answers in full are enough; the rest quietly
            await session.say("1")
    sender.quiet = False
    sender.hidden.clear()
    print(f"\n  … and the other {len(pairs) - 1} pairs accept too.", file=out)

    heading(out, "7. On the programme's start date, every accepted pair is introduced")
    sender.quiet = True
    clock.set(datetime(2027, 1, 11, 18, tzinfo=UTC))
    await app.tick()
    sender.quiet = False
    sender.summarise_hidden()

    active = [p for p in await app.store.open_pairs() if p.status is PairStatus.ACTIVE]
    if len(active) > 1:
        await _end_one_pairing(app, clock, sender, active[-1], admin, out)
    if active:
        await _fast_forward(app, clock, sender, active[0], out)

    heading(out, "10. The admin checks the figures")
    print(f"\n{admin.display_name} types: report", file=out)
    await admin_session.say("report")


async def _end_one_pairing(
    app: Mentorbot,
    clock: SimulatedClock,
    sender: DemoSender,
    pair: Pair,
    admin: Person,
    out: TextIO,
) -> None:
    """One junior ends their pairing: privately, no fault, a reason for the programme team."""
    mentor = await app.store.get_person(pair.mentor_id)
    mentee = await app.store.get_person(pair.mentee_id)
    assert mentor is not None and mentee is not None
    heading(out, f"Meanwhile, {mentor.display_name} ends a pairing — privately, no fault")
    clock.set(datetime(2027, 1, 13, 9, tzinfo=UTC))
    session = ConsoleSession(mentor.email, adapter_deps(app), sender)
    for line in ("end pairing", "1", "Our calls kept turning into status updates."):
        print(f"\n{mentor.display_name} types: {line}", file=out)
        await session.say(line)
    told = (
        f"{mentee.display_name} gets a kind note with no reason; {admin.display_name} gets the "
        f"reason, and {mentee.first_name} waits for review before being matched again:"
    )
    print("\n" + textwrap.fill(told, 88), file=out)
    sender.featured = {mentee.email, admin.email}
    sender.quiet = True
    await app.tick()  # the programme team's notices: at once
    # The partner's note: at the delivery hour in their own time zone.
    due = await app.store.waiting_until(f"partner-left:{pair.id}:{mentee.id}")
    if due is not None:
        clock.set(max(due, clock.now()))
        await app.tick()
    sender.featured = set()
    sender.quiet = False
    sender.hidden.clear()


async def _fast_forward(
    app: Mentorbot, clock: SimulatedClock, sender: DemoSender, pair: Pair, out: TextIO
) -> None:
    """Play the whole programme; print one pair's side of it, count everyone else's."""
    mentor = await app.store.get_person(pair.mentor_id)
    mentee = await app.store.get_person(pair.mentee_id)
    assert mentor is not None and mentee is not None
    heading(out, "8. Six months in fast-forward, following one pair")
    intro = (
        f"Following {mentor.display_name} (junior mentor) and {mentee.display_name} (senior "
        "leader) message by message. Simulated people answer every button; everyone else's "
        "messages are counted, not shown."
    )
    print(textwrap.fill(intro, 88), file=out)
    sender.featured = {mentor.email, mentee.email}
    sender.quiet = True
    people = DemoPeople(pair, mentor.email, mentee.email, random.Random(11), out)
    await Simulation(app, clock, sender, people).run_until(PROGRAMME_END)
    sender.quiet = False
    sender.featured = set()
    heading(out, "9. Meanwhile, across the whole programme")
    sender.summarise_hidden()
