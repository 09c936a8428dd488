"""Ending one pairing without leaving the programme: `end pairing`, and `release EMAIL`.

A pairing can stop working for reasons nobody should have to explain to their partner. So
ending it is private and no fault: the partner gets a kind note that never carries a reason,
an optional one-line reason goes only to the programme team (never the partner, even when the
partner is an admin), and the two are never paired again. A junior who ends a pairing — or
leaves the programme — may be getting away from the senior's behaviour: the senior is then held
out of automatic matching until an admin has looked (`health` lists them, `release EMAIL`
clears it) and is not put first in line. A senior who ends it puts the junior first in line.
README.md, "The programme, once pairs are introduced".
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from conversations import grammar as cmd
from conversations import texts
from conversations.admin import tools as admin
from conversations.context import Context, Turn
from conversations.lines import drop_line, expect_line
from conversations.outbox.premise import pair_exists
from conversations.pairing import consent
from conversations.pairing import rounds as pairing
from conversations.pairing.consent import open_pairs
from conversations.programme import session_texts as pm
from conversations.programme.lifecycle import notify_admins
from conversations.programme.pair_people import tapped_pair
from conversations.safety.concerns import concern_first
from conversations.types import (
    ENDING_NOTICE,
    Action,
    Button,
    OutgoingMessage,
    Pair,
    PairStatus,
    PendingInput,
    Person,
    ToPerson,
    actions,
)

END_REASON = "pairing.end_reason"  # the pending input: an optional line for the programme team
REASON_WINDOW = timedelta(days=2)
MAX_REASON = 1000
AUDIT_ACTOR = "participant"  # the audit log never names who ended a pair or gave a reason
_STALE = "That pairing has already ended — nothing more to do. Type `status` to see where you are."


def side_of(pair: Pair, person_id: int) -> str:
    """'mentor' (the junior) or 'mentee' (the senior): the person's side of the pair."""
    return "mentor" if person_id == pair.mentor_id else "mentee"


async def opentapped_pair(ctx: Context, person: Person) -> Pair | None:
    """The person's first open pair they may see (active first, else a proposal they were
    asked about), or None. Someone in several is asked which (`end_pairing`)."""
    pairs = await open_pairs(ctx, person)
    return pairs[0] if pairs else None


def asked_about(ctx: Context, pair: Pair, person: Person) -> bool:
    """Whether `person` knows of `pair`: always once it is active; while it is proposed, only
    when their side is asked to consent (the other side is never shown the proposal)."""
    if pair.status is not PairStatus.PROPOSED:
        return True
    needs_mentor, needs_mentee = pairing.consent_needed(ctx.config)
    return needs_mentor if person.id == pair.mentor_id else needs_mentee


async def end_pair_early(
    ctx: Context,
    pair: Pair,
    ender: Person,
    now: datetime,
    *,
    cause: str,
) -> Pair | None:
    """End `pair` because of `ender` and tell whoever must know; None when it had already
    ended (a second tap, or two processes racing: the store ends it once).

    `cause`: 'ended' (`end pairing`), 'left', 'unreachable' or 'forgotten'. The partner's note
    is the same whatever the cause (the unreachable one says so); the programme team is told
    the pair ended and, for a junior's ending, that the senior is held for review.
    """
    side = side_of(pair, ender.id)
    # Someone the bot cannot reach did not choose to end anything: nobody is held for that.
    hold = side == "mentor" and cause != "unreachable"
    ended = await ctx.pairs.end_pair(pair.id, side=side, cause=cause, hold=hold, at=now)
    if ended is None:
        return None
    partner = await ctx.people.get_person(pair.partner_of(ender.id))
    await ctx.audit.record(
        "mentorbot",
        "pair ended",
        f"pair {pair.id}: {cause} by the {side}"
        + ("; the mentee is held for review" if hold else ""),
        at=now,
    )
    if partner is None or not partner.status.enrolled:
        return ended
    if not hold:
        await ctx.people.set_first_in_line([partner.id], True)
    if pair.status is PairStatus.ACTIVE:  # a proposal the partner never saw ends quietly
        # One wording whatever the cause and whether or not the partner is held: comparing
        # notes must give away neither a hold nor that someone asked to be forgotten.
        note = pm.partner_gone(
            ToPerson(partner.id),
            partner,
            ender,
            unreachable=cause == "unreachable",
            key=f"partner-left:{pair.id}:{partner.id}",
        )
        await ctx.outbox.for_person(partner, note)
    if cause != "unreachable":  # `health` already lists who cannot be reached
        await _tell_team(ctx, ended, ender, partner, cause=cause, hold=hold, now=now)
    return ended


