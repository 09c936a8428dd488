"""What every adapter shares and is not itself an adapter: the one bundle of dependencies the
composition root hands each platform (`deps.py`), and the shape each adapter follows.

An adapter is a folder `adapters/<platform>/` with the same rooms:

- `platform.py`: the platform's name (`PLATFORM`), written once;
- `translate.py`: inbound payloads → `conversations.types` events (pure);
- `render.py`: `OutgoingMessage` → the platform's native form (pure);
- `sender.py`: the `conversations.ports.Sender` the delivery worker uses;
- `limits.py`: what the platform accepts (sizes) and how fast (rates).

Platform-only concerns stay in their own modules (Slack's modal and Home tab; Teams' trust,
keys, tokens and auth). Adapters import `conversations.types`, `conversations.ports`, this kit
and their platform's SDK; never each other, `bot/`, `storage/` or the delivery worker.
"""
