"""The questions pairs answer during the programme: what got in the way of a missed session,
the pulse after each session, its follow-up, the midpoint check-in and the closing survey.
Pure builders, like `session_texts`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from conversations.config import AppConfig
from conversations.outbox import premise
from conversations.programme.session_texts import (
    pair_ref,
    private_exits,
    recipient_ids,
    session_label,
)
from conversations.texts import compose, fmt_date
from conversations.types import (
    Button,
    Buttons,
    OutgoingMessage,
    Pair,
    Person,
    Recipient,
    Session,
    Text,
    actions,
)

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
    ref = pair_ref(pair, number)
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
        premise=premise.pair_active(pair.id, *recipient_ids(to)),
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
    ref = pair_ref(pair, number)
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
        premise=premise.pair_exists(pair.id, *recipient_ids(to)),
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
    ref = pair_ref(pair, number)
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
        premise=premise.pair_exists(pair.id, *recipient_ids(to)),
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