async def _tell_team(
    ctx: Context,
    pair: Pair,
    ender: Person,
    partner: Person,
    *,
    cause: str,
    hold: bool,
    now: datetime,
) -> None:
    """The programme team's notice that a pair ended (never to the partner)."""
    mentor, mentee = (ender, partner) if pair.mentor_id == ender.id else (partner, ender)
    if cause == "forgotten":  # they are being erased: the notice must not name them
        what = (
            f"Pair {pair.id} with {partner.display_name} has ended: their partner left the "
            "programme."
        )
    else:
        names = f"{mentor.display_name} mentoring {mentee.display_name}"
        how = (
            f"{ender.display_name} ended it with `end pairing` (they stay in the programme)"
            if cause == "ended"
            else f"{ender.display_name} left the programme"
        )
        what = f"Pair {pair.id} ({names}) has ended: {how}."
    if hold:
        what += (
            f" {mentee.display_name} is held out of matching until you've reviewed it: "
            f"`release {mentee.email}` when you have."
        )
    notices = await notify_admins(
        ctx,
        what,
        key=f"{ENDING_NOTICE}{pair.id}",
        exclude={partner.id, ender.id},
        premise=pair_exists(pair.id),
    )
    await ctx.outbox.queue(notices, now)


# --- `end pairing` ---------------------------------------------------------------------------


def _confirm(turn: Turn, pair: Pair, partner: Person) -> OutgoingMessage:
    name = partner.first_name
    if pair.status is PairStatus.PROPOSED:
        # Not started yet: ending it is saying no to the proposal, so it is asked as that.
        return texts.reply(
            turn.reply_to,
            "pairing.end",
            f"Ask for someone else instead of {name}? {name} is never told who or why, and "
            "I'll look for someone else for you in the next round.",
            Button("Ask for someone else", actions.END_PAIRING, f"{pair.id}:confirm", "danger"),
            Button("Keep it", actions.END_PAIRING, f"{pair.id}:cancel"),
        )
    return texts.reply(
        turn.reply_to,
        "pairing.end",
        f"End your pairing with {name}? It's private and nobody's fault: {name} gets a kind "
        "note with no reasons, and you stay in the programme.",
        Button("End the pairing", actions.END_PAIRING, f"{pair.id}:confirm", "danger"),
        Button("Keep it", actions.END_PAIRING, f"{pair.id}:cancel"),
    )


async def end_pairing(ctx: Context, turn: Turn, command: cmd.EndPairing) -> list[OutgoingMessage]:
    """`end pairing` (or `end pairing NAME`): ask to confirm ending the person's open pair;
    someone in several pairs is asked which, with one button per partner."""
    assert turn.person is not None  # the engine answers unknown people itself
    # Only the pairs the person may see: a proposal they were not asked about stays unseen.
    found: list[tuple[Pair, Person]] = []
    for pair in await open_pairs(ctx, turn.person):
        partner = await ctx.people.get_person(pair.partner_of(turn.person.id))
        if partner is not None:
            found.append((pair, partner))
    if not found:
        return [
            texts.reply(
                turn.reply_to,
                "pairing.end",
                "You're not in a pairing right now, so there's nothing to end. "
                "Type `status` to see where you are.",
            )
        ]
    named = [(pair, partner) for pair, partner in found if _is_named(partner, command.partner)]
    if len(named) == 1:
        return [_confirm(turn, *named[0])]
    if command.partner and not named:
        intro = f"You're not in a pairing with {command.partner[:60]}. Which one did you mean?"
    elif len(found) == 1:
        return [_confirm(turn, *found[0])]
    else:
        intro = (
            "Which pairing would you like to end? It's private and nobody's fault, and you "
            "stay in the programme."
        )
    choices = named or found
    firsts = [partner.first_name for _, partner in choices]
    return [
        texts.reply(
            turn.reply_to,
            "pairing.end",
            intro,
            *(
                # A shared first name would make two identical buttons: use the full name then.
                Button(
                    partner.first_name
                    if firsts.count(partner.first_name) == 1
                    else partner.display_name,
                    actions.END_PAIRING,
                    str(pair.id),
                )
                for pair, partner in choices
            ),
        )
    ]


def _is_named(partner: Person, name: str) -> bool:
    """Whether `name` (from `end pairing NAME`: first name, full name or email; empty names
    everyone) names this partner."""
    wanted = " ".join(name.strip().lstrip("@").split()).casefold()
    if not wanted:
        return True
    return wanted in (
        partner.first_name.casefold(),
        partner.display_name.casefold(),
        (partner.email or "").casefold(),
    )


