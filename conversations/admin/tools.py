"""Admin commands and the helpers they share (finding people, auditing).

Every admin action is written to the audit log with the admin's email, so the programme team
can always see who changed what.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from conversations import grammar as cmd
from conversations import texts
from conversations.context import Context, Turn
from conversations.safety.team import can_read
from conversations.types import (
    Address,
    Image,
    Link,
    OutgoingMessage,
    Person,
    PublishRules,
    ReportFigures,
    SpokeOpenly,
    Text,
    UserRef,
)

if TYPE_CHECKING:
    from conversations.config import AppConfig
    from conversations.ports import Concerns, Directory, Pairs


def admin_refusal(config: AppConfig, to: Address) -> OutgoingMessage:
    """The short refusal a non-admin gets for an admin command; names the admins."""
    admins = ", ".join(config.admins) or "nobody yet (see app.yaml `admins`)"
    return texts.reply(
        to, "refusal", f"Only programme admins can do that. The admins are: {admins}."
    )


async def audit(ctx: Context, turn: Turn, action: str, detail: str) -> None:
    """Record an admin action in the audit log."""
    actor = turn.person.email if turn.person else "unknown"
    await ctx.audit.record(actor, action, detail, at=turn.now)


async def find_person(ctx: Context, turn: Turn, ref: cmd.PersonRef) -> Person | OutgoingMessage:
    """The person an admin named, or a reply saying who could not be found."""
    person: Person | None = None
    if ref.email:
        person = await ctx.people.person_by_email(ref.email)
    elif ref.user_id:
        user = UserRef(turn.reply_to.platform, turn.reply_to.tenant_id, ref.user_id)
        person = await ctx.people.person_by_identity(user)
    if person is None:
        return texts.reply(
            turn.reply_to,
            "not_found",
            f"I can't find {ref.raw} in the directory. Check the spelling, or import them with "
            "the roster first.",
        )
    return person


async def report(ctx: Context, turn: Turn, _: object) -> list[OutgoingMessage]:
    """The headline figures, as text."""
    rules = PublishRules.from_config(ctx.config, turn.now)
    figures = (await ctx.reports.figures(rules)).private(rules.k)
    await audit(ctx, turn, "report", "")
    text = report_text(figures, ctx.config)
    chart = ctx.links.chart(turn.now) if ctx.links is not None else None
    if chart is None:
        return [texts.reply(turn.reply_to, "report", text)]
    image = Image(chart, "Meeting rate by round and average pulse over time")
    return [texts.compose(turn.reply_to, "report", Text(text), image, private=True)]


async def health_text(
    ctx: Context,
    *,
    operator: bool = False,
    viewer: int | None = None,
) -> str:
    """Delivery health in words: the queue, what failed and why, what was cancelled unsent
    and why, who cannot be reached, seniors held for review after a junior ended a pair, with
    the concern contacts who cannot receive one, and for the `operator` (`mentorbot
    health` on the server) how many concerns wait for someone who can (a count, never what or
    who).

    The admin chat command leaves that count out: a concern reaches nobody when the only
    admins left are the sender's partners, and a partner reading "1 concern could not be
    delivered" would guess who raised it, about whom.
    `viewer` (the admin asking in chat) never reads a review line about a pairing of their
    own.
    """
    reports = ctx.reports
    counts = await reports.queue_counts()
    failed = await reports.failed_work(limit=5)
    cancelled = await reports.cancelled_work(limit=5)
    unreachable = list(await reports.unreachable())
    lines = [
        "Delivery: "
        + ", ".join(
            f"{counts.get(k, 0)} {k}" for k in ("pending", "leased", "done", "failed", "cancelled")
        )
    ]
    if failed:
        lines.append("Latest failures:")
        lines += [
            f"• {w.kind} {w.idempotency_key}: {w.extra.get('last_error', '')}" for w in failed
        ]
    if cancelled:
        # Never sent because what they were about stopped being true (the pair ended, the
        # person left…): an operator asking "why did X never get it?" finds the answer here.
        lines.append("Latest cancelled, never sent:")
        lines += [
            f"• {w.kind} {w.idempotency_key}: {w.extra.get('last_error', '')}" for w in cancelled
        ]
    if unreachable:
        names = ", ".join(p.name for p in unreachable[:10])
        more = f" and {len(unreachable) - 10} more" if len(unreachable) > 10 else ""
        lines.append(f"Can't be reached ({len(unreachable)}): {names}{more}")
        reasons = sorted({p.reason for p in unreachable})
        lines += [f"• {r} ({sum(p.reason == r for p in unreachable)})" for r in reasons]
    if not failed and not unreachable:
        lines.append("Nothing has failed and everyone can be reached. ✅")
    if operator:
        lines += await waiting_concern_lines(ctx.concerns)
    lines += await concern_contact_warnings(ctx.people, ctx.config)
    return "\n".join(lines + await review_lines(ctx.people, ctx.pairs, viewer=viewer))


async def review_lines(people: Directory, pairs: Pairs, *, viewer: int | None = None) -> list[str]:
    """Seniors held out of matching because their junior ended the pairing (or left), with
    the command that clears each; empty when nobody waits (conversations/pairing/endings.py).
    A pairing `viewer` was in is left out: a senior who is also an admin must not learn from
    `health` that his junior ended it and that he is held (another admin reviews it)."""
    waiting = [
        e
        for e in await pairs.pair_endings(awaiting_review=True)
        if viewer not in (e.mentor_id, e.mentee_id)
    ]
    if not waiting:
        return []
    lines = [f"Pairs awaiting review ({len(waiting)}), ended by the junior:"]
    for ending in waiting:
        senior = await people.get_person(ending.mentee_id)
        who = f"{senior.display_name} ({senior.email})" if senior else f"person {ending.mentee_id}"
        lines.append(
            f"• pair {ending.pair_id}, since {texts.fmt_date(ending.ended_at.date())}: {who} "
            f"is held out of matching — `release {senior.email if senior else 'EMAIL'}` once "
            "reviewed"
        )
    return lines


async def waiting_concern_lines(store: Concerns) -> list[str]:
    """For the operator only (`mentorbot health`, `tick`, `serve`): how many concerns reached
    nobody and wait for someone who can receive them; empty when none waits."""
    waiting = (await store.concern_counts()).undelivered
    if not waiting:
        return []
    return [
        f"⚠️ {waiting} concern{'s' * (waiting != 1)} could not be delivered yet (nobody could "
        "receive it) — set privacy.concern_contacts in app.yaml to people in the directory who "
        "are not in the programme; the next tick passes it on."
    ]


async def concern_contact_warnings(store: Directory, config: AppConfig) -> list[str]:
    """One line per `privacy.concern_contacts` email the directory does not know, or who can
    no longer read anything (their concerns go to the other contacts, or the admins), and one
    when no contact or admin at all could receive a concern: for `health` and at start-up."""
    lines: list[str] = []
    anyone = False
    for email in config.privacy.concern_contacts:
        person = await store.person_by_email(email)
        if person is None:
            lines.append(
                f"⚠️ privacy.concern_contacts: {email} is not in the directory, so concerns "
                "can't reach them — import them with the roster or fix the email."
            )
        elif not can_read(person):
            lines.append(
                f"⚠️ privacy.concern_contacts: {email} is {person.status.value}, so concerns "
                "can't reach them — name someone who can read them."
            )
        else:
            anyone = True
    for email in config.admins:
        person = await store.person_by_email(email)
        anyone = anyone or (person is not None and can_read(person))
    if not anyone:
        lines.append(
            "⚠️ Nobody can receive a concern now: no concern contact or admin is in the "
            "directory and reachable. Concerns raised are kept and passed on once someone is."
        )
    return lines


async def health(ctx: Context, turn: Turn, _: object) -> list[OutgoingMessage]:
    """Admin `health`: `health_text`, audited."""
    viewer = turn.person.id if turn.person else None
    # never the concern count (operator only), never a review of the viewer's own pairing
    text = await health_text(ctx, viewer=viewer)
    await audit(ctx, turn, "health", "")
    return [texts.reply(turn.reply_to, "health", text)]


async def admin_link(ctx: Context, turn: Turn, command: object) -> list[OutgoingMessage]:
    """`dashboard` / `export`: a private, single-use, short-lived link."""
    links = ctx.links
    is_export = isinstance(command, cmd.Export)
    url = None
    if links is not None:
        # The link remembers whom it was sent to: using it is audited under their name.
        admin = turn.person.email if turn.person else "unknown"
        make = links.export if is_export else links.dashboard
        url = await make(turn.now, admin)
    if url is None:
        return [
            texts.reply(
                turn.reply_to,
                "link",
                "The dashboard is off on this deployment: set MENTORBOT_ADMIN_TOKEN and "
                "MENTORBOT_PUBLIC_URL where `mentorbot serve` runs"
                + (", or run `mentorbot export DIR` on the server." if is_export else "."),
            )
        ]
    await audit(ctx, turn, "export" if is_export else "dashboard", "link sent")
    what = "the CSV export" if is_export else "the programme dashboard"
    return [
        texts.compose(
            turn.reply_to,
            "link",
            Text(f"Here's {what}. The link works once, for 15 minutes; please don't forward it."),
            Link("Download the export" if is_export else "Open the dashboard", url),
            private=True,
        )
    ]


def report_text(figures: ReportFigures, config: AppConfig) -> str:
    """The headline figures as a few lines for chat and the terminal."""
    rating = (
        f"{figures.average_rating:.1f} / 5"
        if figures.average_rating is not None
        else f"shown once a session or month closes with {config.privacy.min_group_size} "
        "or more people answering"
    )
    late = figures.late_answers
    roles = ", ".join(f"{n} {r}" for r, n in sorted(figures.by_role.items())) or "none yet"
    return "\n".join(
        [
            f"{config.programme.name} — programme report",
            f"Participants: {figures.participants} ({roles})",
            f"Active pairs: {figures.active_pairs}",
            f"Meetings reported: {figures.meetings_reported}",
            f"Pulse answers in closed windows: {figures.pulse_responses} (average rating {rating})"
            + (f"; {late} late answer{'s' * (late != 1)} not included" if late else ""),
            SpokeOpenly(
                figures.open_respondents,
                *figures.open_counts,
                hidden=figures.open_hidden,
                closes=figures.open_closes,
            ).text(config.privacy.min_group_size),
            f"Messages sent: {figures.messages_sent}",
        ]
    )
