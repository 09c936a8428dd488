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
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import TextIO

from adapters.console.sender import PLATFORM, TENANT, ConsoleSender
from adapters.console.session import ConsoleSession
from bot.app import Mentorbot, build_app
from bot.clock import SimulatedClock
from bot.roster_import import import_roster_file
from bot.settings import ConfigError, Secrets, Settings, load_config, parse_config
from bot.simulation import Received, Simulation, button
from conversations.pairing.pairing_texts import consent_buttons
from conversations.types import (
    Address,
    Button,
    Delivery,
    Identity,
    OutgoingMessage,
    Pair,
    PairStatus,
    Person,
    Role,
    Status,
    actions,
)

DEMO_START = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)  # a Monday, a week before the programme
PROGRAMME_END = datetime(2027, 9, 1, tzinfo=UTC)  # past graduation and the 30-day follow-ups
SHOW_PER_KIND = 2  # the demo prints a couple of each scheduled message, then counts the rest
FEATURED_IN_FULL = 4  # the followed pair's messages of one kind printed in full, then in brief
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


class DemoSender(ConsoleSender):
    """Prints the first few messages of each kind in full, then only counts them.

    People in `featured` always have their messages printed, dated: the demo follows one pair
    through the whole programme.
    """

    def __init__(self, out: TextIO, names: dict[str, str], clock: SimulatedClock) -> None:
        super().__init__(out, names=lambda email: names.get(email, email), clock=clock.now)
        self.shown: Counter[str] = Counter()
        self.hidden: Counter[str] = Counter()
        self.quiet = False  # True while scheduled messages go out in bulk
        self.featured: set[str] = set()
        self._last_day = ""

    async def send(self, message: OutgoingMessage, address: Address) -> Delivery:
        """Print, or (in bulk) just count once enough of this kind were shown."""
        featured = address.conversation_id in self.featured
        # While following a pair, only an admin's heads-up about someone else is worth showing.
        limited = not self.featured or message.kind == "admin_notice"
        show = featured or not self.quiet or (limited and self.shown[message.kind] < SHOW_PER_KIND)
        if show:
            self.shown[message.kind] += 1
            if featured:
                day = f"{self.clock():%a %d %b %Y, %H:%M} UTC"
                if day != self._last_day:
                    print(f"\n  ── {day}", file=self.out)
                    self._last_day = day
                if self.shown[message.kind] > FEATURED_IN_FULL:
                    # Seen this kind in full already: one line keeps six months readable.
                    who = self.names(address.conversation_id).split(" (")[0]
                    first = message.fallback_text.splitlines()[0].replace("*", "")
                    print(f"→ {who} ({message.kind}): {textwrap.shorten(first, 70)}", file=self.out)
                    self.silent = True
                    return await super().send(message, address)
        else:
            self.hidden[message.kind] += 1
        self.silent = not show
        return await super().send(message, address)

    def summarise_hidden(self) -> None:
        """One line for the messages that were sent but not printed."""
        for kind, count in sorted(self.hidden.items()):
            print(f"\n  … and {count} more `{kind}` messages.", file=self.out)
        self.hidden.clear()


def _heading(out: TextIO, text: str) -> None:
    print(f"\n\n━━ {text} " + "━" * max(3, 76 - len(text)), file=out)


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

    _heading(out, "1. The programme team imports the company roster")
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
    for person in people:  # in the demo everyone has the app installed
        await app.store.link_identity(
            Identity(person.id, PLATFORM, TENANT, person.email, dm_conversation_id=person.email)
        )

    _heading(out, "2. Everyone enrolled is welcomed at 10:00 on their own working day")
    clock.set(DEMO_START + timedelta(days=1, hours=4))
    sender.quiet = True
    await app.tick()
    sender.quiet = False
    sender.summarise_hidden()

    junior = _pick(people, role=Role.MENTOR, status=Status.ENROLLED)
    _heading(out, f"3. {junior.display_name}, a junior mentor, chats with the bot")
    session = ConsoleSession(junior.email, app.engine.handle, sender, clock.now)
    for line in ("status", "profile", "pause until 2027-02-01", "1"):
        print(f"\n{junior.display_name} types: {line}", file=out)
        await session.say(line)

    senior = _pick(people, status=Status.DIRECTORY)
    _heading(out, f"4. {senior.display_name} was not nominated, but joins by themself")
    session = ConsoleSession(senior.email, app.engine.handle, sender, clock.now)
    for line in ("join", "2"):
        print(f"\n{senior.display_name} types: {line}", file=out)
        await session.say(line)

    admin = await app.store.person_by_email(config.admins[0])
    assert admin is not None
    _heading(out, f"5. {admin.display_name}, the programme admin, runs the matching")
    admin_session = ConsoleSession(admin.email, app.engine.handle, sender, clock.now)
    for line in ("match", "match publish"):
        print(f"\n{admin.display_name} types: {line}", file=out)
        await admin_session.say(line)

    _heading(out, "6. Both partners see the proposal first, privately, and both say yes")
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
            session = ConsoleSession(who.email, app.engine.handle, sender, clock.now)
            session.sender.buttons[who.email] = consent_buttons(pair.id).buttons
            sender.quiet = n > 0  # one pair's answers in full are enough; the rest quietly
            await session.say("1")
    sender.quiet = False
    sender.hidden.clear()
    print(f"\n  … and the other {len(pairs) - 1} pairs accept too.", file=out)

    _heading(out, "7. On the programme's start date, every accepted pair is introduced")
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

    _heading(out, "10. The admin checks the figures")
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
    _heading(out, f"Meanwhile, {mentor.display_name} ends a pairing — privately, no fault")
    clock.set(datetime(2027, 1, 13, 9, tzinfo=UTC))
    session = ConsoleSession(mentor.email, app.engine.handle, sender, clock.now)
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
    _heading(out, "8. Six months in fast-forward, following one pair")
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
    _heading(out, "9. Meanwhile, across the whole programme")
    sender.summarise_hidden()


