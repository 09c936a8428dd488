"""A person's home view (Slack App Home; any platform may show it): where they stand, each of
their pairs (someone may mentor several) with its own buttons, one-tap pause/leave, and for
admins the programme's headline. `status` shows the same pairs
(conversations/enrolment/self_service.py)."""

from __future__ import annotations

from conversations import texts
from conversations.context import Context
from conversations.enrolment import enrolment_texts
from conversations.outbox.timing import local_today, zone
from conversations.pairing.consent import open_pairs
from conversations.programme import session_texts as pm
from conversations.programme.topics import ground_rules_agreed, ground_rules_status, topic_day
from conversations.types import (
    Address,
    Block,
    Button,
    Buttons,
    Facts,
    OutgoingMessage,
    Pair,
    PairStatus,
    Person,
    PublishRules,
    Status,
    Text,
    UserRef,
    actions,
)


async def home_view(ctx: Context, user: UserRef) -> OutgoingMessage:
    """Build the view for whoever `user` is (a friendly note when the directory lacks them)."""
    person = await ctx.people.person_by_identity(user)
    to = user_address(user)
    if person is None:
        return texts.compose(
            to,
            "home",
            Text(f"*{ctx.config.programme.name}*"),
            Text(
                "I don't know you yet: you're not in the programme's directory. Ask your "
                "programme team to add you."
            ),
        )
    blocks: list[Block] = [Text(f"*{ctx.config.programme.name}* — hi {person.first_name}!")]
    today = local_today(ctx.clock.now(), zone(person.timezone, ctx.config.programme.timezone))
    pairs = await pair_blocks(ctx, person)
    blocks.append(Text(enrolment_texts.status_text(person, today, paired=bool(pairs))))
    blocks += pairs
    blocks.append(Buttons(_buttons(person)))
    if ctx.config.is_admin(person.email):
        rules = PublishRules.from_config(ctx.config, ctx.clock.now())
        figures = (await ctx.reports.figures(rules)).private(rules.k)
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
    return texts.compose(to, "home", *blocks)


async def pair_blocks(ctx: Context, person: Person) -> list[Block]:
    """Every pair the person may see, each with its own buttons: an active pair's partner, next
    session, sessions held and ground rules (with "I agree" for whoever still has to, and "End
    pairing with NAME"); a proposal's Accept / Ask for someone else, or whom we wait for.
    Empty when there is none."""
    blocks: list[Block] = []
    for pair in await open_pairs(ctx, person):
        partner = await ctx.people.get_person(pair.partner_of(person.id))
        if partner is None:
            continue
        if pair.status is PairStatus.ACTIVE:
            blocks += await _active_pair(ctx, person, pair, partner)
        else:
            blocks += _proposal(ctx, person, pair, partner)
    return blocks


async def _active_pair(ctx: Context, person: Person, pair: Pair, partner: Person) -> list[Block]:
    side = "mentor" if partner.id == pair.mentor_id else "mentee"
    sessions = await ctx.sessions.sessions_of(pair.id)
    upcoming = [s for s in sessions if s.status.pending]
    rows = [(f"Your {side}", f"{partner.display_name} — {partner.title or 'colleague'}")]
    if upcoming:
        nxt = upcoming[0]
        rows.append(
            (
                "Next session",
                f"{pm.session_label(nxt.number, ctx.config)}, by {texts.fmt_date(nxt.due_date)}",
            )
        )
    held = sum(1 for s in sessions if s.status.value == "met")
    rows.append(("Held so far", f"{held} of {ctx.config.programme.sessions}"))
    mentor, mentee = (person, partner) if side == "mentee" else (partner, person)
    rules, may_agree = await _ground_rules(ctx, pair, mentor, mentee, person)
    rows.append(("Ground rules", rules))
    buttons: list[Button] = []
    if may_agree:
        buttons.append(Button("I agree", actions.GROUND_RULES_AGREE, str(pair.id), "primary"))
    if person.status is Status.ENROLLED:
        buttons.append(end_pairing_button(pair.id, partner.first_name))
    return [Facts(tuple(rows)), *([Buttons(tuple(buttons))] if buttons else [])]


async def _ground_rules(
    ctx: Context, pair: Pair, mentor: Person, mentee: Person, viewer: Person
) -> tuple[str, bool]:
    """The ground-rules row, and whether the viewer may agree here. Until session 1's message
    has gone, the row says when it will (nobody can agree to rules they have not read)."""
    agreed = await ground_rules_agreed(ctx, pair)
    if not agreed and await ctx.prompt_log.session_prompt(pair.id, 1) is None:
        first = await ctx.sessions.get_session(pair.id, 1)
        if first is not None and first.status.pending:
            day = topic_day(ctx, first.due_date, mentee)
            return f"shared with you both on {texts.fmt_date(day)}", False
    return await ground_rules_status(ctx, pair, mentor, mentee), viewer.id not in agreed


def _proposal(ctx: Context, person: Person, pair: Pair, partner: Person) -> list[Block]:
    """A proposal the person was asked about: the buttons until they answer, then whom we
    wait for (so nobody reads "you have no partner yet")."""
    if pair.accepted(person.id):
        return [
            Text(
                f"Waiting for {partner.display_name} to confirm your pairing — I'll introduce "
                "you as soon as they do."
            )
        ]
    senior = person.id == pair.mentee_id
    both = ctx.config.programme.require_mentor_consent and (
        ctx.config.programme.require_mentee_consent
    )
    whom = (
        f"a proposed reverse mentor: *{partner.display_name}*"
        if senior
        else f"a proposed mentee: *{partner.display_name}*"
    )
    return [
        Text(
            f"You have {whom} — {partner.title or 'colleague'}. I'll introduce you once "
            f"{'you both say' if both else 'you say'} yes; your answer stays between us."
        ),
        pm.consent_buttons(pair.id),
    ]


def end_pairing_button(pair_id: int, partner_first_name: str = "") -> Button:
    """One pairing ends, privately and without blame; the person stays in the programme. The
    label names the partner, so someone in several pairs taps the right one."""
    label = f"End pairing with {partner_first_name}" if partner_first_name else "End this pairing"
    return Button(label, actions.END_PAIRING, str(pair_id))


def _buttons(person: Person) -> tuple[Button, ...]:
    if person.status is Status.PAUSED:
        return (Button("Resume now", actions.ENROL_RESUME, "", "primary"), concern_button())
    if not person.status.enrolled:
        return (Button("Join the programme", actions.HELP_COMMAND, "join", "primary"),)
    return (
        Button("My status", actions.HELP_COMMAND, "status"),
        Button("Pause", actions.HELP_COMMAND, "pause"),
        concern_button(),
        Button("Leave the programme", actions.ENROL_LEAVE, "", "danger"),
    )


def concern_button() -> Button:
    """ "Raise a concern" for anyone taking part: a private word with the programme team
    (conversations/safety/concerns.py); the pair is worked out when it is pressed."""
    return Button("Raise a concern", actions.CONCERN_RAISE, "")


def user_address(user: UserRef) -> Address:
    """Where the home view belongs: the person's own space on their platform."""
    return Address(user.platform, user.tenant_id, user.user_id)
