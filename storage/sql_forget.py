"""`forget`: erase a person in one transaction, table by table, keeping only what anonymous
figures and pair history need (the README's privacy section lists what stays and why).

Finding a person in free text and JSON (`storage.sql_erasure.Identifiers`) is pure Python;
this module reads the candidate rows, asks it, and rewrites or deletes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Text, bindparam, cast, delete, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.types import ENDING_NOTICE, Status
from storage.base import Repository, chunks, core_table
from storage.mapping import forgotten_email
from storage.models import (
    AdminLinkRow,
    AdminSessionRow,
    AuditRow,
    ConcernRow,
    DueWorkRow,
    IdentityRow,
    PairRow,
    PendingInputRow,
    PersonRow,
    ProcessedEventRow,
    PromptRow,
    PulseResponseRow,
    SessionRow,
    SurveyAnswerRow,
)
from storage.sql_erasure import FORGOTTEN_REASON, Identifiers, erased_payload, gather
from storage.sql_people import load_person
from storage.sql_queue import UNSENT, cancel_statement


class Forgetting(Repository):
    """`Directory.forget`."""

    async def forget(self, person_id: int, *, at: datetime) -> None:
        """Erase a person, keeping only what anonymous figures and pair history need.

        In one transaction: their email becomes `forgotten-{id}@invalid` (their stable
        pseudonym), names and profile are cleared, platform identities deleted. Wherever text
        names them (by email, name or platform id) it is rewritten: queued messages not sent
        yet are cancelled and, like sent ones, keep only their kind and recipient ids; the
        audit log, partners' comments and admin-added prompts get the pseudonym instead. Their
        own pulse and survey answers are deleted (figures already published keep them); their
        pairs lose the matching reasons, shared chats and the times the proposal was
        accepted; sessions forget who reported them.
        Inbound-event dedupe keys holding their platform ids go, and so do admin web links and
        sessions issued to their email (a session they had open stops working). Concerns they
        raised lose their text, sender and pair (that one was raised stays); other concerns
        naming them get the pseudonym. The README's privacy section lists what stays and why.
        """
        async with self._sessions.begin() as session:
            row = await load_person(session, person_id)
            found = await _identifiers(session, row)
            pseudonym = forgotten_email(person_id)
            await _erase_from_queue(session, found, pseudonym, at)
            await _erase_from_audit(session, found, pseudonym)
            await _erase_answers(session, found, pseudonym)
            await _erase_pending_inputs(session, found)
            await _erase_concerns(session, found, pseudonym)
            await _erase_elsewhere(session, found, pseudonym)
            pairs = core_table(PairRow)
            mine = or_(pairs.c.mentor_id == person_id, pairs.c.mentee_id == person_id)
            await session.execute(
                update(pairs)
                .where(mine)
                .values(
                    reasons=[],
                    conversation_ids=None,
                    mentor_accepted_at=None,
                    mentee_accepted_at=None,
                )
            )
            sessions = core_table(SessionRow)
            await session.execute(
                update(sessions).where(sessions.c.reported_by == person_id).values(reported_by=None)
            )
            await session.execute(delete(IdentityRow).where(IdentityRow.person_id == person_id))
            row.email = pseudonym
            row.name = row.title = row.department = row.timezone = ""
            row.teaches, row.learns = [], []
            row.manager_id = None
            row.paused_until = row.paused_since = None
            row.first_in_line = False
            row.status = Status.LEFT.value
            row.updated_at = at


async def _identifiers(session: AsyncSession, row: PersonRow) -> Identifiers:
    """Everything that names this person, read before any of it is erased."""
    pairs = (
        await session.execute(
            select(PairRow.id, PairRow.mentor_id, PairRow.mentee_id).where(
                or_(PairRow.mentor_id == row.id, PairRow.mentee_id == row.id)
            )
        )
    ).all()
    identities = await session.execute(
        select(IdentityRow.user_id, IdentityRow.dm_conversation_id, IdentityRow.reference).where(
            IdentityRow.person_id == row.id
        )
    )
    return gather(
        row.id,
        email=row.email,
        name=row.name,
        title=row.title,
        pair_ids=[pair_id for pair_id, _, _ in pairs],
        partner_ids=[person for _, mentor, mentee in pairs for person in (mentor, mentee)],
        identities=[(u, d, r) for u, d, r in identities],
    )


def _naming(columns: Sequence[Any], found: Identifiers) -> Any:
    """SQL pre-filter: any of these text or JSON columns contains one of the identifiers (case
    aside). Python then checks whole words and context; this only spares reading every row."""
    needles = found.like_needles()
    return or_(
        false(),
        *(
            func.lower(cast(column, Text)).contains(needle, autoescape=True)
            for column in columns
            for needle in needles
        ),
    )


async def _erase_from_queue(
    session: AsyncSession, found: Identifiers, pseudonym: str, at: datetime
) -> None:
    """Cancel the messages and work not sent yet that are for or about the person, and strip
    their identifiers from every queued row, sent ones included (the row stays: its
    idempotency key keeps a redelivery from happening twice)."""
    table = core_table(DueWorkRow)
    text_columns = [table.c.payload, table.c.idempotency_key, table.c.last_error, table.c.result]
    candidates = await session.execute(
        select(table.c.id, table.c.status, *text_columns).where(
            or_(table.c.status.in_(UNSENT), _naming(text_columns, found))
        )
    )
    rewrites: list[dict[str, Any]] = []
    stop: list[int] = []
    for work_id, status, payload, key, last_error, result in candidates:
        named = found.names_in(payload, key, last_error, result)
        # The programme team's notice that a pair ended (queued just now by the forget
        # itself) is about their pair but does not name them: it still goes, or nobody would
        # learn that the partner is held for review.
        spared = not named and (key or "").startswith(ENDING_NOTICE)
        if status in UNSENT and (named or found.refers_to(payload)) and not spared:
            stop.append(work_id)
        if named:
            rewrites.append(
                {
                    "b_id": work_id,
                    "b_payload": erased_payload(payload or {}),
                    "b_key": found.scrub(key, pseudonym),
                    "b_error": found.scrub(last_error, pseudonym) if last_error else last_error,
                    "b_result": found.scrub(result, pseudonym) if result else result,
                }
            )
    if rewrites:
        await session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(
                payload=bindparam("b_payload"),
                idempotency_key=bindparam("b_key"),
                last_error=bindparam("b_error"),
                result=bindparam("b_result"),
            ),
            rewrites,
        )
    # After the rewrites, which would otherwise overwrite the reason in last_error.
    for chunk in chunks(stop):
        await session.execute(cancel_statement(chunk, reason=FORGOTTEN_REASON, at=at))


async def _erase_from_audit(session: AsyncSession, found: Identifiers, pseudonym: str) -> None:
    """The audit log names the person only by their pseudonym (as actor or in the detail).
    Entries are found by strong identifiers; a first name or title in them goes too."""
    table = core_table(AuditRow)
    rows = await session.execute(
        select(table.c.id, table.c.actor, table.c.detail).where(
            _naming([table.c.actor, table.c.detail], found)
        )
    )
    rewrites = [
        {
            "b_id": entry_id,
            "b_actor": found.scrub(actor, pseudonym),
            "b_detail": found.scrub(detail, pseudonym),
        }
        for entry_id, actor, detail in rows
        if found.mentions(actor) or found.mentions(detail)
    ]
    if rewrites:
        await session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(actor=bindparam("b_actor"), detail=bindparam("b_detail")),
            rewrites,
        )


async def _erase_answers(session: AsyncSession, found: Identifiers, pseudonym: str) -> None:
    """Their own pulse and survey answers are deleted: kept without person or pair they would
    be the only such rows, readable by elimination, and could land in a window not published
    yet. Figures already published are stored apart (published_aggregates) and do not move.
    Other people's comments that name them get the pseudonym instead (within their pairs a
    first name is enough)."""
    pulses = core_table(PulseResponseRow)
    surveys = core_table(SurveyAnswerRow)
    for table in (pulses, surveys):
        await session.execute(delete(table).where(table.c.person_id == found.person_id))
    comments = await session.execute(
        select(pulses.c.id, pulses.c.pair_id, pulses.c.comment).where(
            pulses.c.comment.is_not(None),
            or_(pulses.c.pair_id.in_(sorted(found.pair_ids)), _naming([pulses.c.comment], found)),
        )
    )
    scrubbed = [
        {"b_id": answer_id, "b_comment": found.scrub(comment, pseudonym)}
        for answer_id, pair_id, comment in comments
        if found.mentions(comment, weak=pair_id in found.pair_ids)
    ]
    if scrubbed:
        await session.execute(
            update(pulses)
            .where(pulses.c.id == bindparam("b_id"))
            .values(comment=bindparam("b_comment")),
            scrubbed,
        )


async def _erase_pending_inputs(session: AsyncSession, found: Identifiers) -> None:
    """Their own waiting question goes, and anyone else's whose context names them."""
    table = core_table(PendingInputRow)
    others = await session.execute(
        select(table.c.id, table.c.context).where(table.c.person_id != found.person_id)
    )
    naming = [input_id for input_id, context in others if found.names_in(context)]
    await session.execute(
        delete(table).where(or_(table.c.person_id == found.person_id, table.c.id.in_(naming)))
    )


