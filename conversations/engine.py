"""The engine's two entry points: `handle(event)` and `run_due(now)`.

`handle` answers a person at once: the returned messages are replies to send in the
conversation the event came from. Anything for somebody else, or for later, goes into the
durable queue (`WorkQueue`) with an idempotency key, so a crash or a second process never sends
it twice. `run_due` turns programme work that has come due into queued messages.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from conversations import grammar as cmd
from conversations.config import AppConfig
from conversations.enrolment import enrolment_texts as messages
from conversations.outbox.codec import message_to_dict
from conversations.outbox.timing import next_slot, zone
from conversations.ports import AdminLinks, Clock, DueWork, Store
from conversations.programme.catalogue import Prompt
from conversations.types import (
    Action,
    Address,
    Command,
    Event,
    IncomingMessage,
    MemberJoined,
    OutgoingMessage,
    PendingInput,
    Person,
    ToPerson,
    UserRef,
)

log = logging.getLogger(__name__)

DELIVER = "deliver"  # a queued OutgoingMessage, sent by the delivery worker
LEASE = timedelta(minutes=5)  # long enough for one batch; a crashed worker's rows come back


@dataclass(frozen=True)
class Turn:
    """One event being handled: who sent it, where to answer, and when."""

    person: Person | None
    reply_to: Address
    now: datetime
    is_admin: bool


WorkHandler = Callable[["Engine", DueWork, datetime], Awaitable[list[OutgoingMessage]]]
CommandHandler = Callable[["Engine", Turn, object], Awaitable[list[OutgoingMessage]]]
ActionHandler = Callable[["Engine", Turn, Action], Awaitable[list[OutgoingMessage]]]
# A typed line the bot asked for (`PendingInput.kind` → handler): the pulse's one thing, …
InputHandler = Callable[["Engine", Turn, PendingInput, str], Awaitable[list[OutgoingMessage]]]


class Engine:
    """The platform-neutral programme engine. Build one per process in `bot.app`."""

    def __init__(
        self,
        store: Store,
        config: AppConfig,
        clock: Clock,
        rng: random.Random,
        *,
        worker: str = "engine",
        links: AdminLinks | None = None,
    ) -> None:
        # Handler tables, dispatched on below.
        from conversations.enrolment import form as enrol_form
        from conversations.enrolment import self_service as enrolment
        from conversations.pairing import endings as pair_endings
        from conversations.pairing import rounds as pairing
        from conversations.programme import answers as programme_answers
        from conversations.programme import lifecycle as programme
        from conversations.programme import prompts
        from conversations.programme import topics as session_topics
        from conversations.safety import concerns

        self.store = store
        self.config = config
        self.clock = clock
        self.rng = rng
        self.worker = worker
        self.links = links  # signed dashboard/export links, when the web side is configured
        self._commands: dict[type, CommandHandler] = {
            **enrolment.COMMANDS,
            **pairing.COMMANDS,
            **prompts.COMMANDS,
            **concerns.COMMANDS,
            **pair_endings.COMMANDS,
        }
        self._actions: dict[str, ActionHandler] = {
            **enrolment.ACTIONS,
            **enrol_form.ACTIONS,
            **pairing.ACTIONS,
            **programme_answers.ACTIONS,
            **concerns.ACTIONS,
            **session_topics.ACTIONS,
            **pair_endings.ACTIONS,
        }
        self._work: dict[str, WorkHandler] = {**enrolment.WORK, **programme.WORK}
        self._inputs: dict[str, InputHandler] = {
            **programme_answers.INPUTS,
            **concerns.INPUTS,
            **pair_endings.INPUTS,
        }
        # Typed lines nothing may take over once asked for: a concern half-told must never
        # become a pulse comment or an end-of-pairing reason (`expect_line`).
        self._kept_inputs = frozenset({concerns.CONCERN_TEXT})
        self._redeliver = concerns.redeliver
        # The shipped catalogue plus app.yaml's own prompts; `prompt add` ones live in the store.
        self.prompts: tuple[Prompt, ...] = prompts.configured_prompts(config)

    # --- events ------------------------------------------------------------------------------

    async def handle(self, event: Event, *, person: Person | None = None) -> list[OutgoingMessage]:
        """Answer one event; returns the replies for the event's conversation.

        `person`: the sender, when the adapter has just looked them up (linking their account
        does); otherwise they are looked up here.
        """
        if person is None:
            person = await self.store.person_by_identity(event.user)
        turn = Turn(
            person=person,
            reply_to=event.address,
            now=self.clock.now(),
            is_admin=person is not None and self.config.is_admin(person.email),
        )
        if isinstance(event, MemberJoined):
            return [messages.help_text(turn.reply_to, person, is_admin=turn.is_admin)]
        if isinstance(event, Action):
            return await self._handle_action(turn, event)
        text = event.text if isinstance(event, IncomingMessage) else _command_text(event)
        command = cmd.parse(text)
        if isinstance(command, cmd.Unknown) and isinstance(event, IncomingMessage) and person:
            # Not a command: maybe the line the bot asked for (a pulse's "one thing").
            waiting = await self.store.take_pending_input(person.id, turn.now)
            answer = self._inputs.get(waiting.kind) if waiting is not None else None
            if waiting is not None and answer is not None:
                return await answer(self, turn, waiting, event.text)
        return await self.run_command(turn, command)

    async def expect_line(
        self,
        person_id: int,
        kind: str,
        context: Mapping[str, int | str],
        until: datetime,
        now: datetime,
    ) -> bool:
        """Wait for this person's next typed line as an answer of `kind` (until `until`),
        replacing an earlier question. False, and nothing changes, while they are in the middle
        of telling me a concern: a later question must never capture those words."""
        waiting = await self.store.take_pending_input(person_id, now)
        if waiting is not None and waiting.kind in self._kept_inputs and waiting.kind != kind:
            await self.store.set_pending_input(
                person_id, waiting.kind, waiting.context, waiting.expires_at
            )
            return False
        await self.store.set_pending_input(person_id, kind, context, until)
        return True

    async def drop_line(self, person_id: int, kind: str, now: datetime) -> PendingInput | None:
        """Stop waiting for a typed line of `kind`; what was waited for (None: not that).
        Anything else waited for keeps waiting: skipping a pulse comment must not drop a
        concern being written."""
        waiting = await self.store.take_pending_input(person_id, now)
        if waiting is not None and waiting.kind != kind:
            await self.store.set_pending_input(
                person_id, waiting.kind, waiting.context, waiting.expires_at
            )
            return None
        return waiting

    async def run_command(self, turn: Turn, command: cmd.ParsedCommand) -> list[OutgoingMessage]:
        """Run a parsed command for the person in `turn`."""
        if isinstance(command, cmd.Unknown):
            return [messages.unknown_command(turn.reply_to, command.problem, command.suggestion)]
        if isinstance(command, cmd.Help):
            return [messages.help_text(turn.reply_to, turn.person, is_admin=turn.is_admin)]
        if turn.person is None:
            return [not_in_directory(turn.reply_to)]
        if cmd.is_admin_command(command) and not turn.is_admin:
            # Refused and recorded: who tried what is part of the programme's accountability.
            await self.store.record(
                turn.person.email, "refused", type(command).__name__.lower(), at=turn.now
            )
            return [self.admin_refusal(turn.reply_to)]
        handler = self._commands.get(type(command))
        if handler is None:
            # Parsed but not built yet in this version: say so rather than pretend.
            return [
                messages.reply(
                    turn.reply_to,
                    "unavailable",
                    "That command isn't available in this version yet.",
                )
            ]
        return await handler(self, turn, command)

    async def _handle_action(self, turn: Turn, action: Action) -> list[OutgoingMessage]:
        handler = self._actions.get(action.action_id)
        if handler is None:
            log.info("ignoring unknown action %r from %s", action.action_id, action.user)
            return [messages.reply(turn.reply_to, "stale", "That button has expired. Try `help`.")]
        if turn.person is None:
            return [not_in_directory(turn.reply_to)]
        return await handler(self, turn, action)

    async def home(self, user: UserRef) -> OutgoingMessage:
        """The person's home view (Slack App Home): status, partner, next session, buttons."""
        from conversations.enrolment.home import home_view

        return await home_view(self, user)

    def admin_refusal(self, to: Address) -> OutgoingMessage:
        """The short refusal a non-admin gets for an admin command; names the admins."""
        admins = ", ".join(self.config.admins) or "nobody yet (see app.yaml `admins`)"
        return messages.reply(
            to, "refusal", f"Only programme admins can do that. The admins are: {admins}."
        )

    # --- the queue ---------------------------------------------------------------------------

    async def queue(self, outgoing: Sequence[OutgoingMessage], due_at: datetime) -> int:
        """Put messages on the delivery queue; a key already queued is skipped."""
        added = 0
        for message in outgoing:
            if not message.idempotency_key:
                raise ValueError(f"queued message {message.kind!r} has no idempotency key")
            added += await self.store.schedule(
                DELIVER, message_to_dict(message), due_at, message.idempotency_key
            )
        return added

    async def queue_for_person(self, person: Person, message: OutgoingMessage) -> int:
        """Queue a scheduled message for the person's next delivery slot (quiet hours)."""
        tz = zone(person.timezone, self.config.programme.timezone)
        due = next_slot(self.clock.now(), tz, self.config.programme)
        return await self.queue([message], due)

    async def welcome(self, people: Sequence[Person]) -> int:
        """Queue the welcome for newly enrolled people (once each, ever)."""
        added = 0
        for person in people:
            key = self.welcome_key(person)
            message = messages.welcome(ToPerson(person.id), person, self.config, key=key)
            added += await self.queue([message], self.welcome_due(person))
        return added

    @staticmethod
    def welcome_key(person: Person) -> str:
        """The queued welcome's key: by the enrolment, so someone who leaves and is enrolled
        again is welcomed again."""
        stamp = person.enrolled_at.strftime("%Y%m%dT%H%M%S") if person.enrolled_at else "0"
        return f"welcome:{person.id}:{stamp}"

    def welcome_due(self, person: Person) -> datetime:
        """When the person's welcome goes out: the first delivery hour in their zone after
        they were enrolled (after now, for someone with no enrolment time)."""
        tz = zone(person.timezone, self.config.programme.timezone)
        return next_slot(person.enrolled_at or self.clock.now(), tz, self.config.programme)

    async def run_due(
        self, now: datetime | None = None, *, limit: int = 200
    ) -> list[OutgoingMessage]:
        """Process programme work due by `now`; returns the messages it queued."""
        now = now or self.clock.now()
        # A concern that reached nobody goes out as soon as someone can receive it.
        produced: list[OutgoingMessage] = await self._redeliver(self, now)
        while True:
            batch = await self.store.claim(
                now,
                limit=limit,
                lease_until=now + LEASE,
                worker=self.worker,
                kinds=sorted(self._work),
            )
            for work in batch:
                handler = self._work[work.kind]
                outgoing = await handler(self, work, now)
                # Queue before completing: a crash in between redoes the work, and the
                # idempotency keys make the second queueing a no-op.
                await self.queue(outgoing, now)
                await self.store.complete(work.id, at=now)
                produced.extend(outgoing)
            if len(batch) < limit:
                return produced


def _command_text(command: Command) -> str:
    return f"{command.name} {command.args}".strip()


def not_in_directory(to: Address) -> OutgoingMessage:
    """The answer for someone the directory does not know."""
    return messages.reply(
        to,
        "unknown_person",
        "I don't know you yet: you're not in the programme's directory. "
        "Ask your programme team to add you, then say hi again.",
    )
