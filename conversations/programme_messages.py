"""What people read during the programme: prompts, did-you-meet, nudges, pulse, check-ins,
closing, graduation, and the notices to partners and admins. Pure builders for a phone
(PROGRAMME.md): warm, short, one clear next step; every scheduled one says its session."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from conversations import actions, premise
from conversations.config import AppConfig
from conversations.domain import Pair, Person, Session
from conversations.messages import compose, fmt_date
from conversations.pairing_messages import consent_buttons
from conversations.types import (
    Button,
    Buttons,
    Facts,
    OutgoingMessage,
    Recipient,
    Text,
    ToPerson,
)

RESCHEDULE_DAYS = (7, 14)


def session_label(number: int, config: AppConfig) -> str:
    """'Session 2 of 6'."""
    return f"Session {number} of {config.programme.sessions}"


def _ref(pair: Pair, number: int) -> str:
    return f"{pair.id}:{number}"


def _recipient(to: Recipient) -> tuple[int, ...]:
    """The person a private message goes to, for its premise: a message to one person must
    require that person still takes part (a pair's own conversation is covered by the pair's
    status, which ends when either partner leaves)."""
    return (to.person_id,) if isinstance(to, ToPerson) else ()


def topic_prompt(
    to: Recipient, pair: Pair, session: Session, text: str, config: AppConfig, *, key: str
) -> OutgoingMessage:
    """The pair's topic for the coming session."""
    return compose(
        to,
        "prompt",
        Text(
            f"*{session_label(session.number, config)}* is coming up on "
            f"{fmt_date(session.due_date)}. An idea to talk about:"
        ),
        Text(f"💡 {text}"),
        Text("Use it, change it or ignore it — it's your conversation."),
        key=key,
        premise=premise.session_open(pair.id, session.number, session.due_date),
    )


def prep_prompt(
    to: Recipient, session: Session, mentee: Person, text: str, config: AppConfig, *, key: str
) -> OutgoingMessage:
    """The junior mentor's private preparation note, a day ahead."""
    return compose(
        to,
        "prep",
        Text(
            f"Coming up: *{session_label(session.number, config)}* with "
            f"{mentee.first_name} ({fmt_date(session.due_date)}). A way to prepare:"
        ),
        Text(f"🧭 {text}"),
        Text("You're the expert in this room. Ten minutes of prep is plenty."),
        key=key,
        premise=premise.session_open(
            session.pair_id, session.number, session.due_date, *_recipient(to)
        ),
    )


def _meeting_answers(pair: Pair, session: Session, moves: tuple[int, ...]) -> Buttons:
    """We met / Moved it (by each of `moves` days) / We couldn't meet."""
    ref = _ref(pair, session.number)
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


def pulse(
    to: Recipient, pair: Pair, number: int, partner: Person, config: AppConfig, *, key: str
) -> OutgoingMessage:
    """The private one-tap pulse after a session."""
    ref = _ref(pair, number)
    return compose(
        to,
        "pulse",
        Text(
            f"Quick one about *{session_label(number, config)}* with {partner.first_name}: "
            "how valuable was it for you? (Only the programme team sees answers, and only as "
            f"totals — never {partner.first_name}.)"
        ),
        Buttons(
            tuple(
                Button(
                    f"{n} {'⭐' * n}" if n in (1, 5) else str(n),
                    actions.PULSE_RATE,
                    f"{ref}:{n}",
                    "primary" if n == 5 else "",
                )
                for n in range(1, 6)
            )
        ),
        key=key,
        premise=premise.pair_exists(pair.id, *_recipient(to)),
    )


def rated(
    to: Recipient, pair_id: int, number: int, rating: int, *, replaces: str | None
) -> OutgoingMessage:
    """After a rating: thanks, and an invitation to type one thing learned (or skip)."""
    message = compose(
        to,
        "pulse",
        Text(f"Thanks — {rating}/5 noted. 🙏"),
        Text(
            "One thing you learned or will try? Just type it here in the next two days "
            "(private: never shown to your partner)."
        ),
        Buttons((Button("Skip", actions.PULSE_SKIP, f"{pair_id}:{number}"),)),
        private=True,
    )
    return replace(message, replaces=replaces)


def ask_share(to: Recipient, pair_id: int, number: int) -> OutgoingMessage:
    """After a comment: may the programme team read it, without a name?"""
    ref = f"{pair_id}:{number}"
    return compose(
        to,
        "pulse.comment",
        Text("Got it, thank you. May the programme team read it (without your name)?"),
        Buttons(
            (
                Button("Yes, share anonymously", actions.PULSE_SHARE, f"{ref}:yes", "primary"),
                Button("Keep it private", actions.PULSE_SHARE, f"{ref}:no"),
            )
        ),
        private=True,
    )


