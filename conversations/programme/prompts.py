"""The prompts a programme draws from, and the admin's `prompt add TRACK TEXT`."""

from __future__ import annotations

from conversations import grammar as cmd
from conversations import texts
from conversations.admin import tools as admin
from conversations.context import Context, Turn
from conversations.types import OutgoingMessage

MIN_TEXT, MAX_TEXT = 10, 1000  # the same bounds as app.yaml `prompts`


async def prompt_add(ctx: Context, turn: Turn, command: cmd.PromptAdd) -> list[OutgoingMessage]:
    """Admin: add a topic prompt; pairs that have not had it may get it from their next session."""
    tracks = ctx.config.programme.tracks
    track = command.track.strip().lower()
    text = " ".join(command.text.split()).strip("\"“”'")
    if track not in tracks:
        return [
            texts.reply(
                turn.reply_to,
                "prompt",
                f"There's no track called {command.track!r}. This programme's tracks are: "
                f'{", ".join(tracks)}. Try `prompt add {tracks[0]} "…"`.',
            )
        ]
    if not MIN_TEXT <= len(text) <= MAX_TEXT:
        return [
            texts.reply(
                turn.reply_to,
                "prompt",
                f"A prompt needs {MIN_TEXT}–{MAX_TEXT} characters; yours has {len(text)}. "
                "Write it as a question or a small task the pair can do together.",
            )
        ]
    prompt = await ctx.prompt_log.add_prompt(track, text, None)
    await admin.audit(ctx, turn, "prompt add", f"{prompt.key} ({track}): {text[:80]}")
    return [
        texts.reply(
            turn.reply_to,
            "prompt",
            f"Added to *{track}*: “{text}”. Pairs who haven't had it yet may get it before one "
            "of their next sessions.",
        )
    ]
