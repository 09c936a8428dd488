"""Message builders for enrolment, help and status: what people read, in one place.

Written for a busy person on a phone (docs/programme.md): warm, short, one clear next step, and a
button where a button beats typing. Builders are pure: data in, `OutgoingMessage` out.
"""

from __future__ import annotations

from datetime import date

from conversations.config import AppConfig
from conversations.insights.openness import SpokeOpenly
from conversations.outbox.premise import awake
from conversations.pairing.disclosure import WHAT_PARTNERS_SEE
from conversations.types import (
    Block,
    Button,
    Buttons,
    Facts,
    OutgoingMessage,
    Person,
    Premise,
    Recipient,
    ReportFigures,
    Role,
    Status,
    Text,
    actions,
)

ROLE_PHRASES = {
    Role.MENTOR: "a reverse mentor: you'll guide a senior leader",
    Role.MENTEE: "a mentee: a junior colleague will mentor you",
    Role.EITHER: "either side: the matcher will pick the side that fits best",
}
ROLE_BUTTONS = (
    Button("I'd like to mentor a senior leader", actions.ENROL_ROLE, Role.MENTOR.value, "primary"),
    Button("I'd like a junior mentor", actions.ENROL_ROLE, Role.MENTEE.value, "primary"),
    Button("Either is fine", actions.ENROL_ROLE, Role.EITHER.value),
)


def compose(
    to: Recipient,
    kind: str,
    *blocks: Block,
    key: str = "",
    private: bool = False,
    premise: Premise | None = None,
) -> OutgoingMessage:
    """Build a message whose fallback text is its text and facts, in order; `premise`: what
    must still be true when a queued copy is sent (conversations/outbox/premise.py)."""
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Text):
            lines.append(block.text)
        elif isinstance(block, Facts):
            lines.extend(f"{label}: {value}" for label, value in block.rows)
    return OutgoingMessage(
        to=to,
        kind=kind,
        fallback_text="\n".join(lines),
        blocks=tuple(blocks),
        idempotency_key=key,
        private=private,
        premise=premise,
    )


def plural(n: int, word: str, words: str | None = None) -> str:
    """`1 person`, `3 people`: the count with the right form of the noun."""
    return f"{n} {word if n == 1 else (words or word + 's')}"


def fmt_date(day: date) -> str:
    """A date as people read it: 'Mon 1 Feb 2027'."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def programme_outline(config: AppConfig) -> str:
    """One line on what the programme asks of people."""
    p = config.programme
    weeks = p.cadence_days // 7
    every = (
        f"every {weeks} weeks"
        if p.cadence_days % 7 == 0 and weeks > 1
        else ("every week" if p.cadence_days == 7 else f"every {p.cadence_days} days")
    )
    return f"{p.sessions} conversations, one {every}, from {fmt_date(p.start_date)}."


def welcome(to: Recipient, person: Person, config: AppConfig, *, key: str) -> OutgoingMessage:
    """Sent once when a person is enrolled (by the roster or by joining)."""
    role = ROLE_PHRASES.get(person.role or Role.EITHER, ROLE_PHRASES[Role.EITHER])
    return compose(
        to,
        "welcome",
        Text(f"Hi {person.first_name} 👋 Welcome to *{config.programme.name}*."),
        Text(f"You're taking part as {role}. {programme_outline(config)}"),
        Text(
            "I'll introduce you to your partner and keep things light: a nudge before each "
            "conversation, an idea to talk about, and a one-tap check-in after."
        ),
        Text(WHAT_PARTNERS_SEE),
        Text("Not the right time? You can leave now, or pause any time with `pause until DATE`."),
        Buttons(
            (
                Button("Sounds good", actions.HELP_COMMAND, "status", "primary"),
                Button("Leave the programme", actions.ENROL_LEAVE, "", "danger"),
            )
        ),
        key=key,
        premise=awake(person.id),
    )


def unknown_command(to: Recipient, problem: str, suggestion: str) -> OutgoingMessage:
    """A friendly answer to text the bot could not read, with a way forward."""
    if problem:
        text = problem
    elif suggestion:
        text = f"I didn't catch that. Did you mean `{suggestion}`?"
    else:
        text = "I didn't catch that. Type `help` to see what I can do."
    buttons = [Button("Show help", actions.HELP_COMMAND, "help")]
    if suggestion and not problem:
        buttons.insert(0, Button(f"Run `{suggestion}`", actions.HELP_COMMAND, suggestion))
    return compose(to, "unknown", Text(text), Buttons(tuple(buttons)), private=True)


def reply(to: Recipient, kind: str, text: str, *buttons: Button) -> OutgoingMessage:
    """A short private answer, optionally with buttons."""
    blocks: list[Block] = [Text(text)]
    if buttons:
        blocks.append(Buttons(tuple(buttons)))
    return compose(to, kind, *blocks, private=True)


def status_text(person: Person, today: date, *, paired: bool = False) -> str:
    """Where a person stands, in one or two sentences (`paired`: they have a partner now)."""
    if person.status is Status.PAUSED:
        until = (
            f"until {fmt_date(person.paused_until)}" if person.paused_until else "until you resume"
        )
        return f"You're paused {until}. I won't send you anything meanwhile."
    if person.status is Status.ENROLLED:
        role = ROLE_PHRASES.get(person.role or Role.EITHER, ROLE_PHRASES[Role.EITHER])
        if paired:
            return f"You're enrolled as {role}."
        return f"You're enrolled as {role}. I'll let you know as soon as you have a partner."
    if person.status is Status.LEFT:
        return "You've left the programme. You're welcome back any time: type `join`."
    return "You're not enrolled in the programme yet. Type `join` to take part."


def profile_facts(person: Person, default_timezone: str) -> Facts:
    """A person's profile as label/value rows (never shows anything sensitive)."""
    return Facts(
        (
            ("Name", person.display_name),
            ("Title", person.title or "—"),
            ("Department", person.department or "—"),
            ("Role", (person.role.value if person.role else "not chosen yet")),
            ("Can teach", ", ".join(person.teaches) or "—"),
            ("Wants to learn", ", ".join(person.learns) or "—"),
            ("Time zone", person.timezone or f"{default_timezone} (programme default)"),
        )
    )


def report_text(figures: ReportFigures, config: AppConfig) -> str:
    """The headline figures as a few lines for chat and the terminal."""
    rating = (
        f"{figures.average_rating:.1f} / 5"
        if figures.average_rating is not None
        else f"shown once a session or month closes with {config.privacy.min_group_size} "
        "or more people answering"
    )
    late = figures.late_answers
    roles = ", ".join(f"{n} {r}" for r, n in sorted(figures.by_role.items())) or "none yet"
    return "\n".join(
        [
            f"{config.programme.name} — programme report",
            f"Participants: {figures.participants} ({roles})",
            f"Active pairs: {figures.active_pairs}",
            f"Meetings reported: {figures.meetings_reported}",
            f"Pulse answers in closed windows: {figures.pulse_responses} (average rating {rating})"
            + (f"; {late} late answer{'s' * (late != 1)} not included" if late else ""),
            SpokeOpenly(
                figures.open_respondents,
                *figures.open_counts,
                hidden=figures.open_hidden,
                closes=figures.open_closes,
            ).text(config.privacy.min_group_size),
            f"Messages sent: {figures.messages_sent}",
        ]
    )
