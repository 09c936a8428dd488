"""`mentorbot demo`: a five-minute tour of a programme, in simulated time, in the terminal.

It imports the sample organisation shipped with the package into a throwaway SQLite database,
lets the console stand in for Slack and Teams, and plays what people and admins would see.
"""

from __future__ import annotations

import random
import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import TextIO

from adapters.console.sender import PLATFORM, TENANT, ConsoleSender
from adapters.console.session import ConsoleSession
from bot.app import Mentorbot, build_app
from bot.clock import SimulatedClock
from bot.roster_import import import_roster_file
from bot.settings import Secrets, Settings, parse_config
from conversations import actions
from conversations.domain import Identity, Person, Role, Status
from conversations.types import Address, Button, Delivery, OutgoingMessage

DEMO_START = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)  # a Monday, a week before the programme
SHOW_PER_KIND = 2  # the demo prints a couple of each scheduled message, then counts the rest
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
    """Prints the first few messages of each kind in full, then only counts them."""

    def __init__(self, out: TextIO, names: dict[str, str], clock: SimulatedClock) -> None:
        super().__init__(out, names=lambda email: names.get(email, email), clock=clock.now)
        self.shown: Counter[str] = Counter()
        self.hidden: Counter[str] = Counter()
        self.quiet = False  # True while scheduled messages go out in bulk

    async def send(self, message: OutgoingMessage, address: Address) -> Delivery:
        """Print, or (in bulk) just count once enough of this kind were shown."""
        if not self.quiet or self.shown[message.kind] < SHOW_PER_KIND:
            self.shown[message.kind] += 1
            return await super().send(message, address)
        self.hidden[message.kind] += 1
        return Delivery(
            PLATFORM, f"console-hidden-{sum(self.hidden.values())}", address, self.clock()
        )

    def summarise_hidden(self) -> None:
        """One line for the messages that were sent but not printed."""
        for kind, count in sorted(self.hidden.items()):
            print(f"\n  … and {count} more `{kind}` messages, one per person.", file=self.out)
        self.hidden.clear()


def _consent_buttons(pair_id: int) -> tuple[Button, ...]:
    """The buttons of a consent preview, as the senior would see them."""
    return (
        Button("Accept", actions.CONSENT_ACCEPT, str(pair_id)),
        Button("Ask for someone else", actions.CONSENT_DECLINE, str(pair_id)),
    )


def _heading(out: TextIO, text: str) -> None:
    print(f"\n\n━━ {text} " + "━" * max(3, 76 - len(text)), file=out)


def _sample_roster() -> bytes:
    return resources.files("bot.data").joinpath("sample_roster.csv").read_bytes()


def _pick(people: list[Person], **wanted: object) -> Person:
    for person in people:
        if all(getattr(person, key) == value for key, value in wanted.items()):
            return person
    raise LookupError(f"the sample roster has no person with {wanted}")


async def run_demo(*, database_url: str | None, out: TextIO) -> int:
    """Play the tour; returns the exit code."""
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
    return 0


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

    _heading(out, "6. Each senior leader sees their proposed mentor first, privately")
    sender.quiet = True
    await app.tick()
    sender.quiet = False
    sender.summarise_hidden()
    pairs = await app.store.open_pairs()
    by_id = {p.id: p for p in await app.store.all_people()}
    for n, pair in enumerate(pairs):
        mentee = by_id[pair.mentee_id]
        if n == 0:
            print(f"\n{mentee.display_name} taps: 1 (Accept)", file=out)
        session = ConsoleSession(mentee.email, app.engine.handle, sender, clock.now)
        session.sender.buttons[mentee.email] = _consent_buttons(pair.id)
        sender.quiet = n > 0  # one answer in full is enough; the rest accept quietly
        await session.say("1")
    sender.quiet = False
    sender.hidden.clear()
    print(f"\n  … and the other {len(pairs) - 1} seniors accept too.", file=out)

    _heading(out, "7. On the programme's start date, every accepted pair is introduced")
    sender.quiet = True
    clock.set(datetime(2027, 1, 11, 18, tzinfo=UTC))
    await app.tick()
    sender.quiet = False
    sender.summarise_hidden()

    _heading(out, "8. The admin checks the figures")
    print(f"\n{admin.display_name} types: report", file=out)
    await admin_session.say("report")
    print(
        "\nTry it yourself: `mentorbot chat --as EMAIL` after `mentorbot roster import`.", file=out
    )
