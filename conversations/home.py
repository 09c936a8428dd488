"""A person's home view (Slack App Home; any platform may show it): where they stand, their
partner, the next session, one-tap pause/leave, and for admins the programme's headline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from conversations import actions, messages
from conversations import programme_messages as pm
from conversations.domain import PairStatus, Person, Status
from conversations.insights_windows import PublishRules
from conversations.pairing_messages import consent_buttons
from conversations.session_topics import ground_rules_status
from conversations.timing import local_today, zone
from conversations.types import (
    Address,
    Block,
    Button,
    Buttons,
    Facts,
    OutgoingMessage,
    Text,
    UserRef,
)

if TYPE_CHECKING:
    from conversations.engine import Engine


async def home_view(engine: Engine, user: UserRef) -> OutgoingMessage:
    """Build the view for whoever `user` is (a friendly note when the directory lacks them)."""
    person = await engine.store.person_by_identity(user)
    to = user_address(user)
    if person is None:
        return messages.compose(
            to,
            "home",
            Text(f"*{engine.config.programme.name}*"),
            Text(
                "I don't know you yet: you're not in the programme's directory. Ask your "
                "programme team to add you."
            ),
        )
    blocks: list[Block] = [Text(f"*{engine.config.programme.name}* — hi {person.first_name}!")]
    today = local_today(engine.clock.now(), zone(person.timezone, engine.config.programme.timezone))
    proposal = await pending_proposal(engine, person)
    if proposal:
        blocks += proposal
    else:
        summary = await pair_summary(engine, person)
        blocks.append(Text(messages.status_text(person, today, paired=bool(summary))))
        blocks += summary
    blocks.append(Buttons(_buttons(person, await active_pair_id(engine, person))))
    if engine.config.is_admin(person.email):
        rules = PublishRules.from_config(engine.config, engine.clock.now())
        figures = (await engine.store.figures(rules)).private(rules.k)
        blocks.append(Text("*Programme at a glance* (admins only)"))
        blocks.append(
            Facts(
                (
                    ("Participants", str(figures.participants)),
                    ("Active pairs", str(figures.active_pairs)),
                    ("Meetings reported", str(figures.meetings_reported)),
                    (
                        "Average pulse",
                        f"{figures.average_rating:.1f}/5"
                        if figures.average_rating is not None
                        else "—",
                    ),
                )
            )
        )
    return messages.compose(to, "home", *blocks)


async def pair_summary(engine: Engine, person: Person) -> list[Block]:
    """The person's active partner, next session and sessions held (empty when unpaired)."""
    for pair in await engine.store.pairs_of(person.id):
        if pair.status is not PairStatus.ACTIVE:
            continue
        partner = await engine.store.get_person(pair.partner_of(person.id))
        if partner is None:
            continue
        side = "mentor" if partner.id == pair.mentor_id else "mentee"
        sessions = await engine.store.sessions_of(pair.id)
        upcoming = [s for s in sessions if s.status.pending]
        rows = [(f"Your {side}", f"{partner.display_name} — {partner.title or 'colleague'}")]
        if upcoming:
            nxt = upcoming[0]
            rows.append(
                (
                    "Next session",
                    f"{pm.session_label(nxt.number, engine.config)}, by "
                    f"{messages.fmt_date(nxt.due_date)}",
                )
            )
        held = sum(1 for s in sessions if s.status.value == "met")
        rows.append(("Held so far", f"{held} of {engine.config.programme.sessions}"))
        mentor, mentee = (person, partner) if side == "mentee" else (partner, person)
        rows.append(("Ground rules", await ground_rules_status(engine, pair, mentor, mentee)))
        return [Facts(tuple(rows))]
    return []


async def pending_proposal(engine: Engine, person: Person) -> list[Block]:
    """A pairing published but not yet confirmed by everyone asked, in the person's words
    (empty when there is none): whoever still has to answer gets the Accept / Ask for someone
    else buttons here too; whoever has answered (or was not asked) reads whom we wait for, so
    nobody reads "you have no partner yet"."""
    needs_mentor = engine.config.programme.require_mentor_consent
    needs_mentee = engine.config.programme.require_mentee_consent
    for pair in await engine.store.pairs_of(person.id):
        if pair.status is not PairStatus.PROPOSED:
            continue
        partner = await engine.store.get_person(pair.partner_of(person.id))
        if partner is None:
            continue
        senior = person.id == pair.mentee_id
        asked = needs_mentee if senior else needs_mentor
        if asked and not pair.accepted(person.id):
            whom = (
                f"a proposed reverse mentor: *{partner.display_name}*"
                if senior
                else f"a proposed mentee: *{partner.display_name}*"
            )
            return [
                Text(
                    f"You have {whom} — {partner.title or 'colleague'}. I'll introduce you "
                    f"once {'you both say' if needs_mentor and needs_mentee else 'you say'} "
                    "yes; your answer stays between us."
                ),
                consent_buttons(pair.id),
            ]
        return [
            Text(
                f"Waiting for {partner.display_name} to confirm your pairing — I'll introduce "
                "you as soon as they do."
            )
        ]
    return []


async def active_pair_id(engine: Engine, person: Person) -> int | None:
    """The id of the person's active pair (None when they have none)."""
    for pair in await engine.store.pairs_of(person.id):
        if pair.status is PairStatus.ACTIVE:
            return pair.id
    return None


def end_pairing_button(pair_id: int) -> Button:
    """One pairing ends, privately and without blame; the person stays in the programme."""
    return Button("End this pairing", actions.END_PAIRING, str(pair_id))


def _buttons(person: Person, pair_id: int | None = None) -> tuple[Button, ...]:
    if person.status is Status.PAUSED:
        return (Button("Resume now", actions.ENROL_RESUME, "", "primary"), concern_button())
    if not person.status.enrolled:
        return (Button("Join the programme", actions.HELP_COMMAND, "join", "primary"),)
    paired = (end_pairing_button(pair_id),) if pair_id is not None else ()
    return (
        Button("My status", actions.HELP_COMMAND, "status"),
        Button("Pause", actions.HELP_COMMAND, "pause"),
        concern_button(),
        *paired,
        Button("Leave the programme", actions.ENROL_LEAVE, "", "danger"),
    )


def concern_button() -> Button:
    """ "Raise a concern" for anyone taking part: a private word with the programme team
    (conversations/concerns.py); the pair is worked out when it is pressed."""
    return Button("Raise a concern", actions.CONCERN_RAISE, "")


def user_address(user: UserRef) -> Address:
    """Where the home view belongs: the person's own space on their platform."""
    return Address(user.platform, user.tenant_id, user.user_id)
