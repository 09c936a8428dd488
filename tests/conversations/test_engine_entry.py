"""The engine's own checks and hooks: an admin-only button refused before its handler runs,
the delivery worker's unreachable hook reading the current context, and a swapped
configuration rebuilding everything read from it."""

from __future__ import annotations

from datetime import datetime

import pytest

from conversations import engine as engine_module
from conversations import registry
from conversations.context import Context, Turn
from conversations.data.catalogue import configured_prompts
from conversations.types import Action, OutgoingMessage, actions
from tests.conversations.test_enrolment import Flow, text_of


async def test_a_non_admin_tapping_forget_person_is_refused_and_audited(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    flow = Flow()
    dana = await flow.person("dana@example.com", name="Dana")
    await flow.person("ana@example.com", name="Ana")
    reached: list[Action] = []

    async def handler(ctx: Context, turn: Turn, action: Action) -> list[OutgoingMessage]:
        reached.append(action)
        return []

    entry = registry.ACTIONS[actions.PRIVACY_FORGET_PERSON]
    assert entry.admin
    monkeypatch.setitem(
        registry.ACTIONS,  # type: ignore[arg-type]
        actions.PRIVACY_FORGET_PERSON,
        registry.ActionEntry(handler, admin=True, name=entry.name),
    )
    replies = await flow.tap(dana, actions.PRIVACY_FORGET_PERSON, "confirm:2")
    assert "Only programme admins" in text_of(replies)
    assert reached == []  # refused by the engine, before the handler
    assert [(e.actor, e.action, e.detail) for e in flow.store.audit_log] == [
        ("dana@example.com", "refused", "forget")
    ]
    assert flow.store.people[2].name == "Ana"


async def test_the_unreachable_hook_reads_the_engines_current_context(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    flow = Flow()
    hook = flow.engine.unreachable  # what bot/app.py hands the delivery worker
    flow.engine.config = flow.engine.config.model_copy(update={"admins": ("ceo@example.com",)})
    seen: list[Context] = []

    async def unreachable(ctx: Context, person_id: int, now: datetime) -> None:
        seen.append(ctx)

    monkeypatch.setattr(engine_module, "unreachable", unreachable)
    await hook(1, flow.clock.now())
    assert seen == [flow.engine.ctx] and seen[0].config.admins == ("ceo@example.com",)


def test_swapping_the_configuration_rebuilds_the_prompts_and_outbox() -> None:
    flow = Flow()
    config = flow.engine.config
    programme = config.programme.model_copy(update={"tracks": ("technology",)})
    swapped = config.model_copy(update={"programme": programme})
    flow.engine.config = swapped
    assert flow.engine.prompts == configured_prompts(swapped)
    assert flow.engine.prompts != configured_prompts(config)
    assert flow.engine.ctx.outbox.config is swapped
