"""What people read during the programme: prompts, did-you-meet, nudges, graduation, and the
notices to partners and admins (the questions they answer are in `survey_texts`). Pure
builders for a phone (docs/programme.md): warm, short, one clear next step; every scheduled
one says its session."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from conversations.config import AppConfig
from conversations.outbox import premise
from conversations.texts import compose, fmt_date
from conversations.types import (
    Button,
    Buttons,
    Facts,
    OutgoingMessage,
    Pair,
    Person,
    Prompt,
    Recipient,
    Session,
    SessionStatus,
    Text,
    ToPerson,
    actions,
)

RESCHEDULE_DAYS = (7, 14)


def session_label(number: int, config: AppConfig) -> str:
    """'Session 2 of 6'."""
    return f"Session {number} of {config.programme.sessions}"


def pair_ref(pair: Pair, number: int) -> str:
    """The "PAIR:SESSION" value a session's buttons carry."""
    return f"{pair.id}:{number}"


def recipient_ids(to: Recipient) -> tuple[int, ...]:
    """The person a private message goes to, for its premise: a message to one person must
    require that person still takes part (a pair's own conversation is covered by the pair's
    status, which ends when either partner leaves)."""
    return (to.person_id,) if isinstance(to, ToPerson) else ()


def ground_rules(mentor: Person, mentee: Person, config: AppConfig) -> tuple[Text, ...]:
    """Session 1's ground rules, for both partners: what stays private, the one exception and
    who to go to, the right to pass, and who leads."""
    return (
        Text("🤝 What you say stays between the two of you."),
        Text(
            "🛟 The one exception: if someone's safety is at risk, it goes to the programme team. "
            f"Either of you can reach them privately any time: type `concern`. "
            f"{config.privacy.support_text}"
        ),
        Text("✋ Either of you may pass on any question — no reason needed."),
        Text(f"🧭 {mentor.first_name} sets the agenda; {mentee.first_name} books the time."),
    )


def private_exits(pair: Pair) -> Buttons:
    """The buttons "Raise a concern" (concerns.py) and "End this pairing" (pair_endings.py,
    staying in the programme). Either answers only the partner who taps, privately, and
    checks they are in the pair: safe in the pair's shared conversation too."""
    return Buttons(
        (
            Button("Raise a concern", actions.CONCERN_RAISE, str(pair.id)),
            Button("End this pairing", actions.END_PAIRING, str(pair.id)),
        )
    )


def topic_prompt(
    to: Recipient,
    pair: Pair,
    session: Session,
    prompt: Prompt,
    mentor: Person,
    mentee: Person,
    config: AppConfig,
    *,
    picked: bool,
    key: str,
) -> OutgoingMessage:
    """The pair's topic for the coming session; session 1 opens with the ground rules and an
    "I agree" button for each partner. `picked`: the junior chose this topic."""
    label = session_label(session.number, config)
    when = fmt_date(session.due_date)
    intro = (
        f"{mentor.first_name} picked the topic for *{label}* (coming up on {when}):"
        if picked
        else f"*{label}* is coming up on {when}. An idea to talk about:"
    )
    blocks: list[Text | Buttons] = []
    if session.number == 1:
        blocks += [
            Text(f"*{label}* is coming up on {when}. It starts with your ground rules:"),
            *ground_rules(mentor, mentee, config),
            # The private ways out, here for every programme length (the midpoint check-in,
            # which has them too, only comes in programmes of three sessions or more).
            Text(
                "If something isn't right, now or later, either of you can tell the programme "
                "team in confidence, or end this pairing privately — nobody's fault."
            ),
            private_exits(pair),
        ]
        intro = f"Then a first topic {mentor.first_name} picked:" if picked else "Then, an idea:"
    blocks += [
        Text(intro),
        Text(f"💡 {prompt.text}"),
        Text("Use it, change it or ignore it — it's your conversation."),
    ]
    if session.number == 1:
        # Last, where a phone shows the button: agreeing is the one thing to do now.
        blocks += [
            Text("Happy with the ground rules? Each of you, tap once:"),
            Buttons((Button("I agree", actions.GROUND_RULES_AGREE, str(pair.id), "primary"),)),
        ]
    return compose(
        to,
        "prompt",
        *blocks,
        key=key,
        premise=premise.session_open(pair.id, session.number, session.due_date),
    )


