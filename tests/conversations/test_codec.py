"""Queued messages survive a round trip through JSON unchanged."""

import json
from datetime import date

from conversations.outbox import premise
from conversations.outbox.codec import message_from_dict, message_to_dict
from conversations.types import (
    Address,
    Button,
    Buttons,
    Choice,
    Facts,
    Link,
    Option,
    OutgoingMessage,
    Text,
    ToPair,
    ToPerson,
)


def test_round_trip_every_block_and_recipient() -> None:
    blocks = (
        Text("Hi"),
        Facts((("Session", "2 of 6"),)),
        Buttons((Button("We met", "meeting.done", "12:2", "primary"),)),
        Choice("topics", "Topics", (Option("GenAI", "genai"),), multiple=True),
        Link("Chat", "https://teams.microsoft.com/l/chat/0/0?users=a"),
    )
    for to in (ToPerson(3), ToPair(9), Address("slack", "T1", "D1", "123.4")):
        message = OutgoingMessage(to, "intro", "Hi", blocks, "intro:9", metadata={"k": "v"})
        again = message_from_dict(json.loads(json.dumps(message_to_dict(message))))
        assert again == message and again.metadata == {"k": "v"}


def test_a_premise_survives_the_queue_and_is_left_out_when_there_is_none() -> None:
    conditions = (
        premise.session_open(12, 3, date(2027, 4, 5), 7, 8),
        premise.pair_proposed(12, 7, 8),
        premise.still_unmatched(7),
        premise.pair_exists(12),
    )
    for condition in conditions:
        message = OutgoingMessage(ToPair(12), "prompt", "Hi", (Text("Hi"),), "k", premise=condition)
        again = message_from_dict(json.loads(json.dumps(message_to_dict(message))))
        assert again.premise == condition
    bare = OutgoingMessage(ToPerson(3), "reply", "Hi", (Text("Hi"),), "k")
    assert "premise" not in message_to_dict(bare)  # rows queued before premises read the same
    assert message_from_dict(message_to_dict(bare)).premise is None


def test_a_buttons_description_survives_the_queue_and_old_payloads_read_back() -> None:
    described = Button("1 – not useful", "pulse.rate", "7:2:1", description="1 out of 5")
    message = OutgoingMessage(ToPerson(3), "pulse", "Hi", (Buttons((described,)),), "pulse:7")
    data = message_to_dict(message)
    assert message_from_dict(json.loads(json.dumps(data))) == message
    # A row queued before descriptions existed has no such key: it reads back as none.
    (block,) = data["blocks"]
    for button in block["buttons"]:
        del button["description"]
    (again,) = message_from_dict(data).buttons()
    assert again.description == "" and again.label == "1 – not useful"