def followup(to: Recipient, pair: Pair, number: int, comment: str, *, key: str) -> OutgoingMessage:
    """30 days on, the senior's own commitment comes back to them."""
    ref = _ref(pair, number)
    return compose(
        to,
        "followup",
        Text(f"A month ago, after session {number}, you wrote: “{comment}”"),
        Text("Did you try it?"),
        Buttons(
            (
                Button("Yes 🎉", actions.FOLLOWUP_TRIED, f"{ref}:yes", "primary"),
                Button("Not yet", actions.FOLLOWUP_TRIED, f"{ref}:later"),
                Button("It didn't fit", actions.FOLLOWUP_TRIED, f"{ref}:no"),
            )
        ),
        key=key,
        premise=premise.pair_exists(pair.id, *_recipient(to)),
    )


def checkin(
    to: Recipient, pair: Pair, partner: Person, config: AppConfig, *, key: str
) -> OutgoingMessage:
    """The private midpoint check-in."""
    return compose(
        to,
        "checkin",
        Text(
            f"You're halfway through {config.programme.name}! How is it going with "
            f"{partner.first_name}? (Private: only the programme team sees this.)"
        ),
        Buttons(
            (
                Button("Going well", actions.CHECKIN_ANSWER, f"{pair.id}:good", "primary"),
                Button("It's OK", actions.CHECKIN_ANSWER, f"{pair.id}:ok"),
                Button("We're stuck", actions.CHECKIN_ANSWER, f"{pair.id}:stuck"),
            )
        ),
        key=key,
        premise=premise.pair_running(pair.id, pair.mentor_id, pair.mentee_id),
    )


def closing(
    to: Recipient, pair: Pair, person: Person, partner: Person, config: AppConfig, *, key: str
) -> OutgoingMessage:
    """The closing survey: would you do it again? (and, for the senior, mentor in return?)"""
    blocks: list[Text | Buttons] = [
        Text(f"{config.programme.name} is nearly done. Two quick questions, {person.first_name}."),
        Text("Would you take part in reverse mentoring again?"),
        Buttons(
            (
                Button("Yes", actions.CLOSING_ANSWER, f"{pair.id}:again:yes", "primary"),
                Button("Maybe", actions.CLOSING_ANSWER, f"{pair.id}:again:maybe"),
                Button("No", actions.CLOSING_ANSWER, f"{pair.id}:again:no"),
            )
        ),
    ]
    if person.id == pair.mentee_id:
        blocks += [
            Text(f"Would you like to mentor {partner.first_name} in return, on your own field?"),
            Buttons(
                (
                    Button(
                        "I'd love to",
                        actions.CLOSING_ANSWER,
                        f"{pair.id}:reciprocal:yes",
                        "primary",
                    ),
                    Button("Not now", actions.CLOSING_ANSWER, f"{pair.id}:reciprocal:no"),
                )
            ),
        ]
    return compose(
        to,
        "closing",
        *blocks,
        key=key,
        premise=premise.pair_running(pair.id, pair.mentor_id, pair.mentee_id),
    )


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
    anonymous: bool = False,
) -> OutgoingMessage:
    """Told kindly when a partner leaves the programme (or can no longer be reached).

    `anonymous`: the partner asked to be forgotten, so they are not named.
    """
    who = "your partner" if anonymous else partner.first_name
    why = (
        f"I can no longer reach {who} on chat"
        if unreachable
        else f"{who} has stepped back from the programme"
    )
    return compose(
        to,
        "partner_left",
        Text(f"Hi {person.first_name}, {why}, so your pairing ends here."),
        Text(
            "Thank you for the conversations you had. You're first in line for a new partner "
            "in the next round — nothing for you to do."
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
    """A heads-up to a programme admin (names, never departments: PROGRAMME.md privacy)."""
    return compose(to, "admin_notice", Text(f"🔔 {text}"), key=key)


def session_facts(sessions: list[Session], config: AppConfig) -> Facts:
    """Each session's date and state, for status and the home view."""
    marks = {"met": "held ✅", "missed": "missed", "rescheduled": "moved", "scheduled": ""}
    rows = tuple(
        (session_label(s.number, config), f"{fmt_date(s.due_date)} {marks[s.status.value]}".strip())
        for s in sessions
    )
    return Facts(rows)