def topic_choice(
    to: Recipient,
    pair: Pair,
    session: Session,
    mentee: Person,
    options: Sequence[Prompt],
    config: AppConfig,
    *,
    shared_on: date,
    key: str,
) -> OutgoingMessage:
    """The junior's private prep, a few working days ahead: pick this session's topic (the
    first option is the default) and how to prepare for it."""
    label = session_label(session.number, config)
    first = options[0]
    blocks: list[Text | Buttons] = [
        Text(
            f"Coming up: *{label}* with {mentee.first_name} on {fmt_date(session.due_date)}. "
            f"You lead — pick the topic and I'll share it with you both on {fmt_date(shared_on)}:"
        ),
        _topic_buttons(pair, session, options),
    ]
    if session.number == 1:
        blocks.append(
            Text(
                "It starts with your ground rules (what stays between you, passing on any "
                "question); I'll share them with you both."
            )
        )
    blocks += [
        Text(f"No time to choose? I'll go with “{first.title}”. To prepare: 🧭 {first.prep}"),
        Text("You're the expert in this room. Ten minutes of prep is plenty."),
    ]
    return compose(
        to,
        "prep",
        *blocks,
        key=key,
        premise=premise.session_open(
            session.pair_id, session.number, session.due_date, *recipient_ids(to)
        ),
    )


def topic_picked(
    to: Recipient,
    pair: Pair,
    session: Session,
    prompt: Prompt,
    others: Sequence[Prompt],
    config: AppConfig,
    *,
    shared_on: date,
) -> OutgoingMessage:
    """After the junior's pick: its prep note, when the pair sees it, and the other options
    (a second tap changes the pick until then)."""
    blocks: list[Text | Buttons] = [
        Text(
            f"✅ “{prompt.title}” it is for *{session_label(session.number, config)}*. "
            f"I'll share it with you both on {fmt_date(shared_on)}."
        ),
        Text(f"To prepare: 🧭 {prompt.prep}"),
    ]
    if others:
        blocks += [
            Text("Changed your mind? Tap another before then."),
            _topic_buttons(pair, session, others),
        ]
    return compose(to, "answer", *blocks, private=True)


def _topic_buttons(pair: Pair, session: Session, options: Sequence[Prompt]) -> Buttons:
    ref = pair_ref(pair, session.number)
    return Buttons(
        tuple(
            Button(p.title, actions.TOPIC_CHOOSE, f"{ref}:{p.key}", "primary" if i == 0 else "")
            for i, p in enumerate(options)
        )
    )


def _meeting_answers(pair: Pair, session: Session, moves: tuple[int, ...]) -> Buttons:
    """We met / Moved it (by each of `moves` days) / We couldn't meet."""
    ref = pair_ref(pair, session.number)
    moved = {7: "Moved it a week", 14: "Moved it two weeks"}
    return Buttons(
        (
            Button("We met ✅", actions.MEETING_MET, ref, "primary"),
            *(
                Button(
                    moved.get(days, f"Moved it {days} days"),
                    actions.MEETING_RESCHEDULED,
                    f"{ref}:{days}",
                )
                for days in moves
            ),
            Button("We couldn't meet", actions.MEETING_MISSED, ref),
        )
    )


def did_you_meet(
    to: Recipient,
    pair: Pair,
    session: Session,
    config: AppConfig,
    *,
    key: str,
    today: date | None = None,
) -> OutgoingMessage:
    """Asked in the pair's conversation on the due date; either answer counts for the pair.

    `today`: the date where the pair reads it; when it goes out later than the due date (the
    bot was not running), the message names the date rather than saying "today"."""
    when = "today" if today in (None, session.due_date) else fmt_date(session.due_date)
    return compose(
        to,
        "did_you_meet",
        Text(f"*{session_label(session.number, config)}* was planned for {when}. Did you meet?"),
        _meeting_answers(pair, session, RESCHEDULE_DAYS),
        key=key,
        premise=premise.session_open(pair.id, session.number, session.due_date),
    )


def nudge(
    to: Recipient, pair: Pair, session: Session, config: AppConfig, *, key: str
) -> OutgoingMessage:
    """The one friendly reminder for a session nobody reported as held."""
    return compose(
        to,
        "nudge",
        Text(
            f"A gentle nudge about *{session_label(session.number, config)}* "
            f"(planned for {fmt_date(session.due_date)}). Calendars get full — did you manage "
            "to meet? Thirty minutes is enough."
        ),
        _meeting_answers(pair, session, RESCHEDULE_DAYS[:1]),
        key=key,
        premise=premise.session_open(pair.id, session.number, session.due_date),
    )


