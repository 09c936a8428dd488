"""One inbound turn: remember how to reach the person, hand the event to the engine, answer.

Runs inside botbuilder's pipeline (`CloudAdapter.process_activity`), so replies use the turn's
connector. The raw JSON body travels alongside because botbuilder's model drops the tenant.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Mapping
from datetime import timedelta
from http import HTTPStatus
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import Activity, ActivityTypes, AdaptiveCardInvokeResponse

from adapters.kit.deps import AdapterDeps
from adapters.teams.activities import message_activity, reference_of, reference_to_json
from adapters.teams.errors import send_failed
from adapters.teams.platform import PLATFORM
from adapters.teams.ports import TeamsSetup
from adapters.teams.render import CARD_CONTENT_TYPE, render_card
from adapters.teams.translate import Inbound, translate
from conversations.outbox.premise import by_then
from conversations.types import Action, Identity, OutgoingMessage, Person, UserRef

log = logging.getLogger(__name__)

SORRY = "Sorry, something went wrong on my side. Please try again in a minute."
# A reply Teams did not take at once goes out through the queue, but only this long after the
# turn: later it would answer a question the person has stopped waiting for.
REPLY_STALE_AFTER = timedelta(minutes=10)


def event_key(activity: Mapping[str, Any]) -> str | None:
    """The de-duplication key of an activity, or None when it has no id.

    Teams activity ids are unique within a conversation only, so the key includes the
    conversation; hashed to fit the `processed_events` column whatever the id lengths.
    """
    activity_id = activity.get("id")
    conversation = activity.get("conversation")
    conversation_id = conversation.get("id") if isinstance(conversation, Mapping) else None
    if not isinstance(activity_id, str) or not activity_id:
        return None
    raw = f"{conversation_id}\n{activity.get('type')}\n{activity_id}"
    return hashlib.sha256(raw.encode()).hexdigest()


def _covers(stored: Identity, new: Identity) -> bool:
    """True when storing `new` would change nothing (empty fields keep what is stored)."""
    return all(
        getattr(new, name) in ("", getattr(stored, name))
        for name in ("tenant_id", "dm_conversation_id", "service_url", "reference")
    ) and (stored.person_id, stored.tenant_id) == (new.person_id, new.tenant_id)


class TeamsTurn:
    """The bot logic CloudAdapter calls for each authenticated activity."""

    def __init__(self, deps: AdapterDeps, setup: TeamsSetup) -> None:
        self.deps = deps
        self.setup = setup

    async def on_turn(self, context: TurnContext, raw: Mapping[str, Any]) -> None:
        """Handle one activity; errors are logged and answered, never raised to botbuilder."""
        if not self.setup.service_urls.allows(raw.get("serviceUrl")):
            # The endpoint refuses these before the turn; this guards any other way in, since
            # replies and the email look-up go to this URL with the bot's token.
            log.warning("Teams turn skipped: serviceUrl %.200r not allowed", raw.get("serviceUrl"))
            return
        now = self.deps.clock.now()
        inbound = translate(raw, now)
        key = event_key(raw)
        if key is not None and not await self.deps.people.record_event(PLATFORM, key, now):
            log.info("Teams activity %s was processed already; ignoring the retry", raw.get("id"))
            if inbound.invoke:
                await self._invoke_answer(context, None)
            return
        try:
            await self._run(context, raw, inbound)
        except Exception:
            log.exception("Teams turn failed for activity %s", raw.get("id"))
            if inbound.invoke:
                await self._invoke_answer(context, None, error=SORRY)
            elif inbound.event is not None:
                await context.send_activity(Activity(type=ActivityTypes.message, text=SORRY))
        finally:
            self.deps.kick()

    async def _run(self, context: TurnContext, raw: Mapping[str, Any], inbound: Inbound) -> None:
        person: Person | None = None  # linked below: the engine need not look them up again
        if inbound.user is not None and inbound.address is not None:
            person = await self.link(context, raw, inbound)
        if inbound.event is None:
            if inbound.reason:
                log.info("Teams activity %s ignored: %s", raw.get("id"), inbound.reason)
            if inbound.invoke:
                await self._invoke_answer(context, None)
            return
        replies = await self.deps.handle(inbound.event, person=person)
        card_id = inbound.event.message_id if isinstance(inbound.event, Action) else None
        in_place: OutgoingMessage | None = None
        for reply in replies:
            if inbound.invoke and card_id and reply.replaces == card_id and in_place is None:
                in_place = reply  # Action.Execute: the updated card is the invoke's answer
                continue
            await self.reply(context, reply, inbound)
        if inbound.invoke:
            await self._invoke_answer(context, in_place)

    async def link(
        self, context: TurnContext, raw: Mapping[str, Any], inbound: Inbound
    ) -> Person | None:
        """Store the person's conversation reference, service URL and tenant; the person, or
        None for someone not on the roster.

        Teams users are matched to roster people by Azure AD object id (the roster's
        `teams_id`), else by the email Teams reports for them (`TeamsInfo.get_member`). Either
        way the person keeps one Teams record: the store gives the roster's record this tenant
        and, when the roster had the id in another form, this AAD object id (docs/teams.md).
        """
        assert inbound.user is not None and inbound.address is not None
        person = await self.deps.people.person_by_identity(inbound.user)
        if person is None:
            person = await self._by_email(context, inbound.user)
        if person is None:
            return None
        personal = inbound.personal
        identity = Identity(
            person.id,
            PLATFORM,
            inbound.user.tenant_id,
            inbound.user.user_id,
            dm_conversation_id=inbound.address.conversation_id if personal else "",
            service_url=str(raw.get("serviceUrl") or ""),
            reference=(
                reference_to_json(reference_of(context.activity, inbound.user.tenant_id))
                if personal
                else ""
            ),
        )
        known = [
            i
            for i in await self.deps.people.identities_of(person.id)
            if i.platform == PLATFORM and i.user_id == identity.user_id
        ]
        if not any(_covers(stored, identity) for stored in known):  # write only on a change
            await self.deps.people.link_identity(identity)
        return person

    async def _by_email(self, context: TurnContext, user: UserRef) -> Person | None:
        sender = context.activity.from_property
        if sender is None or not sender.id:
            return None
        try:
            member = await TeamsInfo.get_member(context, sender.id)
        except Exception as error:  # a lookup failure leaves them unknown, it never breaks the turn
            log.warning("Teams member lookup failed for %s: %s", user, error)
            return None
        email = getattr(member, "email", None) or getattr(member, "user_principal_name", None)
        return await self.deps.people.person_by_email(email) if email else None

    async def reply(self, context: TurnContext, message: OutgoingMessage, inbound: Inbound) -> None:
        """Answer in the turn's conversation; a refused reply is queued for the delivery worker."""
        assert inbound.address is not None
        activity = message_activity(
            message, topics=self.deps.programme_topics, tenant_id=inbound.address.tenant_id
        )
        try:
            if message.replaces:
                activity.id = message.replaces
                activity.conversation = context.activity.conversation
                await context.update_activity(activity)
            else:
                await context.send_activity(activity)
        except Exception as error:
            failure = send_failed(error)
            if failure.permanent:
                log.warning("Teams refused a reply for good: %s", failure.reason)
                return
            log.info("Teams reply failed (%s); queued for delivery", failure.reason)
            stamp = self.deps.clock.now()
            key = message.idempotency_key or f"teams-reply:{context.activity.id}:{message.kind}"
            # Worth sending for a few minutes only: an hour later "Wonderful — I'll introduce
            # you" may answer a pair that has ended since (conversations/outbox/premise.py).
            premise = by_then(message.premise, stamp + REPLY_STALE_AFTER)
            queued = dataclasses.replace(
                message, to=inbound.address, idempotency_key=key, premise=premise
            )
            await self.deps.queue([queued], stamp)

    async def _invoke_answer(
        self, context: TurnContext, card_message: OutgoingMessage | None, *, error: str = ""
    ) -> None:
        """The InvokeResponse for Action.Execute: the updated card, or a short message.

        The card answer is a model (`AdaptiveCardInvokeResponse`), serialised once by the
        endpoint — CloudAdapter would serialise a pre-built dict a second time. The
        message answer cannot be that model (its `value` is typed as an object, the message is
        a string), so it is a plain dict, which the endpoint passes through as it is.
        """
        body: AdaptiveCardInvokeResponse | dict[str, object]
        if card_message is not None:
            body = AdaptiveCardInvokeResponse(
                status_code=200,
                type=CARD_CONTENT_TYPE,
                value=render_card(card_message, topics=self.deps.programme_topics),
            )
        else:
            body = {
                "statusCode": 200,
                "type": "application/vnd.microsoft.activity.message",
                "value": error or "Got it.",
            }
        await context.send_activity(
            Activity(
                type=ActivityTypes.invoke_response,
                value=InvokeResponse(status=HTTPStatus.OK, body=body),
            )
        )
