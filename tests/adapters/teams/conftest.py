"""Fixtures for the Teams adapter tests: a fake Bot Connector and the adapter wired to a store."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

import pytest

from adapters.kit.deps import AdapterDeps
from adapters.teams.auth import TeamsCredentials, build_adapter
from adapters.teams.ports import TeamsSetup
from conversations.ports import HandleEvent
from conversations.types import (
    Event,
    Identity,
    OutgoingMessage,
    Person,
    Role,
    RosterEntry,
    UserRef,
)
from storage.sql_teams_identities import TeamsIdentities
from storage.store import SqlStore
from tests.adapters.teams.fake_connector import FakeConnector, fake_connector
from tests.fakes import FakeClock

NOW = datetime(2027, 1, 11, 10, tzinfo=UTC)
ROSTER = (
    RosterEntry(2, "maya@example.com", "Maya Okafor", 8, "CEO", "Operations", role=Role.MENTEE,
                learns=("GenAI tools",), timezone="Europe/London", teams_id="aad-maya"),
    RosterEntry(3, "sam@example.com", "Sam Lee", 2, "Analyst", "Finance", role=Role.MENTOR,
                teaches=("GenAI tools",), timezone="Europe/London", teams_id="aad-sam"),
    RosterEntry(4, "kim@example.com", "Kim Park", 5, "Manager", "Finance"),
)  # fmt: skip


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    """A fake Bot Connector on a free port."""
    async with fake_connector() as fake:
        yield fake


@pytest.fixture
async def people(store: SqlStore) -> SqlStore:
    """The store with the three-person roster imported."""
    await store.import_roster(ROSTER, deactivate_missing=False, dry_run=False, at=NOW)
    return store


def deps_for(
    store: SqlStore,
    handle: HandleEvent | None = None,
    queued: list[OutgoingMessage] | None = None,
) -> AdapterDeps:
    """AdapterDeps on a real store, with a stub engine."""

    async def no_replies(event: Event, *, person: Person | None = None) -> list[OutgoingMessage]:
        del event, person
        return []

    async def queue(messages: Sequence[OutgoingMessage], due: datetime) -> int:
        del due
        if queued is not None:
            queued.extend(messages)
        return len(messages)

    async def no_home(user: UserRef) -> OutgoingMessage:
        raise AssertionError(f"Teams has no home view to draw for {user}")

    return AdapterDeps(
        handle=handle or no_replies,
        people=store,
        clock=FakeClock(NOW),
        home=no_home,
        queue=queue,
        catalogue={"technology": ("GenAI tools", "Accessibility")},
        tracks=("technology",),
    )


def setup_for(store: SqlStore) -> TeamsSetup:
    """The Teams-only setup on a real store: any tenant, loopback service URLs (dev mode)."""
    return TeamsSetup(directory=TeamsIdentities(store._sessions))


def dev_adapter():  # type: ignore[no-untyped-def]
    """CloudAdapter with no app id: outbound calls carry no token (nothing to log in to)."""
    return build_adapter(TeamsCredentials(dev_mode=True))


async def link(store: SqlStore, email: str, identity: Identity) -> None:
    """Give a roster person a Teams identity (as a first message would)."""
    person = await store.person_by_email(email)
    assert person is not None
    await store.link_identity(dataclasses.replace(identity, person_id=person.id))