async def end_pairing_button(ctx: Context, turn: Turn, action: Action) -> list[OutgoingMessage]:
    """The "End this pairing" button ("PAIR"), and the confirm step ("PAIR:confirm|cancel|
    skip"). Only a partner of that pair acts: a forged or stale value changes nothing."""
    step = action.value.partition(":")[2]
    found = await tapped_pair(ctx, turn, action.value, 2 if step else 1)
    if found is None or step not in ("", "confirm", "cancel", "skip"):
        return [texts.reply(turn.reply_to, "pairing.end", _STALE)]
    pair, me, partner, _ = found
    if step == "skip":
        await drop_line(ctx.waiting, me.id, END_REASON, turn.now)
        return [_answered(turn, action, "No problem — nothing more is needed. Take care.")]
    if not pair.status.open or not asked_about(ctx, pair, me):
        return [_answered(turn, action, _STALE)]
    if step == "":
        return [_confirm(turn, pair, partner)]
    if step == "cancel":
        return [
            _answered(
                turn,
                action,
                f"Nothing changed — your pairing with {partner.first_name} carries on.",
            )
        ]
    if pair.status is PairStatus.PROPOSED:
        # The same as "Ask for someone else": both first in line, the kind note to a partner
        # who had said yes, nobody held, the programme team not told.
        if not await consent.decline_proposal(ctx, turn, pair, me):
            return [_answered(turn, action, _STALE)]
        return [_answered(turn, action, consent.DECLINED)]
    ended = await end_pair_early(ctx, pair, me, turn.now, cause="ended")
    if ended is None:
        return [_answered(turn, action, _STALE)]
    done = (
        f"Done — your pairing with {partner.first_name} has ended. Thank you for the time "
        "you gave it. You stay in the programme for the next round."
    )
    if not await expect_line(
        ctx.waiting, me.id, END_REASON, {"pair": pair.id}, turn.now + REASON_WINDOW, turn.now
    ):
        # A concern is being written: its words must not become the reason (the concern
        # reaches the programme team anyway, and can say why).
        return [
            replace(concern_first(turn.reply_to, "pairing.end", done), replaces=action.message_id)
        ]
    return [
        _answered(
            turn,
            action,
            done + "\nIf you'd like, tell me why in a line — only the programme team reads it.",
            Button("Skip", actions.END_PAIRING, f"{pair.id}:skip"),
        )
    ]


def _answered(turn: Turn, action: Action, text: str, *buttons: Button) -> OutgoingMessage:
    """A reply that replaces the tapped message where the platform can."""
    return replace(
        texts.reply(turn.reply_to, "pairing.end", text, *buttons), replaces=action.message_id
    )


async def reason_given(
    ctx: Context, turn: Turn, waiting: PendingInput, text: str
) -> list[OutgoingMessage]:
    """The optional line after ending: to the programme team only, never the partner (not
    even an admin partner), and stored nowhere but in their notices."""
    assert turn.person is not None
    me = turn.person
    pair_id = waiting.context.get("pair")
    pair = await ctx.pairs.get_pair(int(pair_id)) if isinstance(pair_id, int) else None
    if pair is None or me.id not in (pair.mentor_id, pair.mentee_id):
        return [texts.reply(turn.reply_to, "pairing.end", _STALE)]
    partner = await ctx.people.get_person(pair.partner_of(me.id))
    reason = " ".join(text.split())[:MAX_REASON]
    with_whom = f" with {partner.display_name}" if partner is not None else ""
    notices = await notify_admins(
        ctx,
        f"Why {me.display_name} ended pair {pair.id}{with_whom} (for the programme team "
        f"only — never share it with their partner): “{reason}”",
        key=f"pair-ended-reason:{pair.id}",
        exclude={pair.partner_of(me.id), me.id},
        premise=pair_exists(pair.id),
    )
    if not notices:
        return [
            texts.reply(
                turn.reply_to,
                "pairing.end",
                "Thank you. Nobody on the programme team can receive messages from me yet, so "
                "please tell them directly — the admins are listed under `help`.",
            )
        ]
    await ctx.outbox.queue(notices, turn.now)
    # Audited without the words or the person (the audit log is read more widely than the
    # team's notices): the reason lives only in the notices to the team.
    await ctx.audit.record(
        AUDIT_ACTOR, "pair end reason", f"pair {pair.id}: sent to {len(notices)}", at=turn.now
    )
    return [
        texts.reply(
            turn.reply_to,
            "pairing.end",
            "Thank you — I've passed that on to the programme team, and only to them. Take care.",
        )
    ]


# --- admin `release EMAIL` -------------------------------------------------------------------


async def release(ctx: Context, turn: Turn, command: cmd.Release) -> list[OutgoingMessage]:
    """Admin `release EMAIL`: a senior held for review goes back into matching."""
    target = await admin.find_person(ctx, turn, command.who)
    if isinstance(target, OutgoingMessage):
        return [target]
    # A hold is a review of the held person: they cannot release themselves, and the answer
    # is the one for "not held" so that it does not tell them they are.
    yourself = turn.person is not None and target.id == turn.person.id
    if yourself or not await ctx.pairs.release_hold(target.id, at=turn.now):
        return [
            texts.reply(
                turn.reply_to,
                "release",
                f"{target.display_name} isn't held for review, so there's nothing to release. "
                "`health` lists everyone who is.",
            )
        ]
    await admin.audit(ctx, turn, "release", target.email)
    return [
        texts.reply(
            turn.reply_to,
            "release",
            f"Thanks for reviewing. {target.display_name} is back in matching from the next round.",
        )
    ]
