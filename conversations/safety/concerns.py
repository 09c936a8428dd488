"""`concern`: a confidential way to tell the programme team something is not right.

Anyone in the directory can raise one: `concern TEXT` sends at once; `concern` alone, or the
"Raise a concern" button (check-in, home view, status), asks for the text and waits a day for
the next typed line. It goes privately to `privacy.concern_contacts`, or the programme admins
when none of those can receive it, and never to the sender or to anyone they were ever paired
with (a senior who is also an admin must not read their junior's concern about them). The
sender is thanked, told who will be in touch and where to find support now; nothing is said
to the partner. The text is kept apart (`Concerns` in conversations/ports/concern_box.py); the
audit log records only the reference and how many people it went to (README, "Using it").

A concern nobody could receive is kept and passed on by `redeliver` (every engine tick) as soon
as someone can, by the same rule; the sender is then told it arrived. While the bot waits for a
concern's words, no later question (a pulse comment, an end-of-pairing reason) may take them
over (`lines.expect_line`); `concern` itself does replace such a question, and says so.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from conversations import grammar as cmd
from conversations import texts
from conversations.context import Context, Turn
from conversations.lines import CONCERN_TEXT, drop_line
from conversations.outbox.premise import unconditional
from conversations.safety.concern_texts import MAX_CONCERN, concern_notice, sender_thanks, who_reads
from conversations.safety.team import recipients_for
from conversations.types import (
    Action,
    Address,
    Button,
    Buttons,
    OutgoingMessage,
    Pair,
    PendingInput,
    Person,
    Text,
    ToPerson,
    actions,
)

WINDOW = timedelta(days=1)  # how long the bot waits for it
# A flood guard: nobody sends the team more than this many a day (a real worry needs one or
# two; a script or a grudge should not fill the team's inboxes).
DAILY_LIMIT = 10
CANCEL = "cancel"  # CONCERN_RAISE's value on the invitation's Cancel button
AUDIT_ACTOR = "participant"  # the audit log never names who raised a concern
_STALE = "That button isn't for you, so nothing happened. Type `concern` to raise one yourself."
# The answer to a later question that would take over a concern being written.
CONCERN_FIRST = "You were telling me a concern — send that first, or tap Cancel."


def reference(concern_id: int) -> str:
    """How a concern is named to the team, the sender and the audit log: C-12."""
    return f"C-{concern_id}"


async def concern_command(ctx: Context, turn: Turn, command: object) -> list[OutgoingMessage]:
    """`concern` (ask for the text) or `concern TEXT` (send it now)."""
    assert isinstance(command, cmd.Concern)
    if not command.text.strip():
        return await _invite(ctx, turn, None)
    # `concern TEXT` after a bare `concern`: this is the concern, and the next line is not.
    waiting = await _take_waiting(ctx, turn)
    pair_id = (int(waiting.context.get("pair") or 0) or None) if waiting else None
    return await send_concern(ctx, turn, command.text, pair_id)


async def _take_waiting(ctx: Context, turn: Turn) -> PendingInput | None:
    """Stop waiting for a concern's text; returns what was waited for (None: nothing). Another
    question waiting (a pulse's one thing) keeps waiting."""
    person = turn.person
    assert person is not None
    return await drop_line(ctx.waiting, person.id, CONCERN_TEXT, turn.now)


def cancel_button() -> Button:
    """Cancel the concern being written (the invitation's button, and `concern_first`'s)."""
    return Button("Cancel", actions.CONCERN_RAISE, CANCEL)


def concern_first(to: Address, kind: str, lead: str = "") -> OutgoingMessage:
    """The answer when a later question would take over a concern being written (its words
    stay the concern's): `lead` (what did happen), then "send that first, or tap Cancel"."""
    text = f"{lead}\n{CONCERN_FIRST}" if lead else CONCERN_FIRST
    return texts.reply(to, kind, text, cancel_button())


async def concern_button(ctx: Context, turn: Turn, action: Action) -> list[OutgoingMessage]:
    """The "Raise a concern" button ("PAIR" or ""), or the invitation's Cancel."""
    person = turn.person
    assert person is not None  # the engine answers unknown people before any handler
    value = action.value.strip()
    if value == CANCEL:
        return [await _cancel(ctx, turn, action)]
    pair_id: int | None = None
    if value:
        # A forged or forwarded button naming someone else's pair changes nothing.
        pair = await ctx.pairs.get_pair(int(value)) if value.isdigit() else None
        if pair is None or person.id not in (pair.mentor_id, pair.mentee_id):
            return [texts.reply(turn.reply_to, "answer", _STALE)]
        pair_id = pair.id
    return await _invite(ctx, turn, pair_id)


async def typed_concern(
    ctx: Context, turn: Turn, waiting: PendingInput, text: str
) -> list[OutgoingMessage]:
    """The line typed after `concern`: that is the concern."""
    pair_id = int(waiting.context.get("pair") or 0) or None
    if not text.strip():
        return await _invite(ctx, turn, pair_id, again=True)
    return await send_concern(ctx, turn, text, pair_id)


async def _invite(
    ctx: Context, turn: Turn, pair_id: int | None, *, again: bool = False
) -> list[OutgoingMessage]:
    person = turn.person
    assert person is not None
    # A concern comes first: it replaces a question still waiting (a pulse's one thing, why a
    # pairing ended), and the person is told that question is set aside.
    before = await ctx.waiting.take_pending_input(person.id, turn.now)
    await ctx.waiting.set_pending_input(
        person.id, CONCERN_TEXT, {"pair": pair_id or 0}, turn.now + WINDOW
    )
    ask = (
        "I didn't get any words there. "
        if again
        else "Tell me what's happening, in one message, in your private chat with me. "
    )
    aside = (
        "\n(I've set aside the question I asked you before — this comes first.)"
        if before is not None and before.kind != CONCERN_TEXT
        else ""
    )
    return [
        texts.compose(
            turn.reply_to,
            "concern.ask",
            Text(
                ask + "Only the programme team reads it — never your partner. Say as much or "
                "as little as you like." + aside
            ),
            Buttons((cancel_button(),)),
            private=True,
        )
    ]


async def _cancel(ctx: Context, turn: Turn, action: Action) -> OutgoingMessage:
    waiting = await _take_waiting(ctx, turn)
    text = (
        "Cancelled — nothing was sent. You can type `concern` any time."
        if waiting is not None
        else "There's nothing waiting to be sent. Type `concern` any time to raise one."
    )
    return replace(texts.reply(turn.reply_to, "answer", text), replaces=action.message_id)


async def send_concern(
    ctx: Context, turn: Turn, text: str, pair_id: int | None
) -> list[OutgoingMessage]:
    """Store the concern, queue it privately to each recipient, audit it without content,
    and thank the sender."""
    sender = turn.person
    assert sender is not None
    recent = await ctx.concerns.concerns_raised_by(sender.id, turn.now - timedelta(days=1))
    if recent >= DAILY_LIMIT:
        return [
            texts.reply(
                turn.reply_to,
                "concern.thanks",
                f"You've raised {DAILY_LIMIT} concerns in the last day — that's the most I pass "
                "on in a day, so this one wasn't sent. Please try again tomorrow.\n"
                + ctx.config.privacy.support_text,
            )
        ]
    text = text.strip()
    cut = len(text) > MAX_CONCERN
    text = text[:MAX_CONCERN]
    pairs = await ctx.pairs.pairs_of(sender.id)
    about = _pair_for(pairs, sender, pair_id)
    pair = about[0] if about else None  # the one the concern is stored against
    recipients = await _recipients_of(ctx, sender, pairs)
    concern_id = await ctx.concerns.add_concern(
        sender.id, pair.id if pair else None, text, [r.id for r in recipients], at=turn.now
    )
    ref = reference(concern_id)
    await ctx.audit.record(
        AUDIT_ACTOR,
        "concern",
        f"concern {ref} raised, sent to {len(recipients)} contact(s)",
        at=turn.now,
    )
    notices = await _notices(ctx, sender, about, recipients, text, concern_id, turn.now)
    await ctx.outbox.queue(notices, turn.now)
    return [sender_thanks(ctx, turn, recipients, ref, cut)]


async def redeliver(ctx: Context, now: datetime) -> list[OutgoingMessage]:
    """Pass on the concerns that reached nobody when raised, now that someone can receive them
    (same rule as at the time: never the sender or anyone they were ever paired with), and tell
    each sender theirs arrived. Run at every engine tick; the queued messages are returned.

    Queued before being marked sent, under the same keys as a first delivery: a crash in
    between queues nothing twice, and the next tick finishes the job.
    """
    out: list[OutgoingMessage] = []
    for waiting in await ctx.concerns.undelivered_concerns():
        sender = await ctx.people.get_person(waiting.sender_id)
        if sender is None:
            continue
        pairs = await ctx.pairs.pairs_of(sender.id)
        recipients = await _recipients_of(ctx, sender, pairs)
        if not recipients:
            continue  # still nobody: `mentorbot health` counts it for the operator
        about = _pair_for(pairs, sender, waiting.pair_id)
        notices = await _notices(
            ctx,
            sender,
            about,
            recipients,
            waiting.text,
            waiting.id,
            waiting.raised_at,
            late=True,
        )
        ref = reference(waiting.id)
        arrived = texts.compose(
            ToPerson(sender.id),
            "concern.thanks",
            Text(
                f"Your concern {ref} has now reached the programme team. {who_reads(recipients)} "
                "will be in touch, in confidence — your partner won't hear about it from us."
            ),
            Text(ctx.config.privacy.support_text),
            key=f"concern-arrived:{waiting.id}",
            private=True,
            premise=unconditional(),  # true whatever happens next; forget erases it unsent
        )
        batch = [*notices, arrived]
        await ctx.outbox.queue(batch, now)
        if await ctx.concerns.mark_concern_sent(waiting.id, [r.id for r in recipients]):
            await ctx.audit.record(
                AUDIT_ACTOR,
                "concern",
                f"concern {ref} passed on late, sent to {len(recipients)} contact(s)",
                at=now,
            )
        out += batch
    return out


async def _recipients_of(ctx: Context, sender: Person, pairs: list[Pair]) -> list[Person]:
    """Who reads this sender's concern: never the sender, never anyone they were ever paired
    with (`pairs`: all of theirs)."""
    excluded = {sender.id} | {p.partner_of(sender.id) for p in pairs}
    return await recipients_for(ctx, excluded)


async def _notices(
    ctx: Context,
    sender: Person,
    about: list[Pair],
    recipients: list[Person],
    text: str,
    concern_id: int,
    raised_at: datetime,
    *,
    late: bool = False,
) -> list[OutgoingMessage]:
    """The concern to each recipient, keyed by concern and recipient; it names every partner
    of the pairs it is `about` (`_pair_for`), so the team raises it with none of them."""
    partners: list[tuple[Pair, Person]] = []
    for each in about:
        partner = await ctx.people.get_person(each.partner_of(sender.id))
        if partner is not None:
            partners.append((each, partner))
    ref = reference(concern_id)
    return [
        concern_notice(
            ctx,
            to,
            sender,
            partners,
            text,
            ref,
            raised_at,
            key=f"concern:{concern_id}",
            late=late,
        )
        for to in recipients
    ]


def _pair_for(pairs: list[Pair], sender: Person, pair_id: int | None) -> list[Pair]:
    """The pairs the concern is about: the one its button named first, then every other
    current (proposed or active) pair of the sender (someone may be in several), newest
    first; empty when none."""
    named = [p for p in pairs if p.id == pair_id] if pair_id is not None else []
    current = [p for p in pairs if p.status.open and p.id != pair_id]  # pairs_of: newest first
    return [*named, *current]
