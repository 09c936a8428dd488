"""What people read during the programme: prompts, did-you-meet, nudges, pulse, check-ins,
closing, graduation, and the notices to partners and admins. Pure builders for a phone
(PROGRAMME.md): warm, short, one clear next step; every scheduled one says its session."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date

from conversations.config import AppConfig
from conversations.enrolment.enrolment_texts import compose, fmt_date
from conversations.outbox import premise
from conversations.pairing.pairing_texts import consent_buttons
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


def _ref(pair: Pair, number: int) -> str:
    return f"{pair.id}:{number}"


def _recipient(to: Recipient) -> tuple[int, ...]:
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
            session.pair_id, session.number, session.due_date, *_recipient(to)
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
    ref = _ref(pair, session.number)
    return Buttons(
        tuple(
            Button(p.title, actions.TOPIC_CHOOSE, f"{ref}:{p.key}", "primary" if i == 0 else "")
            for i, p in enumerate(options)
        )
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


# Why a session did not happen, asked privately of each partner: reasons, never names, so
# nothing says which side called it off (PROGRAMME.md "Keeping the junior safe").
MISSED_REASONS = {
    "diary": "diary clash",
    "work": "urgent work",
    "other": "something else",
    "skip": "rather not say",
}
MISSED_BUTTONS = (
    ("diary", "Diary clash"),
    ("work", "Urgent work"),
    ("other", "Something else"),
    ("skip", "Rather not say"),
)
MISSED_QUESTION = "missed:"  # survey answer question "missed:N" for session N


def missed_reason(
    to: Recipient, pair: Pair, number: int, partner: Person, config: AppConfig, *, key: str
) -> OutgoingMessage:
    """Asked privately of each partner after "We couldn't meet": what got in the way?"""
    ref = _ref(pair, number)
    return compose(
        to,
        "missed_reason",
        Text(f"What got in the way of *{session_label(number, config)}*? No need to name anyone."),
        Buttons(
            tuple(
                Button(label, actions.MISSED_REASON, f"{ref}:{reason}")
                for reason, label in MISSED_BUTTONS
            )
        ),
        Text(
            f"Only the programme team sees answers — never {partner.first_name}. "
            "It helps us spot when calendars are the problem."
        ),
        key=key,
        # Only while the pair runs: a question still queued when the pairing ends is not sent.
        premise=premise.pair_active(pair.id, *_recipient(to)),
    )


def missed_detail(session: Session, answers: Mapping[tuple[int, str], str]) -> str:
    """What happened to a missed session, for the programme team: "not reported" when nobody
    answered (the bot marked it), else "couldn't meet" with the reasons the partners gave,
    sorted and merged so they never say whose reason is whose. `answers`: the pair's survey
    answers by (person id, question). A side stored by an older version is never read."""
    if session.reported_by is None:
        return "not reported"
    question = f"{MISSED_QUESTION}{session.number}"
    reasons = sorted(
        {
            MISSED_REASONS[answer]
            for (_, asked), answer in answers.items()
            if asked == question and answer in MISSED_REASONS and answer != "skip"
        }
    )
    return f"couldn't meet ({', '.join(reasons)})" if reasons else "couldn't meet"


def missed_noted(next_session: Session | None, config: AppConfig) -> str:
    """The pair's reply after "We couldn't meet": nobody named, nothing asked about who."""
    text = "Thanks for telling me — it happens. I'll ask you each privately what got in the way."
    if next_session is None:
        return text
    return (
        f"{text} Your next one is {session_label(next_session.number, config)} on "
        f"{fmt_date(next_session.due_date)} — worth putting it in both calendars now."
    )


# The pulse's scale in words, on the buttons and in what a screen reader says (stars and
# bare digits tell neither what 1 and 5 mean nor anything a screen reader can use).
RATING_WORDS = {1: "not useful", 3: "somewhat useful", 5: "very useful"}
RATING_SCALE = {1: "1 – not useful", 5: "5 – very useful"}


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
            f"how valuable was it for you, from {RATING_SCALE[1]} to {RATING_SCALE[5]}? "
            "(Only the programme team sees answers, and only as "
            f"totals — never {partner.first_name}.)"
        ),
        Buttons(
            tuple(
                Button(
                    RATING_SCALE.get(n, str(n)),
                    actions.PULSE_RATE,
                    f"{ref}:{n}",
                    description=f"{n} out of 5"
                    + (f": {RATING_WORDS[n]}" if n in RATING_WORDS else ""),
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
        Text("If something isn't right, you can tell the programme team in confidence."),
        private_exits(pair),
        key=key,
        premise=premise.pair_running(pair.id, pair.mentor_id, pair.mentee_id),
    )


# The closing questions and their answers (CLOSING_ANSWER value "PAIR:QUESTION:ANSWER"): a
# forged question or answer is refused, so nothing else can be stored under a closing name.
CLOSING_QUESTIONS = {
    "open": ("yes", "mostly", "no"),
    "again": ("yes", "maybe", "no"),
    "reciprocal": ("yes", "no"),  # the senior only
}
_COUNT = {1: "One quick question", 2: "Two quick questions", 3: "Three quick questions"}


def closing(
    to: Recipient, pair: Pair, person: Person, partner: Person, config: AppConfig, *, key: str
) -> OutgoingMessage:
    """The closing survey, for both partners: could you speak openly? would you do it again?
    (and, for the senior, mentor in return?). The heading counts the questions it asks."""
    questions: list[tuple[Text, Buttons]] = [
        (
            Text("Could you speak openly in your sessions?"),
            Buttons(
                (
                    Button("Yes", actions.CLOSING_ANSWER, f"{pair.id}:open:yes"),
                    Button("Mostly", actions.CLOSING_ANSWER, f"{pair.id}:open:mostly"),
                    Button("Not really", actions.CLOSING_ANSWER, f"{pair.id}:open:no"),
                )
            ),
        ),
        (
            Text("Would you take part in reverse mentoring again?"),
            Buttons(
                (
                    Button("Yes", actions.CLOSING_ANSWER, f"{pair.id}:again:yes", "primary"),
                    Button("Maybe", actions.CLOSING_ANSWER, f"{pair.id}:again:maybe"),
                    Button("No", actions.CLOSING_ANSWER, f"{pair.id}:again:no"),
                )
            ),
        ),
    ]
    if person.id == pair.mentee_id:
        questions.append(
            (
                Text(
                    f"Would you like to mentor {partner.first_name} in return, on your own field?"
                ),
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
            )
        )
    blocks: list[Text | Buttons] = [
        Text(
            f"{config.programme.name} is nearly done. {_COUNT[len(questions)]}, "
            f"{person.first_name} — private: the programme team sees answers only as totals, "
            f"never {partner.first_name}."
        )
    ]
    for question, answers in questions:
        blocks += [question, answers]
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
