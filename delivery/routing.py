"""Where a queued message goes: a recipient resolved to the platform conversations it reaches.

A person is reached on the first platform of `PLATFORM_PREFERENCE` where they have an identity
and this deployment sends; a pair in its shared conversation when both partners are on one
platform that has group conversations (a Slack group DM, opened once and stored on the pair),
else in each partner's own chat (Teams bots cannot create group chats, docs/teams.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from conversations.ports import Directory, Pairs, Sender
from conversations.types import (
    PLATFORMS,
    Address,
    Identity,
    OutgoingMessage,
    Pair,
    ToPair,
    ToPerson,
)

PLATFORM_PREFERENCE = tuple(PLATFORMS)  # slack, teams, console: PLATFORMS is in this order


class NoRoute(Exception):
    """The recipient has no identity on any platform this deployment sends to."""


class WouldOpen(Exception):
    """Resolving needs a group conversation opened (a platform call): left to the send."""


class RoutingPorts(Pairs, Directory, Protocol):
    """What routing reads (pairs, identities) and writes (a pair's opened conversation)."""


@dataclass(frozen=True)
class Target:
    """One conversation a message goes to, and the person it reaches there (None: a group)."""

    address: Address
    person_id: int | None = None


class Lookups:
    """The pairs and identities a batch's messages go to: read for the whole batch in two
    queries up front, then from memory (with a query for anything not preloaded)."""

    def __init__(self, store: RoutingPorts) -> None:
        self.store = store
        self.pairs: dict[int, Pair] = {}
        self.identities: dict[int, list[Identity]] = {}

    async def preload(
        self, pair_ids: set[int], person_ids: set[int], known: Callable[[Pair], bool]
    ) -> None:
        """Read these pairs, then the identities of these people and of the partners of every
        pair not `known` (one whose conversation is stored needs no look-up)."""
        if pair_ids:
            self.pairs.update(await self.store.pairs_by_id(pair_ids))
        for pair in self.pairs.values():
            if not known(pair):
                person_ids |= {pair.mentor_id, pair.mentee_id}
        if person_ids:
            self.identities.update(await self.store.identities_of_people(person_ids))

    async def pair(self, pair_id: int) -> Pair | None:
        """The pair, from the batch's read or else from the store."""
        if pair_id not in self.pairs:
            found = await self.store.get_pair(pair_id)
            if found is None:
                return None
            self.pairs[pair_id] = found
        return self.pairs[pair_id]

    async def identities_of(self, person_id: int) -> list[Identity]:
        """The person's identities, from the batch's read or else from the store."""
        if person_id not in self.identities:
            self.identities[person_id] = await self.store.identities_of(person_id)
        return self.identities[person_id]


class Router:
    """Resolves recipients against the senders configured now (`senders` is the worker's own
    mapping, so a platform registered later is seen)."""

    def __init__(self, store: RoutingPorts, senders: Mapping[str, Sender]) -> None:
        self.store = store
        self.senders = senders

    async def resolve(
        self, message: OutgoingMessage, lookups: Lookups, *, may_open: bool = True
    ) -> list[Target]:
        """The platform conversations a message goes to (`lookups`: a batch's preloaded
        pairs and identities). Without `may_open`, a pair needing a group conversation opened
        raises `WouldOpen` instead of opening it."""
        to = message.to
        if isinstance(to, Address):
            person = message.metadata.get("person_id", "")
            return [Target(to, int(person) if person.isdigit() else None)]
        if isinstance(to, ToPerson):
            return [await self.person_target(lookups, to.person_id)]
        if isinstance(to, ToPair):
            pair = await lookups.pair(to.pair_id)
            if pair is None:
                raise ValueError(f"pair {to.pair_id} does not exist")
            known = self.known_conversation(pair)
            if known is not None:
                return [Target(known)]
            targets = [
                await self.person_target(lookups, p) for p in (pair.mentor_id, pair.mentee_id)
            ]
            group = await self._group(lookups, pair, targets, may_open)
            return [group] if group is not None else targets
        raise TypeError(f"unknown recipient {to!r}")

    def known_conversation(self, pair: Pair) -> Address | None:
        """The pair's stored shared conversation on a platform we send to, if any: opened for
        both partners before, so neither needs looking up. The tenant is the token's."""
        for platform in PLATFORM_PREFERENCE:
            known = pair.conversation_ids.get(platform)
            if known and platform in self.senders:
                return Address(platform, "", known)
        return None

    async def _group(
        self, lookups: Lookups, pair: Pair, targets: list[Target], may_open: bool = True
    ) -> Target | None:
        """The pair's shared conversation, when both are on one platform that has them
        (Slack group DMs; Teams bots cannot create group chats, docs/teams.md)."""
        first, second = (t.address for t in targets)
        if (first.platform, first.tenant_id) != (second.platform, second.tenant_id):
            return None  # a Slack person paired with a Teams person: each on their own
        known = pair.conversation_ids.get(first.platform)
        if known:
            return Target(Address(first.platform, first.tenant_id, known))
        if not self.senders[first.platform].opens_groups:
            return None
        if not may_open:
            raise WouldOpen(f"pair {pair.id} needs a group opened on {first.platform}")
        users = []
        for target in targets:
            identities = await lookups.identities_of(target.person_id or 0)
            identity = identity_on(identities, first.platform)
            users.append(identity.user_id if identity else "")
        if not all(users):
            return None
        opened = await self.senders[first.platform].open_group(first.tenant_id, users)
        if opened is None:
            return None
        await self.store.set_pair_conversation(pair.id, first.platform, opened)
        # The pair's next rows in this batch go straight to it.
        conversations = {**pair.conversation_ids, first.platform: opened}
        lookups.pairs[pair.id] = replace(pair, conversation_ids=conversations)
        return Target(Address(first.platform, first.tenant_id, opened))

    async def person_target(self, lookups: Lookups, person_id: int) -> Target:
        """The conversation that reaches one person: their chat on the preferred platform."""
        identities = await lookups.identities_of(person_id)
        for platform in PLATFORM_PREFERENCE:
            identity = identity_on(identities, platform)
            if identity is not None and platform in self.senders:
                conversation = identity.dm_conversation_id or identity.user_id
                return Target(Address(platform, identity.tenant_id, conversation), person_id)
        for platform in PLATFORM_PREFERENCE:
            sender = self.senders.get(platform)
            # A platform with no accounts to link (the console inbox) reaches everyone: the
            # person's id is the conversation.
            if sender is not None and getattr(sender, "reaches_everyone", False):
                tenant = str(getattr(sender, "tenant_id", ""))
                return Target(Address(platform, tenant, str(person_id)), person_id)
        raise NoRoute(f"person {person_id} has no identity on {sorted(self.senders)}")


def identity_on(identities: Sequence[Identity], platform: str) -> Identity | None:
    """The identity to use for a person on `platform`, or None: the same one for their DMs and
    their pair's group conversation. One the platform confirmed (a tenant is known) beats a
    roster id; among equals the newest (identities come ordered by id) wins."""
    on = [i for i in identities if i.platform == platform]
    confirmed = [i for i in on if i.tenant_id]
    return (confirmed or on)[-1] if on else None
