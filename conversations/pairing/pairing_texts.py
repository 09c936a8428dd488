"""What people read about pairing: each partner's consent preview, the intro, the left-out
notice, and the admin's round summary. Pure builders, written for a phone (docs/programme.md)."""

from __future__ import annotations

from datetime import date

from conversations.config import AppConfig
from conversations.matching.prep import HELD_FOR_REVIEW
from conversations.outbox import premise
from conversations.pairing.disclosure import preview_reasons, shown_topics
from conversations.programme.session_texts import consent_buttons
from conversations.texts import compose, fmt_date, plural, programme_outline
from conversations.types import (
    Facts,
    MatchResult,
    OutgoingMessage,
    Pair,
    Person,
    Text,
    ToPair,
    ToPerson,
)


def _about(person: Person) -> str:
    """'Software Engineer, Engineering' — what a partner needs to know, nothing sensitive."""
    parts = [p for p in (person.title, person.department) if p]
    return ", ".join(parts) or "a colleague"


def _card(person: Person, default_timezone: str) -> str:
    return f"{person.display_name} — {_about(person)}, {person.timezone or default_timezone}"


def _why(reasons: tuple[str, ...]) -> str:
    return "; ".join(reasons) if reasons else "your profiles fit the programme's rules"


def _listed(topics: tuple[str, ...], none: str) -> str:
    return ", ".join(topics) if topics else none


def _who_says_yes(config: AppConfig) -> str:
    both = config.programme.require_mentor_consent and config.programme.require_mentee_consent
    return "you both say yes" if both else "you say yes"


def consent_preview(
    pair: Pair, viewer: Person, other: Person, config: AppConfig, *, key: str
) -> OutgoingMessage:
    """A partner's private preview of the person proposed to them, with Accept / Ask for
    someone else. `viewer` is either side: the senior (mentee) reads about their proposed
    mentor, the junior (mentor) about the senior they would mentor.

    Nothing that could hint at identity goes out before both say yes: inclusion topics only
    as "perspectives on inclusion", in the topics and in the reasons alike.
    """
    programme = config.programme
    senior = viewer.id == pair.mentee_id
    if senior:
        opening = (
            f"Hi {viewer.first_name}, I'd like to pair you with *{other.display_name}* as your "
            f"reverse mentor in {programme.name}."
        )
        topics = ("Can share", _listed(shown_topics(other.teaches), "what you'd like to learn"))
    else:
        opening = (
            f"Hi {viewer.first_name}, I'd like you to be *{other.display_name}*'s reverse "
            f"mentor in {programme.name}: you'd share what you know, and they'd learn from you."
        )
        topics = ("Hopes to learn", _listed(shown_topics(other.learns), "open to anything"))
    mentor, mentee = (other, viewer) if senior else (viewer, other)
    reasons = preview_reasons(pair.reasons, mentor, mentee)
    return compose(
        ToPerson(viewer.id),
        "consent",
        Text(opening),
        Facts(
            (
                ("About them", _about(other)),
                ("Time zone", other.timezone or programme.timezone),
                topics,
                ("Why you two", _why(reasons)),
            )
        ),
        Text(
            f"Happy with this pairing? I'll introduce you once {_who_says_yes(config)}. If "
            "you'd rather not, tap Ask for someone else: your answer stays between us."
        ),
        consent_buttons(pair.id),
        key=key,
        premise=premise.pair_proposed(pair.id, mentor.id, mentee.id),
    )


def proposal_closed(person: Person, *, key: str) -> OutgoingMessage:
    """To each partner who was asked about a pairing that will not go ahead, whether they had
    answered or not: one kind wording for all, never who or why (the other's answer stays
    between them and the bot)."""
    return compose(
        ToPerson(person.id),
        "consent_closed",
        Text(
            f"Hi {person.first_name}, thanks for considering it. The pairing I proposed won't "
            "go ahead this time; that happens, and there's nothing you need to do."
        ),
        Text(
            "You stay enrolled and you're first in line for the next round. I'll be in "
            "touch as soon as I have someone for you."
        ),
        key=key,
    )


def intro(
    pair: Pair,
    mentor: Person,
    mentee: Person,
    config: AppConfig,
    *,
    first_session: date,
    key: str,
) -> OutgoingMessage:
    """The introduction, to the pair's shared conversation.

    `metadata` carries both emails so a platform can add its own deep links (Teams: chat with
    the other partner, schedule a meeting with both); the engine stays platform-neutral.
    """
    programme = config.programme
    first_due = first_session
    shared = sorted(set(mentor.teaches) & set(mentee.learns), key=str.casefold)
    topics = ", ".join(shared) if shared else "whatever you both find most useful"
    message = compose(
        ToPair(pair.id),
        "intro",
        Text(
            f"Meet your reverse-mentoring partner! 🎉 *{mentor.display_name}* will mentor "
            f"*{mentee.display_name}* in {programme.name}."
        ),
        Facts(
            (
                ("Mentor", _card(mentor, programme.timezone)),
                ("Mentee", _card(mentee, programme.timezone)),
                ("Why you two", _why(pair.reasons)),
                ("Topics to start with", topics),
                ("The programme", programme_outline(config)),
                ("First conversation", f"by {fmt_date(first_due)}"),
            )
        ),
        Text(
            "Your first conversation sets your ground rules: what stays between you, and that "
            "either of you may pass on any question. I'll send them to you both before it. "
            f"Then say hello and why you joined; {mentee.first_name}, share what you hope to "
            f"learn; {mentor.first_name}, you lead — you'll pick each session's topic. "
            f"{mentee.first_name}, please book the time."
        ),
        key=key,
        premise=premise.pair_active(pair.id, mentor.id, mentee.id),
    )
    message.metadata.update(
        mentor_email=mentor.email,
        mentee_email=mentee.email,
        mentor_name=mentor.display_name,
        mentee_name=mentee.display_name,
        subject=f"{programme.name}: {mentor.first_name} & {mentee.first_name}",
    )
    return message