# The closing survey's questions, named in the transcript next to the button tapped.
CLOSING_LABELS = {
    "open": "could you speak openly?",
    "again": "would you take part again?",
    "reciprocal": "mentor your mentor in return?",
}


class DemoPeople:
    """How the demo's people answer. The followed pair has a realistic run (a session moved,
    one they couldn't hold, one forgotten until the nudge); everyone else mostly meets."""

    def __init__(
        self, pair: Pair, mentor: str, mentee: str, rng: random.Random, out: TextIO
    ) -> None:
        self.pair, self.mentor, self.mentee, self.rng, self.out = pair, mentor, mentee, rng, out
        self.moved: set[int] = set()
        # Its own generator, so the closing's answers leave every other answer as it was.
        self.open_rng = random.Random(13)

    async def __call__(self, sim: Simulation, got: Received) -> None:
        message, who = got.message, got.email
        buttons = {b.action_id for b in message.buttons()}
        featured = who in (self.mentor, self.mentee)
        value = message.buttons()[0].value if message.buttons() else ""
        fields = value.split(":")
        session = int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else 0
        choice: str | None = None
        suffix = ""
        if actions.MEETING_MET in buttons:
            if featured and not value.startswith(f"{self.pair.id}:"):
                return
            if featured:
                if who != self.mentee:
                    return  # one answer per pair: the senior's
                choice, suffix = self._followed(message.kind, session)
            elif self.rng.random() < 0.5:  # each partner's copy: about one answer per pair
                roll = self.rng.random()
                choice = (
                    actions.MEETING_MET
                    if roll < 0.85
                    else (actions.MEETING_MISSED if roll < 0.95 else None)
                )
        elif actions.GROUND_RULES_AGREE in buttons:
            choice = actions.GROUND_RULES_AGREE  # session 1: each partner agrees, once
        elif actions.TOPIC_CHOOSE in buttons and message.kind == "prep":
            # The junior picks the session's topic (the followed one, always the second).
            index = 1 if featured else self.rng.randrange(len(message.buttons()))
            suffix = message.buttons()[min(index, len(message.buttons()) - 1)].value
            choice = actions.TOPIC_CHOOSE
        elif actions.MISSED_REASON in buttons:  # asked privately: a reason, never a name
            choice, suffix = actions.MISSED_REASON, ":diary"
        elif actions.PULSE_RATE in buttons:
            choice, suffix = actions.PULSE_RATE, f":{self.rng.choice((3, 4, 4, 5, 5))}"
        elif actions.CHECKIN_ANSWER in buttons:
            choice, suffix = actions.CHECKIN_ANSWER, self.rng.choice((":good", ":good", ":ok"))
        elif actions.CLOSING_ANSWER in buttons:
            # Both questions of the one message: could they speak openly (most could), and
            # would they take part again.
            opened = self.open_rng.choice(("yes",) * 5 + ("mostly",) * 3 + ("no",))
            await self._tap(
                sim, got, featured, button(message, actions.CLOSING_ANSWER, f"open:{opened}")
            )
            choice, suffix = actions.CLOSING_ANSWER, "again:yes"
        elif actions.FOLLOWUP_TRIED in buttons:
            choice, suffix = actions.FOLLOWUP_TRIED, ":yes"
        elif actions.PULSE_SHARE in buttons:
            choice, suffix = actions.PULSE_SHARE, ":yes"
        if choice is None:
            return
        await self._tap(sim, got, featured, button(message, choice, suffix))
        if featured and choice == actions.PULSE_RATE and who == self.mentee and session == 1:
            line = "I'll try recording my Monday update as a short video."
            print(f"\n  {who.split('@')[0]} types: {line}", file=self.out)
            await sim.say(who, line)

    async def _tap(self, sim: Simulation, got: Received, featured: bool, pressed: Button) -> None:
        """Press `pressed`; the followed pair's taps are printed, with the question asked
        when one message asks several."""
        if featured:
            fields = pressed.value.split(":")
            question = CLOSING_LABELS.get(fields[1]) if len(fields) == 3 else None
            about = f" ({question})" if pressed.action_id == actions.CLOSING_ANSWER else ""
            print(f"\n  {got.email.split('@')[0]} taps: {pressed.label}{about}", file=self.out)
        await sim.tap(got.email, pressed, message_id=got.message_id)

    def _followed(self, kind: str, session: int) -> tuple[str | None, str]:
        if session == 2 and session not in self.moved:
            self.moved.add(session)
            return actions.MEETING_RESCHEDULED, ":7"
        if session == 3:
            return actions.MEETING_MISSED, ""
        if session == 4 and kind == "did_you_meet":
            return None, ""  # forgotten: the nudge a week later brings the answer
        return actions.MEETING_MET, ""
