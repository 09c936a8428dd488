"""The junior leads: which topic each session has, the junior's choice of it, and the ground
rules both partners agree in session 1.

A few working days before a session (`prep_lead_days`) the junior gets, privately, a choice of
two or three topics for it, each with its prep note (`topic_options`). Their tap is recorded
as a survey answer (`topic:N` → the prompt's key) and may change until the pair's topic prompt
goes out (`prompt_lead_days` before), which uses the pick or, without one, the first option
(`session_topic`). The arc (`catalogue.stage_of`) says which stage each session draws from.

Session 1 is the ground-rules session for every pair: its message carries an "I agree" button;
each partner's tap is recorded as the survey answer `ground_rules` = `agreed` (who agreed and
when, never anything they said). `status` and the home view offer the same button to whoever
has not tapped yet, and the first to agree is told privately when the other does.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

from conversations import texts
from conversations.config import ProgrammeConfig
from conversations.context import Context, Turn
from conversations.data.catalogue import arc, pair_tracks, session_options
from conversations.outbox.premise import pair_active
from conversations.outbox.timing import slot_before, zone
from conversations.programme import session_texts as pm
from conversations.programme.pair_people import tapped_pair
from conversations.types import (
    Action,
    OutgoingMessage,
    Pair,
    PairStatus,
    Person,
    Prompt,
    Text,
    ToPerson,
)

GROUND_RULES = "ground_rules"  # the survey question; its answer is AGREED
AGREED = "agreed"
_STALE = (
    "That button belongs to an earlier message — nothing changed. "
    "Type `status` to see where you are."
)


def pick_question(number: int) -> str:
    """The survey question under which the junior's pick for session `number` is kept."""
    return f"topic:{number}"


async def _catalogue(ctx: Context) -> dict[str, Prompt]:
    """Every prompt this programme may use, by key: the shipped and app.yaml ones, plus the
    ones admins added with `prompt add`."""
    tracks = set(ctx.config.programme.tracks)
    prompts = [*ctx.prompts, *await ctx.prompt_log.admin_prompts()]
    return {p.key: p for p in prompts if p.track in tracks}


async def topic_options(
    ctx: Context, pair: Pair, mentor: Person, mentee: Person, number: int
) -> tuple[Prompt, ...]:
    """The topics the junior chooses from for session `number`, the default first.

    Seeded per pair and session, so a redo (or the topic step two days later) offers the
    same ones; prompts the pair already had never come back.
    """
    catalogue = await _catalogue(ctx)
    return offer(
        tuple(catalogue.values()),
        ctx.config.programme,
        pair_id=pair.id,
        number=number,
        teaches=mentor.teaches,
        learns=mentee.learns,
        used_keys=await ctx.prompt_log.used_prompt_keys(pair.id),
    )


def offer(
    prompts: Sequence[Prompt],
    programme: ProgrammeConfig,
    *,
    pair_id: int,
    number: int,
    teaches: Sequence[str],
    learns: Sequence[str],
    used_keys: frozenset[str],
) -> tuple[Prompt, ...]:
    """The pure core of `topic_options`: session `number`'s stage in the programme's arc, the
    pair's tracks (from the junior's `teaches` and the senior's `learns`), and an rng seeded
    by pair and session."""
    stages = arc(programme.sessions)
    stage = stages[number - 1] if number <= len(stages) else "substance"
    return session_options(
        prompts,
        stage=stage,
        tracks=pair_tracks(teaches, learns, programme.tracks),
        all_tracks=programme.tracks,
        substance_index=sum(1 for s in stages[: number - 1] if s == "substance"),
        used_keys=used_keys,
        rng=random.Random(f"{pair_id}:{number}"),
    )


async def session_topic(
    ctx: Context, pair: Pair, mentor: Person, mentee: Person, number: int, now: datetime
) -> tuple[Prompt, bool] | None:
    """The topic session `number` gets (recorded, so it is never given again), and whether
    the junior picked it; None when there is nothing left to offer."""
    catalogue = await _catalogue(ctx)
    answers = await ctx.answers.survey_answers(pair.id)
    picked_key = answers.get((mentor.id, pick_question(number)))
    given = await ctx.prompt_log.session_prompt(pair.id, number)
    if given is not None and given in catalogue:
        # A redo, or the session came round again after a pause: the same topic as before.
        return catalogue[given], given == picked_key
    used = await ctx.prompt_log.used_prompt_keys(pair.id)
    prompt = catalogue.get(picked_key or "")
    picked = prompt is not None and prompt.key not in used
    if prompt is None or not picked:
        options = await topic_options(ctx, pair, mentor, mentee, number)
        if not options:
            return None
        prompt = options[0]
    key = await ctx.prompt_log.record_prompt(pair.id, number, prompt, now)
    return catalogue.get(key, prompt), picked and key == prompt.key


def topic_day(ctx: Context, due: date, mentee: Person) -> date:
    """The day the pair's topic prompt goes out for a session due on `due` (the pair's clock
    is the senior's, as in `programme.plan_session`)."""
    programme = ctx.config.programme
    tz = zone(mentee.timezone, programme.timezone)
    when = slot_before(due - timedelta(days=programme.prompt_lead_days), tz, programme)
    return when.astimezone(tz).date()


