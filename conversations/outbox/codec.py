"""Turn `OutgoingMessage`s into plain JSON-able dicts and back, for the delivery queue.

Queued messages outlive the process that made them, so the format is explicit (a `type` tag per
block and recipient) rather than a pickle.
"""

from __future__ import annotations

from typing import Any

from conversations.types import (
    Address,
    Block,
    Button,
    Buttons,
    Choice,
    Facts,
    Image,
    Link,
    Option,
    OutgoingMessage,
    Premise,
    Recipient,
    Text,
    ToPair,
    ToPerson,
)


def _recipient_to_dict(to: Recipient) -> dict[str, Any]:
    if isinstance(to, ToPerson):
        return {"type": "person", "person_id": to.person_id}
    if isinstance(to, ToPair):
        return {"type": "pair", "pair_id": to.pair_id}
    return {
        "type": "address",
        "platform": to.platform,
        "tenant_id": to.tenant_id,
        "conversation_id": to.conversation_id,
        "thread_id": to.thread_id,
    }


def _recipient_from_dict(data: dict[str, Any]) -> Recipient:
    kind = data["type"]
    if kind == "person":
        return ToPerson(int(data["person_id"]))
    if kind == "pair":
        return ToPair(int(data["pair_id"]))
    return Address(
        platform=data["platform"],
        tenant_id=data["tenant_id"],
        conversation_id=data["conversation_id"],
        thread_id=data.get("thread_id"),
    )


def _button_to_dict(b: Button) -> dict[str, Any]:
    data = {"label": b.label, "action_id": b.action_id, "value": b.value, "style": b.style}
    if b.description:  # only when set: payloads queued before it existed read back the same
        data["description"] = b.description
    return data


def _block_to_dict(block: Block) -> dict[str, Any]:
    if isinstance(block, Text):
        return {"type": "text", "text": block.text}
    if isinstance(block, Facts):
        return {"type": "facts", "rows": [list(r) for r in block.rows]}
    if isinstance(block, Buttons):
        return {"type": "buttons", "buttons": [_button_to_dict(b) for b in block.buttons]}
    if isinstance(block, Choice):
        return {
            "type": "choice",
            "action_id": block.action_id,
            "label": block.label,
            "options": [{"label": o.label, "value": o.value} for o in block.options],
            "multiple": block.multiple,
        }
    if isinstance(block, Image):
        return {"type": "image", "url": block.url, "alt": block.alt}
    return {"type": "link", "label": block.label, "url": block.url}


def _block_from_dict(data: dict[str, Any]) -> Block:
    kind = data["type"]
    if kind == "text":
        return Text(data["text"])
    if kind == "facts":
        return Facts(tuple((str(a), str(b)) for a, b in data["rows"]))
    if kind == "buttons":
        return Buttons(tuple(Button(**b) for b in data["buttons"]))
    if kind == "choice":
        return Choice(
            action_id=data["action_id"],
            label=data["label"],
            options=tuple(Option(**o) for o in data["options"]),
            multiple=bool(data["multiple"]),
        )
    if kind == "link":
        return Link(label=data["label"], url=data["url"])
    if kind == "image":
        return Image(url=data["url"], alt=data["alt"])
    raise ValueError(f"unknown block type {kind!r}")


def message_to_dict(message: OutgoingMessage) -> dict[str, Any]:
    """A JSON-able dict holding every field of `message`."""
    return {
        "to": _recipient_to_dict(message.to),
        "kind": message.kind,
        "fallback_text": message.fallback_text,
        "blocks": [_block_to_dict(b) for b in message.blocks],
        "idempotency_key": message.idempotency_key,
        "private": message.private,
        "replaces": message.replaces,
        "metadata": dict(message.metadata),
        **({"premise": message.premise.to_dict()} if message.premise is not None else {}),
    }


def message_from_dict(data: dict[str, Any]) -> OutgoingMessage:
    """The inverse of `message_to_dict`; raises ValueError/KeyError on a malformed dict."""
    return OutgoingMessage(
        to=_recipient_from_dict(data["to"]),
        kind=data["kind"],
        fallback_text=data["fallback_text"],
        blocks=tuple(_block_from_dict(b) for b in data["blocks"]),
        idempotency_key=data.get("idempotency_key", ""),
        private=bool(data.get("private", False)),
        replaces=data.get("replaces"),
        metadata={str(k): str(v) for k, v in data.get("metadata", {}).items()},
        premise=Premise.from_dict(data["premise"]) if data.get("premise") is not None else None,
    )
