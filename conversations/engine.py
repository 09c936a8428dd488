"""The engine's two entry points: `handle(event)` and `run_due(now)`.

`handle` answers a person at once: the returned messages are replies to send in the
conversation the event came from. Anything for somebody else, or for later, goes into the
durable queue (`WorkQueue`) with an idempotency key, so a crash or a second process never sends
it twice. `run_due` turns programme work that has come due into queued messages. Both dispatch
through `conversations.registry`, the one table of handlers.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from conversations import grammar as cmd
from conversations import registry, texts
from conversations.admin.tools import admin_refusal
from conversations.config import AppConfig
from conversations.context import Context, Turn
from conversations.enrolment import enrolment_texts
from conversations.enrolment.departures import unreachable
from conversations.enrolment.home import home_view
from conversations.outbox.queueing import welcome_key
from conversations.ports import AdminLinks, Clock, Store
from conversations.safety.concerns import redeliver
from conversations.types import (
    Action,
    Address,
    Command,
    Event,
    IncomingMessage,
    MemberJoined,
    OutgoingMessage,
    Person,
    Prompt,
    ToPerson,
    UserRef,
)

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # long enough for one batch; a crashed worker's rows come back


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
        self._store = store  # kept to rebuild `ctx` when a test swaps config or links
        self.ctx = Context.of(store, config, clock, rng, worker=worker, links=links)

    # What the composition root and tests read; the handlers read the same from `ctx`.
    @property
    def config(self) -> AppConfig:
        """The programme's configuration (app.yaml)."""
        return self.ctx.config

    @config.setter
    def config(self, config: AppConfig) -> None:
        # Tests swap the configuration mid-scenario: everything read from it (the outbox,
        # the prompts) is rebuilt the one way `Context.of` builds it.
        self.ctx = self._rebuilt(config, self.ctx.links)

    @property
    def clock(self) -> Clock:
        """The engine's clock."""
        return self.ctx.clock

    @property
    def prompts(self) -> tuple[Prompt, ...]:
        """The shipped catalogue plus app.yaml's own prompts."""
        return self.ctx.prompts

    @property
    def links(self) -> AdminLinks | None:
        """Signed dashboard/export links, when the web side is configured."""
        return self.ctx.links

    @links.setter
    def links(self, links: AdminLinks | None) -> None:
        self.ctx = self._rebuilt(self.ctx.config, links)

    def _rebuilt(self, config: AppConfig, links: AdminLinks | None) -> Context:
        ctx = self.ctx
        return Context.of(self._store, config, ctx.clock, ctx.rng, worker=ctx.worker, links=links)

    # --- events ------------------------------------------------------------------------------

    async def handle(self, event: Event, *, person: Person | None = None) -> list[OutgoingMessage]:
        """Answer one event; returns the replies for the event's conversation.

        `person`: the sender, when the adapter has just looked them up (linking their account
        does); otherwise they are looked up here.
        """
        if person is None:
            person = await self.ctx.people.person_by_identity(event.user)
        turn = Turn(
            person=person,
            reply_to=event.address,
            now=self.ctx.clock.now(),
            is_admin=person is not None and self.ctx.config.is_admin(person.email),
        )
        if isinstance(event, MemberJoined):
            return [registry.help_text(turn.reply_to, person, is_admin=turn.is_admin)]
        if isinstance(event, Action):
            return await self._handle_action(turn, event)
        text = event.text if isinstance(event, IncomingMessage) else _command_text(event)
        command = registry.parse(text)
        if isinstance(command, cmd.Unknown) and isinstance(event, IncomingMessage) and person:
            # Not a command: maybe the line the bot asked for (a pulse's "one thing").
            waiting = await self.ctx.waiting.take_pending_input(person.id, turn.now)
            answer = registry.INPUTS.get(waiting.kind) if waiting is not None else None
            if waiting is not None and answer is not None:
                replies = await answer(self.ctx, turn, waiting, event.text)
                if replies is None:  # nothing to answer it with any more (the pair is gone)
                    return [registry.help_text(turn.reply_to, person, is_admin=turn.is_admin)]
                return replies
        return await self.run_command(turn, command)

    async def run_command(self, turn: Turn, command: cmd.ParsedCommand) -> list[OutgoingMessage]:
        """Run a parsed command for the person in `turn`, if they may."""
        entry = registry.entry_for(command)
        if isinstance(command, cmd.Unknown) or entry is None:
            problem, suggestion = (
                (command.problem, command.suggestion)
                if isinstance(command, cmd.Unknown)
                else ("", "")
            )
            return [enrolment_texts.unknown_command(turn.reply_to, problem, suggestion)]
        if turn.person is None and entry.needs_person:
            return [not_in_directory(turn.reply_to)]
        if turn.person is not None and registry.is_admin_command(command) and not turn.is_admin:
            # Refused and recorded: who tried what is part of the programme's accountability.
            await self.ctx.audit.record(
                turn.person.email, "refused", registry.command_name(command), at=turn.now
            )
            return [admin_refusal(self.ctx.config, turn.reply_to)]
        return await entry.handler(self.ctx, turn, command)

    async def _handle_action(self, turn: Turn, action: Action) -> list[OutgoingMessage]:
        entry = registry.ACTIONS.get(action.action_id)
        if entry is None and action.action_id != registry.COMMAND_BUTTON:
            log.info("ignoring unknown action %r from %s", action.action_id, action.user)
            return [texts.reply(turn.reply_to, "stale", "That button has expired. Try `help`.")]
        if turn.person is None:
            return [not_in_directory(turn.reply_to)]
        if entry is None:  # a button standing for a typed command
            return await self.run_command(turn, registry.parse(action.value))
        if entry.admin and not turn.is_admin:
            # Refused and recorded as a typed admin command is: a button is no way round it.
            await self.ctx.audit.record(
                turn.person.email, "refused", entry.name or action.action_id, at=turn.now
            )
            return [admin_refusal(self.ctx.config, turn.reply_to)]
        return await entry.handler(self.ctx, turn, action)

    async def home(self, user: UserRef) -> OutgoingMessage:
        """The person's home view (Slack App Home): status, partner, next session, buttons."""
        return await home_view(self.ctx, user)

    async def unreachable(self, person_id: int, now: datetime) -> None:
        """The platform says this person can no longer be reached: the delivery worker's
        hook (`conversations.enrolment.departures.unreachable`), with the engine's current
        context, read at call time."""
        await unreachable(self.ctx, person_id, now)

    # --- the queue (`conversations.outbox.queueing.Outbox`) ----------------------------------

    async def queue(self, outgoing: Sequence[OutgoingMessage], due_at: datetime) -> int:
        """Put messages on the delivery queue; a key already queued is skipped."""
        return await self.ctx.outbox.queue(outgoing, due_at)

    async def welcome(self, people: Sequence[Person]) -> int:
        """Queue the welcome for newly enrolled people (once each, ever)."""
        outbox, added = self.ctx.outbox, 0
        for person in people:
            key = welcome_key(person)
            message = enrolment_texts.welcome(ToPerson(person.id), person, self.config, key=key)
            added += await outbox.queue([message], outbox.welcome_due(person))
        return added

    async def run_due(
        self, now: datetime | None = None, *, limit: int = 200
    ) -> list[OutgoingMessage]:
        """Process programme work due by `now`; returns the messages it queued."""
        ctx = self.ctx
        now = now or ctx.clock.now()
        # A concern that reached nobody goes out as soon as someone can receive it.
        produced: list[OutgoingMessage] = await redeliver(ctx, now)
        while True:
            batch = await ctx.queue.claim(
                now,
                limit=limit,
                lease_until=now + LEASE,
                worker=ctx.worker,
                kinds=sorted(registry.WORK),
            )
            for work in batch:
                outgoing = await registry.WORK[work.kind](ctx, work, now)
                # Queue before completing: a crash in between redoes the work, and the
                # idempotency keys make the second queueing a no-op.
                await ctx.outbox.queue(outgoing, now)
                await ctx.queue.complete(work.id, at=now)
                produced.extend(outgoing)
            if len(batch) < limit:
                return produced


def _command_text(command: Command) -> str:
    return f"{command.name} {command.args}".strip()


def not_in_directory(to: Address) -> OutgoingMessage:
    """The answer for someone the directory does not know."""
    return texts.reply(
        to,
        "unknown_person",
        "I don't know you yet: you're not in the programme's directory. "
        "Ask your programme team to add you, then say hi again.",
    )