async def choose_topic(ctx: Context, turn: Turn, action: Action) -> list[OutgoingMessage]:
    """The junior taps a topic: record it (a later tap changes it until the pair has it)."""
    found = await tapped_pair(ctx, turn, action.value, 3)
    if found is None or not found[3][0].isdigit():
        return [texts.reply(turn.reply_to, "answer", _STALE)]
    pair, me, partner, (number_text, key) = found
    number = int(number_text)
    session = await ctx.sessions.get_session(pair.id, number)
    if pair.status is not PairStatus.ACTIVE or session is None:
        return [texts.reply(turn.reply_to, "answer", _STALE)]
    if me.id != pair.mentor_id:
        return [
            texts.reply(
                turn.reply_to,
                "answer",
                f"{partner.first_name} leads your sessions, so they pick the topics — "
                "nothing changed.",
            )
        ]
    label = pm.session_label(number, ctx.config)
    catalogue = await _catalogue(ctx)
    given = await ctx.prompt_log.session_prompt(pair.id, number)
    if given is not None or not session.status.pending:
        shared = catalogue.get(given or "")
        what = f": “{shared.title}”" if shared else ""
        return [
            texts.reply(
                turn.reply_to,
                "answer",
                f"The topic for {label} is already shared with you both{what}.",
            )
        ]
    # Only one of the options offered (recomputed: they are seeded by pair and session), so a
    # forged value cannot pick any other catalogue entry.
    options = await topic_options(ctx, pair, me, partner, number)
    prompt = next((p for p in options if p.key == key), None)
    if prompt is None:
        return [texts.reply(turn.reply_to, "answer", _STALE)]
    await ctx.answers.save_survey_answer(
        me.id, pair.id, pick_question(number), prompt.key, "mentor", at=turn.now
    )
    others = [p for p in options if p.key != prompt.key]
    message = pm.topic_picked(
        turn.reply_to,
        pair,
        session,
        prompt,
        others,
        ctx.config,
        shared_on=topic_day(ctx, session.due_date, partner),
    )
    return [replace(message, replaces=action.message_id)]


async def ground_rules_agreed(ctx: Context, pair: Pair) -> frozenset[int]:
    """Who of the pair has agreed the ground rules (person ids)."""
    answers = await ctx.answers.survey_answers(pair.id)
    return frozenset(
        person
        for (person, question), answer in answers.items()
        if question == GROUND_RULES and answer == AGREED
    )


async def agree_ground_rules(ctx: Context, turn: Turn, action: Action) -> list[OutgoingMessage]:
    """One partner taps "I agree": record who (not what), and say who is still to agree."""
    found = await tapped_pair(ctx, turn, action.value, 1)
    if found is None:
        return [texts.reply(turn.reply_to, "answer", _STALE)]
    pair, me, partner, _ = found
    if pair.status is not PairStatus.ACTIVE:
        return [texts.reply(turn.reply_to, "answer", _STALE)]
    agreed = await ground_rules_agreed(ctx, pair)
    already = me.id in agreed
    if not already:
        await ctx.answers.save_survey_answer(
            me.id, pair.id, GROUND_RULES, AGREED, _side(pair, me), at=turn.now
        )
    if partner.id in agreed:
        text = "You've both agreed the ground rules ✅ Enjoy your first conversation."
        if not already:
            await _tell_first(ctx, pair, me, partner)
    elif already:
        text = f"You've already agreed, {me.first_name} — waiting for {partner.first_name}."
    else:
        text = f"Thanks, {me.first_name} — waiting for {partner.first_name}."
    # Not replacing the message: in a shared conversation the partner still needs the button.
    return [texts.reply(turn.reply_to, "answer", text)]


async def _tell_first(ctx: Context, pair: Pair, me: Person, partner: Person) -> None:
    """The partner who agreed first hears, privately, that the other has agreed too (only
    while the pair still runs and they take part)."""
    note = texts.compose(
        ToPerson(partner.id),
        "ground_rules",
        Text(
            f"{me.first_name} has agreed the ground rules too ✅ You're all set — enjoy your "
            "first conversation."
        ),
        key=f"ground-rules-both:{pair.id}:{partner.id}",
        private=True,
        premise=pair_active(pair.id, partner.id),
    )
    await ctx.outbox.for_person(partner, note)


def _side(pair: Pair, person: Person) -> str:
    return "mentor" if person.id == pair.mentor_id else "mentee"


async def ground_rules_status(ctx: Context, pair: Pair, mentor: Person, mentee: Person) -> str:
    """ "agreed by both" / "waiting for NAME" / "waiting for NAME and NAME"."""
    agreed = await ground_rules_agreed(ctx, pair)
    waiting = [p.first_name for p in (mentor, mentee) if p.id not in agreed]
    return "agreed by both ✅" if not waiting else f"waiting for {' and '.join(waiting)}"
