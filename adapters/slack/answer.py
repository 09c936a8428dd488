"""What happens after the 3-second ack: link the person, ask the engine, deliver its replies.

Where an answer goes depends on how the question came (Slack has several kinds of "reply"):
a slash command is answered through its response_url (ephemeral, works in any channel); a
button answer that `replaces` the clicked message updates it (chat.update, or the response_url
for an ephemeral message); a private answer in a shared conversation (a pair's group DM) is
ephemeral; everything else is posted in the conversation.
"""

from __future__ import annotations

import json
import logging

from adapters.kit.deps import AdapterDeps
from adapters.slack import translate as tr
from adapters.slack.identity import IdentityLinker
from adapters.slack.modal import enrol_modal
from adapters.slack.platform import PLATFORM
from adapters.slack.render import render_home
from adapters.slack.replies import SlackReplies
from adapters.slack.sender import SlackSender
from conversations.ports import SendFailed
from conversations.types import (
    Address,
    OutgoingMessage,
    Person,
    UserRef,
)

log = logging.getLogger(__name__)


class Responder:
    """Turns one translated request into Slack calls."""

    def __init__(
        self,
        deps: AdapterDeps,
        sender: SlackSender,
        replies: SlackReplies,
        linker: IdentityLinker,
    ) -> None:
        self.deps = deps
        self.sender = sender
        self.replies = replies
        self.linker = linker

    async def process(self, inbound: tr.Inbound) -> None:
        """Do everything one request asks; errors are logged and told to the person."""
        try:
            await self._process(inbound)
        except Exception:  # one bad request must never take the listener down
            log.exception("Slack %s from %s failed", inbound.via, inbound.user.user_id)
            await self._apologise(inbound)
        finally:
            self.deps.kick()

    async def _process(self, inbound: tr.Inbound) -> None:
        person = await self.linker.resolve(inbound.user, inbound.dm_channel)
        if inbound.special == tr.PUBLISH_HOME:
            await self.publish_home(inbound.user)
            return
        if inbound.special == tr.OPEN_ENROL_MODAL and await self._open_form(inbound, person):
            return
        if inbound.event is None:
            return
        for reply in await self.deps.handle(inbound.event, person=person):
            await self._deliver(inbound, reply)
        if inbound.via == "view":
            await self.publish_home(inbound.user)  # the Home tab shows the new status

    async def _open_form(self, inbound: tr.Inbound, person: Person | None) -> bool:
        """Open the enrolment modal for someone who can join; False lets the engine answer."""
        if person is None or person.status.enrolled or not inbound.trigger_id:
            return False  # unknown people and members get the engine's words instead
        timezone = ""
        if not person.timezone:
            timezone = (await self.linker.profile(inbound.user.user_id)).get("tz", "")
        metadata = json.dumps({"dm": inbound.dm_channel})
        await self.replies.open_view(
            inbound.trigger_id,
            enrol_modal(
                person,
                topics=self.deps.catalogue,
                partners_see=self.deps.partners_see,
                timezone=timezone,
                private_metadata=metadata,
            ),
        )
        return True

    async def publish_home(self, user: UserRef) -> None:
        """Draw the person's Home tab from the engine's home view."""
        message = await self.deps.home(user)
        await self.replies.publish_home(user.user_id, render_home(message))

    async def _deliver(self, inbound: tr.Inbound, reply: OutgoingMessage) -> None:
        address = reply.to if isinstance(reply.to, Address) else _origin(inbound)
        try:
            if inbound.via == "command":
                await self._ephemeral(inbound, reply, address)
            elif reply.replaces and inbound.clicked_ephemeral and inbound.response_url:
                await self.replies.respond(reply, inbound.response_url, replace_original=True)
            elif reply.replaces:
                # The answer takes the clicked message's place, for everyone who saw it.
                await self.sender.send(reply, address)
            elif reply.private and inbound.via == "action" and _shared(address):
                await self._ephemeral(inbound, reply, address)
            else:
                await self.sender.send(reply, address)
        except SendFailed as error:
            log.warning("could not answer %s: %s", inbound.user.user_id, error.reason)

    async def _ephemeral(
        self, inbound: tr.Inbound, reply: OutgoingMessage, address: Address
    ) -> None:
        if inbound.response_url:
            await self.replies.respond(reply, inbound.response_url)
        else:
            await self.replies.send_ephemeral(reply, address, inbound.user.user_id)

    async def _apologise(self, inbound: tr.Inbound) -> None:
        sorry = OutgoingMessage(
            _origin(inbound),
            "error",
            "Sorry, something went wrong on my side. Please try again in a minute.",
            private=True,
        )
        try:
            if inbound.via in ("command", "action") and inbound.response_url:
                await self.replies.respond(sorry, inbound.response_url)
            elif inbound.via in ("dm", "view"):
                await self.sender.send(sorry, _origin(inbound))
        except SendFailed:
            pass  # already logged above; Slack itself is failing


def _origin(inbound: tr.Inbound) -> Address:
    event = inbound.event
    if event is not None:
        return event.address
    return Address(PLATFORM, inbound.user.tenant_id, inbound.dm_channel or inbound.user.user_id)


def _shared(address: Address) -> bool:
    # C… channels and G… group DMs are seen by others; D… and user ids are the person's own DM.
    return not address.conversation_id.startswith(("D", "U", "W"))