# Why a session did not happen, asked privately of each partner: reasons, never names, so
# nothing says which side called it off (docs/programme.md, "Cadence").
def graduation(
    to: Recipient, mentor: Person, mentee: Person, held: int, config: AppConfig, *, key: str
) -> OutgoingMessage:
    """The end of a pair's programme."""
    return compose(
        to,
        "graduation",
        Text(
            f"🎓 Congratulations, {mentor.first_name} and {mentee.first_name}! You've completed "
            f"{config.programme.name}: {held} of {config.programme.sessions} conversations held."
        ),
        Text(
            "Thank you for making time for each other. You're welcome to keep meeting — and "
            "you'll each be matched with someone new when the next round starts."
        ),
        key=key,
    )


def partner_gone(
    to: Recipient,
    person: Person,
    partner: Person,
    *,
    unreachable: bool,
    key: str,
) -> OutgoingMessage:
    """The partner's note when a pairing ends early: `end pairing`, leaving, or a partner the
    bot can no longer reach. Blame-free and the same whoever ended it, why, and what happens
    to the recipient next (held for review or first in line): never a reason, and never the
    other's name — the same note goes out when they asked to be forgotten, so it must not
    name them, and a different note then would tell the recipient they did.
    """
    if unreachable:
        opening = (
            f"Hi {person.first_name}, I can no longer reach {partner.first_name} on chat, so "
            "your pairing ends here."
        )
    else:
        opening = f"Hi {person.first_name}, your pairing has come to an end."
    return compose(
        to,
        "partner_left",
        Text(opening),
        Text(
            "This happens, and it's nobody's fault. Thank you for the time you gave it. "
            "You stay in the programme — nothing for you to do now."
        ),
        key=key,
        premise=premise.taking_part(person.id),
    )


def partner_paused(
    to: Recipient, person: Person, partner: Person, until: date | None, *, key: str
) -> OutgoingMessage:
    """A partner took a break: sessions wait for them."""
    when = f"until {fmt_date(until)}" if until else "for a while"
    return compose(
        to,
        "partner_paused",
        Text(
            f"Hi {person.first_name}, {partner.first_name} is taking a short break {when}. "
            "Your remaining sessions move back by the length of the break; I'll pick up "
            "where you left off."
        ),
        key=key,
        premise=premise.taking_part(person.id),
    )


def consent_buttons(pair_id: int) -> Buttons:
    """Accept / Ask for someone else: either partner's answer to a proposed pairing."""
    return Buttons(
        (
            Button("Accept", actions.CONSENT_ACCEPT, str(pair_id), "primary"),
            Button("Ask for someone else", actions.CONSENT_DECLINE, str(pair_id)),
        )
    )


def consent_reminder(
    to: Recipient, pair: Pair, person: Person, other: Person, *, key: str
) -> OutgoingMessage:
    """The one reminder to a partner who has not answered their consent preview."""
    role = (
        f"*{other.display_name}*'s reverse mentor"
        if person.id == pair.mentor_id
        else f"paired with *{other.display_name}* as your reverse mentor"
    )
    return compose(
        to,
        "consent",
        Text(
            f"A quick reminder, {person.first_name}: I'd like you to be {role}. Happy with "
            "that? Your answer stays between us."
        ),
        consent_buttons(pair.id),
        key=key,
        premise=premise.pair_proposed(pair.id, pair.mentor_id, pair.mentee_id),
    )


def admin_notice(to: Recipient, text: str, *, key: str) -> OutgoingMessage:
    """A heads-up to a programme admin (names, never departments: docs/programme.md)."""
    return compose(to, "admin_notice", Text(f"🔔 {text}"), key=key)


def session_facts(sessions: list[Session], config: AppConfig) -> Facts:
    """Each session's date and state, for status and the home view."""
    marks = {"met": "held ✅", "missed": "couldn't meet", "rescheduled": "moved", "scheduled": ""}

    def mark(s: Session) -> str:
        # Nobody answered: the bot marked it, so nobody "couldn't meet" (and no side is shown).
        if s.status is SessionStatus.MISSED and s.reported_by is None:
            return "not reported"
        return marks[s.status.value]

    rows = tuple(
        (session_label(s.number, config), f"{fmt_date(s.due_date)} {mark(s)}".strip())
        for s in sessions
    )
    return Facts(rows)