def unmatched_notice(
    person: Person, reason: str, key: str, *, first_in_line: bool = True
) -> OutgoingMessage:
    """A kind word to someone left without a partner this round, with the reason.

    `first_in_line` only when going first can help them (someone who fits exists): a promise
    to someone nobody enrolled could be paired with would not be true.
    """
    hope = (
        "You stay enrolled and you are first in line for the next round."
        if first_in_line
        else "You stay enrolled, and I'll look again when the next round starts."
    )
    return compose(
        ToPerson(person.id),
        "unmatched",
        Text(f"Hi {person.first_name}, I couldn't find you a partner this round: {reason}."),
        Text(
            f"{hope} If something in your profile has changed (time zone, topics), type "
            "`profile` to update it."
        ),
        key=key,
        premise=premise.still_unmatched(person.id),
    )


def _told_line(result: MatchResult, published: bool, told: int) -> str:
    """Who of the unmatched hears about it: each person is told once per stretch without a
    partner, so some may have been told by an earlier publish."""
    if not published:
        return "each is told kindly when this is published, unless told already"
    before = len(result.unmatched) - told
    if not before:
        return "each told kindly"
    if not told:
        return "each was told before; nobody is told again"
    return f"{told} told now; {before} told before, not again"


def _next_step(config: AppConfig) -> str:
    """What publishing does next, by who the programme asks to consent."""
    senior, junior = (
        config.programme.require_mentee_consent,
        config.programme.require_mentor_consent,
    )
    if senior and junior:
        return "ask both partners to confirm."
    if senior:
        return "ask each senior to confirm."
    if junior:
        return "ask each junior to confirm."
    return "introduce them."


def match_summary(
    result: MatchResult,
    config: AppConfig,
    *,
    published: bool,
    limit: int | None,
    publish_with: str = "match publish",
    pair_by_hand: str = "with `pair MENTOR with MENTEE`",
    told: int = 0,
    viewer: int | None = None,
) -> str:
    """The round in words: every pair with its reasons, everyone unmatched with why.

    `publish_with` is how the reader publishes: `match publish` in chat, and
    `mentorbot match --publish` in a terminal; `pair_by_hand` how they pair by hand (a chat
    command: a terminal reader is sent to an admin chat). `told`: when published, how many of
    the unmatched were told now (the others were told before and are not told again).
    `viewer`: the admin reading it in chat — never told that they themselves are held for
    review (the hold is about them, and another admin reviews it).
    """
    head = "Published" if published else "Dry run — nothing is stored or sent yet"
    lines = [
        f"{head}: {plural(len(result.pairs), 'pair')}, {len(result.unmatched)} unmatched, "
        f"{len(result.excluded)} not eligible this round."
    ]
    if published and not result.pairs:
        # Publishing again: nothing new, and nobody is told a second time.
        news = (
            f"{plural(told, 'person', 'people')} without a partner {'was' if told == 1 else 'were'}"
            " told why"
            if told
            else "nobody was told anything new"
        )
        lines[0] = (
            f"Nothing new to publish: no new pair can be made, so no round was started; {news}. "
            f"Pair people by hand {pair_by_hand}."
        )
    shown = result.pairs if limit is None else result.pairs[:limit]
    for n, pair in enumerate(shown, start=1):
        lines.append(
            f"{n}. {pair.mentor.display_name} mentors {pair.mentee.display_name} "
            f"(score {pair.score:.1f}): {_why(pair.reasons)}"
        )
    if len(shown) < len(result.pairs):
        lines.append(f"… and {len(result.pairs) - len(shown)} more (`mentorbot match` lists all).")
    if result.unmatched:
        lines.append(f"Left without a partner ({_told_line(result, published, told)}):")
        for left in result.unmatched[: limit or None]:
            lines.append(f"• {left.person.display_name}: {left.for_admin}")
    held = [
        e.person for e in result.excluded if e.reason == HELD_FOR_REVIEW and e.person.id != viewer
    ]
    if result.excluded:
        lines.append(f"Not eligible: {len(result.excluded)} (paused, left, or already paired).")
    if held:
        # Their junior ended the pairing: an admin looks before they are matched again.
        names = ", ".join(f"{p.display_name} ({p.email})" for p in held)
        lines.append(f"Held for review ({len(held)}): {names}. `release EMAIL` when reviewed.")
    for note in result.notes:  # the search hit a safety cap: say so rather than imply optimal
        lines.append(f"Note: {note}")
    if not published and result.pairs:
        lines.append(
            f"Run `{publish_with}` to store "
            + ("this pair" if len(result.pairs) == 1 else "these pairs")
            + " and "
            + _next_step(config)
        )
    return "\n".join(lines)
