"""The words of a concern: the programme team's notice (the sender, where they are paired,
the text, when) and the sender's thanks saying who will read it."""

from __future__ import annotations

from datetime import datetime

from conversations import texts
from conversations.context import Context, Turn
from conversations.outbox.premise import unconditional
from conversations.outbox.timing import zone
from conversations.types import (
    OutgoingMessage,
    Pair,
    Person,
    Role,
    Text,
    ToPerson,
)

MAX_CONCERN = 2000


def concern_notice(
    ctx: Context,
    to: Person,
    sender: Person,
    partners: list[tuple[Pair, Person]],
    text: str,
    ref: str,
    at: datetime,
    *,
    key: str,
    late: bool = False,
) -> OutgoingMessage:
    """The programme team's copy of a concern (`late`: it is passed on after waiting)."""
    tz = zone(to.timezone, ctx.config.programme.timezone)
    local = at.astimezone(tz)
    when = f"{texts.fmt_date(local.date())}, {local:%H:%M} ({tz.key})"
    if partners:
        places = []
        for pair, partner in partners:
            side = "the junior mentor" if sender.id == pair.mentor_id else "the senior mentee"
            status = pair.status.value
            article = "an" if status[0] in "aeiou" else "a"
            places.append(
                f"{side} in {article} {status} pair with {partner.display_name} ({partner.email})"
            )
        where = "; and ".join(places)
        # Every current partner: the team must not raise it with any of them.
        names = list(dict.fromkeys(partner.first_name for _, partner in partners))
        whom = " or ".join(names) if len(names) <= 2 else ", ".join(names[:-1]) + " or " + names[-1]
        careful = (
            f"Please follow up with {sender.first_name} directly and privately; don't raise it "
            f"with {whom} unless {sender.first_name} agrees."
        )
    else:
        role = {Role.MENTOR: "a junior mentor", Role.MENTEE: "a senior mentee"}.get(
            sender.role or Role.EITHER, "a participant"
        )
        where = f"{role}, not in a pair now"
        careful = f"Please follow up with {sender.first_name} directly and privately."
    return texts.compose(
        ToPerson(to.id),
        "concern",
        Text(f"🔒 *Concern {ref}*, raised in confidence. Only the programme team receives this."),
        Text(f"From {sender.display_name} ({sender.email}), {where}. Raised {when}."),
        *(
            [
                Text(
                    "Nobody on the programme team could receive it then, so it waited until "
                    "someone could — that's why it comes now."
                )
            ]
            if late
            else []
        ),
        Text(f"“{text}”"),
        Text(careful),
        key=f"{key}:{to.id}",
        private=True,
        premise=unconditional(),
    )


def sender_thanks(
    ctx: Context, turn: Turn, recipients: list[Person], ref: str, cut: bool
) -> OutgoingMessage:
    """The sender's answer: the reference, and who will read the concern."""
    support = ctx.config.privacy.support_text
    long = (
        f" It was long, so I passed on the first {MAX_CONCERN:,} characters; send `concern` "
        "again with the rest."
        if cut
        else ""
    )
    if not recipients:
        # True to what happens: `redeliver` passes it on at the first tick someone can read
        # it, and tells the sender then; meanwhile only the operator's `mentorbot health`
        # counts it (never an admin chat, where a partner could read the count).
        text = (
            "Thank you for telling me. I'm sorry: nobody on the programme team can receive it "
            "right now, so I've kept it safely, and it will reach them as soon as someone is "
            "set up to receive it — I'll let you know when it has. Your partner won't hear "
            f"about it from us. Your reference is {ref}.{long}\n{support}"
        )
        return texts.reply(turn.reply_to, "concern.thanks", text)
    text = (
        f"Thank you for telling us. {who_reads(recipients)} will be in touch, in confidence — your "
        f"partner won't hear about it from us. Your reference is {ref}.{long}\n{support}"
    )
    return texts.reply(turn.reply_to, "concern.thanks", text)


def who_reads(recipients: list[Person]) -> str:
    """Who will be in touch: one or two names, else "The programme team"."""
    names = [r.display_name for r in recipients]
    return " or ".join(names) if len(names) <= 2 else "The programme team"
