"""The directory: people, their platform identities and programme status."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any
from typing import cast as cast_type

from sqlalchemy import (
    Select,
    Table,
    Text,
    bindparam,
    case,
    cast,
    delete,
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.safety.team import ENDING_NOTICE
from conversations.types import Identity, Person, Role, Status, UserRef
from storage.base import PersonNotFound, Repository, chunks
from storage.mapping import forgotten_email, to_identity, to_person
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
from storage.sql_queue import UNSENT, cancel_statement


# Built once: every inbound request looks its sender up (twice), and building the statement
# cost SQLAlchemy more CPU than running it.
def _by_identity() -> Select[Any]:
    """The person linked to (platform, tenant or no tenant yet, user id): Core, not the ORM,
    so it runs on a connection without a transaction (one round trip, not three)."""
    people, identities = PersonRow.__table__, IdentityRow.__table__
    return (
        select(people)
        .join(identities, identities.c.person_id == people.c.id)
        .where(
            identities.c.platform == bindparam("platform"),
            identities.c.user_id == bindparam("user_id"),
            or_(identities.c.tenant_id == bindparam("tenant_id"), identities.c.tenant_id == ""),
        )
        .order_by(case((identities.c.tenant_id == bindparam("tenant_id"), 0), else_=1))
        .limit(1)
    )


_BY_IDENTITY = _by_identity()


async def _load(session: AsyncSession, person_id: int) -> PersonRow:
    row = await session.get(PersonRow, person_id)
    if row is None:
        raise PersonNotFound(f"no person with id {person_id}")
    return row


class People(Repository):
    """`conversations.ports.Directory` except the roster import (see `storage.sql_roster`)."""

    async def get_person(self, person_id: int) -> Person | None:
        """The person with this id, or None."""
        async with self._sessions() as session:
            row = await session.get(PersonRow, person_id)
            return to_person(row) if row else None

    async def person_by_email(self, email: str) -> Person | None:
        """The person with this email (case-insensitive), or None."""
        # Emails are stored lowercased, so the unique index serves this lookup.
        query = select(PersonRow).where(PersonRow.email == email.strip().lower())
        async with self._sessions() as session:
            row = (await session.scalars(query)).first()
            return to_person(row) if row else None

    async def person_by_identity(self, user: UserRef) -> Person | None:
        """The person linked to this platform account, or None.

        An identity stored with tenant '' (from the roster, which knows no tenants) matches any
        tenant; an exact tenant match wins.
        """
        values = {"platform": user.platform, "user_id": user.user_id, "tenant_id": user.tenant_id}
        async with self._autocommit() as connection:
            row = (await connection.execute(_BY_IDENTITY, values)).first()
            return to_person(row) if row else None

    async def all_people(self) -> list[Person]:
        """Everyone in the directory, ordered by id."""
        async with self._sessions() as session:
            rows = await session.scalars(select(PersonRow).order_by(PersonRow.id))
            return [to_person(row) for row in rows]

    async def set_status(
        self, person_id: int, status: Status, *, paused_until: date | None = None, at: datetime
    ) -> Person:
        """Change a person's status and pause date; raises PersonNotFound for an unknown id.

        Becoming enrolled (other than resuming from a pause) stamps `enrolled_at`.
        """
        async with self._sessions.begin() as session:
            row = await _load(session, person_id)
            if status is Status.ENROLLED and row.status != Status.ENROLLED:
                row.enrolled_at = row.enrolled_at if row.status == Status.PAUSED else at
            if status is Status.PAUSED and row.status != Status.PAUSED:
                row.paused_since = at.date()
            elif status is not Status.PAUSED:
                row.paused_since = None
            row.status = status.value
            row.paused_until = paused_until
            row.updated_at = at
            return to_person(row)

    async def update_profile(
        self,
        person_id: int,
        *,
        role: Role | None = None,
        teaches: Sequence[str] | None = None,
        learns: Sequence[str] | None = None,
        timezone: str | None = None,
    ) -> Person:
        """Change the fields given (None leaves a field as it is); returns the updated person."""
        async with self._sessions.begin() as session:
            row = await _load(session, person_id)
            if role is not None:
                row.role = role.value
            if teaches is not None:
                row.teaches = list(teaches)
            if learns is not None:
                row.learns = list(learns)
            if timezone is not None:
                row.timezone = timezone
            return to_person(row)

    async def link_identity(self, identity: Identity) -> None:
        """Create or update the identity keyed by (platform, tenant, user id).

        A roster-made identity with tenant '' is adopted and given the real tenant: the one with
        this user id, else the person's own on this platform (the roster's id replaced by the
        one the platform sent), so each person keeps one record per platform. Empty
        optional fields (DM id, service URL, reference) keep what is stored. Two processes
        linking the same new account at once (two first messages) race on the unique key: the
        loser finds the winner's row on its second try and updates it.
        """
        try:
            await self._link_identity(identity)
        except IntegrityError:
            await self._link_identity(identity)

    async def _link_identity(self, identity: Identity) -> None:
        query = select(IdentityRow).where(
            IdentityRow.platform == identity.platform,
            IdentityRow.user_id == identity.user_id,
            IdentityRow.tenant_id.in_((identity.tenant_id, "")),
        )
        async with self._sessions.begin() as session:
            rows = list(await session.scalars(query))
            exact = [r for r in rows if r.tenant_id == identity.tenant_id]
            row = (exact or rows)[0] if rows else None
            if row is None:
                row = await _unconfirmed(session, identity.person_id, identity.platform)
                if row is not None:  # the account that really talks to us replaces it
                    row.user_id = identity.user_id
                    row.dm_conversation_id = row.service_url = row.reference = ""
            if row is None:
                row = IdentityRow(
                    platform=identity.platform,
                    user_id=identity.user_id,
                    dm_conversation_id="",
                    service_url="",
                    reference="",
                )
                session.add(row)
            row.person_id = identity.person_id
            row.tenant_id = identity.tenant_id
            for field in ("dm_conversation_id", "service_url", "reference"):
                value = getattr(identity, field)
                if value:
                    setattr(row, field, value)

    async def fill_tenant(self, platform: str, tenant_id: str) -> int:
        """Give every identity on `platform` still without a tenant (from the roster) this one;
        the number of identities filled in.

        For a platform whose bot serves one tenant (a Slack workspace): once the roster's ids
        carry the tenant too, both partners of a pair are known to share it, whoever of them
        wrote to the bot first. An id that is also stored with this tenant already (a roster
        import racing a first message) is the same account twice: the platform's row stays,
        the roster's goes.
        """
        if not tenant_id:
            return 0
        table = _table(IdentityRow)
        unfilled = (table.c.platform == platform, table.c.tenant_id == "")
        # Most ticks find nothing to fill: a read, so they take no write lock (SQLite).
        async with self._autocommit() as connection:
            pending = (
                await connection.execute(select(table.c.id).where(*unfilled).limit(1))
            ).first()
        if pending is None:
            return 0
        try:
            return await self._fill_tenant(platform, tenant_id)
        except IntegrityError:  # a first message linked one of these ids meanwhile: again
            return await self._fill_tenant(platform, tenant_id)

    async def _fill_tenant(self, platform: str, tenant_id: str) -> int:
        table, other = _table(IdentityRow), _table(IdentityRow).alias("linked")
        unfilled = (table.c.platform == platform, table.c.tenant_id == "")
        twice = (
            select(other.c.id)
            .where(
                other.c.platform == platform,
                other.c.tenant_id == tenant_id,
                other.c.user_id == table.c.user_id,
            )
            .exists()
        )
        async with self._sessions.begin() as session:
            await session.execute(delete(table).where(*unfilled, twice))
            result = await session.execute(
                update(table).where(*unfilled).values(tenant_id=tenant_id)
            )
            return int(cast_type(Any, result).rowcount or 0)

    async def identities_of(self, person_id: int) -> list[Identity]:
        """Every platform identity of one person, by platform."""
        query = (
            select(IdentityRow)
            .where(IdentityRow.person_id == person_id)
            .order_by(IdentityRow.platform, IdentityRow.id)
        )
        async with self._sessions() as session:
            return [to_identity(row) for row in await session.scalars(query)]

    async def identities_of_people(self, person_ids: Collection[int]) -> dict[int, list[Identity]]:
        """`identities_of` for many people at once (one query per 10,000 ids)."""
        found: dict[int, list[Identity]] = {person_id: [] for person_id in person_ids}
        async with self._sessions() as session:
            for ids in chunks(found):
                query = (
                    select(IdentityRow)
                    .where(IdentityRow.person_id.in_(ids))
                    .order_by(IdentityRow.platform, IdentityRow.id)
                )
                for row in await session.scalars(query):
                    found[row.person_id].append(to_identity(row))
        return found

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
            row = await _load(session, person_id)
            found = await _identifiers(session, row)
            pseudonym = forgotten_email(person_id)
            await _erase_from_queue(session, found, pseudonym, at)
            await _erase_from_audit(session, found, pseudonym)
            await _erase_answers(session, found, pseudonym)
            await _erase_pending_inputs(session, found)
            await _erase_concerns(session, found, pseudonym)
            await _erase_elsewhere(session, found, pseudonym)
            pairs = _table(PairRow)
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
            sessions = _table(SessionRow)
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

    async def set_first_in_line(self, person_ids: Sequence[int], flag: bool) -> None:
        """Mark (or clear) people to be matched first in the next round."""
        if not person_ids:
            return
        async with self._sessions.begin() as session:
            for chunk in chunks(person_ids):
                await session.execute(
                    update(PersonRow).where(PersonRow.id.in_(chunk)).values(first_in_line=flag)
                )

    async def people_without_identity(
        self, platform: str, *, limit: int, after_id: int = 0
    ) -> list[Person]:
        """Enrolled people with no identity on `platform` yet (to look up by email), in id
        order from `after_id` (a cursor, so a long list is walked a page at a time)."""
        linked = select(IdentityRow.person_id).where(IdentityRow.platform == platform)
        query = (
            select(PersonRow)
            .where(
                PersonRow.status.in_([Status.ENROLLED.value, Status.PAUSED.value]),
                PersonRow.id.not_in(linked),
                PersonRow.id > after_id,
            )
            .order_by(PersonRow.id)
            .limit(limit)
        )
        async with self._sessions() as session:
            return [to_person(row) for row in await session.scalars(query)]


async def _unconfirmed(session: AsyncSession, person_id: int, platform: str) -> IdentityRow | None:
    """The person's identity on `platform` that the platform has never confirmed (a roster id,
    tenant ''), or None: linking another account of theirs updates it rather than adding a
    second record (one record per person and platform; the roster id may be stale or a
    different form of the id the platform sends)."""
    query = (
        select(IdentityRow)
        .where(
            IdentityRow.person_id == person_id,
            IdentityRow.platform == platform,
            IdentityRow.tenant_id == "",
        )
        .order_by(IdentityRow.id)
        .limit(1)
    )
    return (await session.scalars(query)).first()


# --- erasure, one table at a time (see `People.forget`) ---------------------------------------


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
    table = _table(DueWorkRow)
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
    table = _table(AuditRow)
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
    pulses = _table(PulseResponseRow)
    surveys = _table(SurveyAnswerRow)
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
    table = _table(PendingInputRow)
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
    table = _table(ConcernRow)
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
    events = _table(ProcessedEventRow)
    candidates = await session.execute(
        select(events.c.id, events.c.event_id).where(_naming([events.c.event_id], found))
    )
    named = [event_id for event_id, key in candidates if found.mentions(key)]
    for chunk in chunks(named):
        await session.execute(delete(events).where(events.c.id.in_(chunk)))
    if found.emails:
        emails = [email.lower() for email in found.emails]
        links, sessions = _table(AdminLinkRow), _table(AdminSessionRow)
        await session.execute(delete(links).where(func.lower(links.c.issued_to).in_(emails)))
        await session.execute(delete(sessions).where(func.lower(sessions.c.who).in_(emails)))
    prompts = _table(PromptRow)
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


def _table(model: type[Any]) -> Table:
    """The Core table of a mapped class (typed for mypy)."""
    return cast_type(Table, model.__table__)