async def _erase_concerns(session: AsyncSession, found: Identifiers, pseudonym: str) -> None:
    """Concerns they raised keep only that one was raised, when, and how many it went to: the
    text, sender and pair go (the pair would name them through their partner). Someone else's
    concern that names them gets the pseudonym (within their pairs a first name is enough), so
    the team can still act on it."""
    table = core_table(ConcernRow)
    await session.execute(
        update(table)
        .where(table.c.sender_id == found.person_id)
        .values(text="", sender_id=None, pair_id=None)
    )
    others = await session.execute(
        select(table.c.id, table.c.pair_id, table.c.text).where(
            table.c.text != "",
            or_(table.c.pair_id.in_(sorted(found.pair_ids)), _naming([table.c.text], found)),
        )
    )
    scrubbed = [
        {"b_id": concern_id, "b_text": found.scrub(text, pseudonym)}
        for concern_id, pair_id, text in others
        if found.mentions(text, weak=pair_id in found.pair_ids)
    ]
    if scrubbed:
        await session.execute(
            update(table).where(table.c.id == bindparam("b_id")).values(text=bindparam("b_text")),
            scrubbed,
        )


async def _erase_elsewhere(session: AsyncSession, found: Identifiers, pseudonym: str) -> None:
    """The last places that can hold their identifiers.

    Inbound-event dedupe keys ("welcome:T1:U0ANA") name them by platform id: those rows go
    (a redelivery of such an old event is long past). Admin web links and sessions issued to
    their email go too, which signs out a browser they had open. Admin-added prompts naming
    them get the pseudonym.
    """
    events = core_table(ProcessedEventRow)
    candidates = await session.execute(
        select(events.c.id, events.c.event_id).where(_naming([events.c.event_id], found))
    )
    named = [event_id for event_id, key in candidates if found.mentions(key)]
    for chunk in chunks(named):
        await session.execute(delete(events).where(events.c.id.in_(chunk)))
    if found.emails:
        emails = [email.lower() for email in found.emails]
        links, sessions = core_table(AdminLinkRow), core_table(AdminSessionRow)
        await session.execute(delete(links).where(func.lower(links.c.issued_to).in_(emails)))
        await session.execute(delete(sessions).where(func.lower(sessions.c.who).in_(emails)))
    prompts = core_table(PromptRow)
    texts = await session.execute(
        select(prompts.c.id, prompts.c.text).where(_naming([prompts.c.text], found))
    )
    rewrites = [
        {"b_id": prompt_id, "b_text": found.scrub(text, pseudonym)}
        for prompt_id, text in texts
        if found.mentions(text)
    ]
    if rewrites:
        await session.execute(
            update(prompts)
            .where(prompts.c.id == bindparam("b_id"))
            .values(text=bindparam("b_text")),
            rewrites,
        )
