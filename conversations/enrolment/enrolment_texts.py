"""Message builders for enrolment, help and status: what people read, in one place.

Written for a busy person on a phone (docs/programme.md): warm, short, one clear next step, and a
button where a button beats typing. Builders are pure: data in, `OutgoingMessage` out.
"""

from __future__ import annotations

from datetime import date

from conversations import texts
from conversations.config import AppConfig
from conversations.outbox.premise import awake
from conversations.pairing.disclosure import WHAT_PARTNERS_SEE
from conversations.types import (
    Button,
    Buttons,
    Facts,
    OutgoingMessage,
    Person,
    Recipient,
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


def welcome(to: Recipient, person: Person, config: AppConfig, *, key: str) -> OutgoingMessage:
    """Sent once when a person is enrolled (by the roster or by joining)."""
    role = ROLE_PHRASES.get(person.role or Role.EITHER, ROLE_PHRASES[Role.EITHER])
    return texts.compose(
        to,
        "welcome",
        Text(f"Hi {person.first_name} 👋 Welcome to *{config.programme.name}*."),
        Text(f"You're taking part as {role}. {texts.programme_outline(config)}"),
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
    return texts.compose(to, "unknown", Text(text), Buttons(tuple(buttons)), private=True)


def status_text(person: Person, today: date, *, paired: bool = False) -> str:
    """Where a person stands, in one or two sentences (`paired`: they have a partner now)."""
    if person.status is Status.PAUSED:
        until = (
            f"until {texts.fmt_date(person.paused_until)}"
            if person.paused_until
            else "until you resume"
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


def privacy(to: Recipient, config: AppConfig) -> OutgoingMessage:
    """`privacy`: what the programme keeps about a person, who sees what, the one exception,
    and how to erase it (docs/programme.md; README.md, "Privacy"; the export's columns in
    docs/dashboard.md). Answered to anyone, in the directory or not."""
    k = config.privacy.min_group_size
    return texts.compose(
        to,
        "privacy",
        Text(
            "🔒 What the programme keeps about you: your profile (name, email, title, "
            "department, level, manager, time zone, role and topics) and chat accounts; when "
            "you paused; your pairings, why the matcher proposed them, any proposal you turned "
            "down, and how a pairing ended (which side ended it, and whether the senior is held "
            "for review); whether your sessions happened and who said so; your answers to its "
            "questions; any concern you raise, and any reason you give for ending a pairing; "
            "the messages it sends you; and the audit log's entries that name you."
        ),
        Text(
            "🤝 What you say in your sessions stays between you and your partner. Your partner "
            "sees what you do in your shared conversation (whether you met, the topic you "
            "picked, that you agreed to the ground rules), but never your ratings, comments "
            "or survey answers."
        ),
        Text(WHAT_PARTNERS_SEE),
        Text(
            "📊 The programme team sees your profile (also in its export of everyone's "
            "profiles), who is paired with whom and why, and whether sessions happen, and "
            "hears about a pair when sessions are missed, a check-in says it's stuck, a "
            "proposal goes unanswered or a pairing ends (with the reason, if you give one: "
            "only they read it). Your ratings reach them only as figures for groups of at "
            f"least {k} people, and a comment you write only if you agree to share it, without "
            "your name."
        ),
        Text(
            "🛟 The one exception: if someone's safety is at risk, it goes to the programme "
            "team. Type `concern` to reach them privately — never your partner."
        ),
        Text(
            "🗑️ To erase your personal data, type `forget me` (you'll be asked to confirm). "
            "What stays names nobody: published figures, and your pairings and sessions under "
            "a pseudonym."
        ),
        Text(config.privacy.support_text),
        private=True,
    )
