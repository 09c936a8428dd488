"""`concern`: a confidential way to tell the programme team something is not right.

Anyone in the directory can raise one: `concern TEXT` sends at once; `concern` alone, or the
"Raise a concern" button (check-in, home view, status), asks for the text and waits a day for
the next typed line. It goes privately to `privacy.concern_contacts`, or the programme admins
when none of those can receive it, and never to the sender or to anyone they were ever paired
with (a senior who is also an admin must not read their junior's concern about them). The
sender is thanked, told who will be in touch and where to find support now; nothing is said
to the partner. The text is kept apart (`Concerns` in conversations/ports.py); the audit log
records only the reference and how many people it went to (README, "Using it").
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from conversations import actions, messages
from conversations import commands as cmd
from conversations.domain import Pair, PendingInput, Person, Role
from conversations.premise import unconditional
from conversations.team import recipients_for
from conversations.timing import zone
from conversations.types import Action, Button, Buttons, OutgoingMessage, Text, ToPerson

if TYPE_CHECKING:
    from conversations.engine import ActionHandler, CommandHandler, Engine, InputHandler, Turn

CONCERN_TEXT = "concern.text"  # the pending input: the next typed line is the concern
WINDOW = timedelta(days=1)  # how long the bot waits for it
MAX_CONCERN = 2000
# A flood guard: nobody sends the team more than this many a day (a real worry needs one or
# two; a script or a grudge should not fill the team's inboxes).
DAILY_LIMIT = 10
CANCEL = "cancel"  # CONCERN_RAISE's value on the invitation's Cancel button
AUDIT_ACTOR = "participant"  # the audit log never names who raised a concern
_STALE = "That button isn't for you, so nothing happened. Type `concern` to raise one yourself."


def reference(concern_id: int) -> str:
    """How a concern is named to the team, the sender and the audit log: C-12."""
    return f"C-{concern_id}"


async def concern_command(engine: Engine, turn: Turn, command: object) -> list[OutgoingMessage]:
    """`concern` (ask for the text) or `concern TEXT` (send it now)."""
    assert isinstance(command, cmd.Concern)
    if not command.text.strip():
        return await _invite(engine, turn, None)
    # `concern TEXT` after a bare `concern`: this is the concern, and the next line is not.
    waiting = await _take_waiting(engine, turn)
    pair_id = (int(waiting.context.get("pair") or 0) or None) if waiting else None
    return await send_concern(engine, turn, command.text, pair_id)


async def _take_waiting(engine: Engine, turn: Turn) -> PendingInput | None:
    """Stop waiting for a concern's text; returns what was waited for (None: nothing). Another
    question waiting (a pulse's one thing) keeps waiting."""
    person = turn.person
    assert person is not None
    waiting = await engine.store.take_pending_input(person.id, turn.now)
    if waiting is not None and waiting.kind != CONCERN_TEXT:
        await engine.store.set_pending_input(
            person.id, waiting.kind, waiting.context, waiting.expires_at
        )
        return None
    return waiting


async def concern_button(engine: Engine, turn: Turn, action: Action) -> list[OutgoingMessage]:
    """The "Raise a concern" button ("PAIR" or ""), or the invitation's Cancel."""
    person = turn.person
    assert person is not None  # the engine answers unknown people before any handler
    value = action.value.strip()
    if value == CANCEL:
        return [await _cancel(engine, turn, action)]
    pair_id: int | None = None
    if value:
        # A forged or forwarded button naming someone else's pair changes nothing.
        pair = await engine.store.get_pair(int(value)) if value.isdigit() else None
        if pair is None or person.id not in (pair.mentor_id, pair.mentee_id):
            return [messages.reply(turn.reply_to, "answer", _STALE)]
        pair_id = pair.id
    return await _invite(engine, turn, pair_id)


async def typed_concern(
    engine: Engine, turn: Turn, waiting: PendingInput, text: str
) -> list[OutgoingMessage]:
    """The line typed after `concern`: that is the concern."""
    pair_id = int(waiting.context.get("pair") or 0) or None
    if not text.strip():
        return await _invite(engine, turn, pair_id, again=True)
    return await send_concern(engine, turn, text, pair_id)


async def _invite(
    engine: Engine, turn: Turn, pair_id: int | None, *, again: bool = False
) -> list[OutgoingMessage]:
    person = turn.person
    assert person is not None
    await engine.store.set_pending_input(
        person.id, CONCERN_TEXT, {"pair": pair_id or 0}, turn.now + WINDOW
    )
    ask = (
        "I didn't get any words there. "
        if again
        else "Tell me what's happening, in one message, in your private chat with me. "
    )
    return [
        messages.compose(
            turn.reply_to,
            "concern.ask",
            Text(
                ask + "Only the programme team reads it — never your partner. Say as much or "
                "as little as you like."
            ),
            Buttons((Button("Cancel", actions.CONCERN_RAISE, CANCEL),)),
            private=True,
        )
    ]


async def _cancel(engine: Engine, turn: Turn, action: Action) -> OutgoingMessage:
    waiting = await _take_waiting(engine, turn)
    text = (
        "Cancelled — nothing was sent. You can type `concern` any time."
        if waiting is not None
        else "There's nothing waiting to be sent. Type `concern` any time to raise one."
    )
    return replace(messages.reply(turn.reply_to, "answer", text), replaces=action.message_id)


async def send_concern(
    engine: Engine, turn: Turn, text: str, pair_id: int | None
) -> list[OutgoingMessage]:
    """Store the concern, queue it privately to each recipient, audit it without content,
    and thank the sender."""
    sender = turn.person
    assert sender is not None
    recent = await engine.store.concerns_raised_by(sender.id, turn.now - timedelta(days=1))
    if recent >= DAILY_LIMIT:
        return [
            messages.reply(
                turn.reply_to,
                "concern.thanks",
                f"You've raised {DAILY_LIMIT} concerns in the last day — that's the most I pass "
                "on in a day, so this one wasn't sent. Please try again tomorrow.\n"
                + engine.config.privacy.support_text,
            )
        ]
    text = text.strip()
    cut = len(text) > MAX_CONCERN
    text = text[:MAX_CONCERN]
    pairs = await engine.store.pairs_of(sender.id)
    pair = _pair_for(pairs, sender, pair_id)
    # Never the sender, never anyone they were ever paired with.
    excluded = {sender.id} | {p.partner_of(sender.id) for p in pairs}
    recipients = await recipients_for(engine, excluded)
    concern_id = await engine.store.add_concern(
        sender.id, pair.id if pair else None, text, [r.id for r in recipients], at=turn.now
    )
    ref = reference(concern_id)
    await engine.store.record(
        AUDIT_ACTOR,
        "concern",
        f"concern {ref} raised, sent to {len(recipients)} contact(s)",
        at=turn.now,
    )
    partner = await engine.store.get_person(pair.partner_of(sender.id)) if pair else None
    notices = [
        _notice(engine, to, sender, pair, partner, text, ref, turn.now, key=f"concern:{concern_id}")
        for to in recipients
    ]
    await engine.queue(notices, turn.now)
    return [_thanks(engine, turn, recipients, ref, cut)]


def _pair_for(pairs: list[Pair], sender: Person, pair_id: int | None) -> Pair | None:
    """The pair the concern is about: the one its button named, else the sender's current
    (proposed or active) pair, else none."""
    if pair_id is not None:
        return next((p for p in pairs if p.id == pair_id), None)
    return next((p for p in pairs if p.status.open), None)  # pairs_of: newest first


def _notice(
    engine: Engine,
    to: Person,
    sender: Person,
    pair: Pair | None,
    partner: Person | None,
    text: str,
    ref: str,
    at: datetime,
    *,
    key: str,
) -> OutgoingMessage:
    tz = zone(to.timezone, engine.config.programme.timezone)
    local = at.astimezone(tz)
    when = f"{messages.fmt_date(local.date())}, {local:%H:%M} ({tz.key})"
    if pair is not None and partner is not None:
        side = "the junior mentor" if sender.id == pair.mentor_id else "the senior mentee"
        status = pair.status.value
        article = "an" if status[0] in "aeiou" else "a"
        where = f"{side} in {article} {status} pair with {partner.display_name} ({partner.email})"
        careful = (
            f"Please follow up with {sender.first_name} directly and privately; don't raise it "
            f"with {partner.first_name} unless {sender.first_name} agrees."
        )
    else:
        role = {Role.MENTOR: "a junior mentor", Role.MENTEE: "a senior mentee"}.get(
            sender.role or Role.EITHER, "a participant"
        )
        where = f"{role}, not in a pair now"
        careful = f"Please follow up with {sender.first_name} directly and privately."
    return messages.compose(
        ToPerson(to.id),
        "concern",
        Text(f"🔒 *Concern {ref}*, raised in confidence. Only the programme team receives this."),
        Text(f"From {sender.display_name} ({sender.email}), {where}. Raised {when}."),
        Text(f"“{text}”"),
        Text(careful),
        key=f"{key}:{to.id}",
        private=True,
        premise=unconditional(),
    )


def _thanks(
    engine: Engine, turn: Turn, recipients: list[Person], ref: str, cut: bool
) -> OutgoingMessage:
    support = engine.config.privacy.support_text
    long = (
        f" It was long, so I passed on the first {MAX_CONCERN:,} characters; send `concern` "
        "again with the rest."
        if cut
        else ""
    )
    if not recipients:
        text = (
            "Thank you for telling me. I'm sorry: nobody on the programme team can receive it "
            "right now, so I've kept it safely and told the people who run this bot that a "
            f"concern is waiting (never what it says). Your reference is {ref}.{long}\n{support}"
        )
        return messages.reply(turn.reply_to, "concern.thanks", text)
    names = [r.display_name for r in recipients]
    who = " or ".join(names) if len(names) <= 2 else "The programme team"
    text = (
        f"Thank you for telling us. {who} will be in touch, in confidence — your partner "
        f"won't hear about it from us. Your reference is {ref}.{long}\n{support}"
    )
    return messages.reply(turn.reply_to, "concern.thanks", text)


COMMANDS: dict[type, CommandHandler] = {cmd.Concern: concern_command}
ACTIONS: dict[str, ActionHandler] = {actions.CONCERN_RAISE: concern_button}
INPUTS: dict[str, InputHandler] = {CONCERN_TEXT: typed_concern}
