"""The one registry: every command, button, kind of due work and typed answer, with its handler.

Authorisation (`Engine.handle`), `help` and anything that lists commands read these tables and
nothing else. Adding a command is one `CommandEntry` here plus its handler function
(docs/architecture.md, "An inbound message"). Handlers take a `Context` and a `Turn` and never
import the engine or this module, so the imports run one way.
"""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from conversations import grammar as cmd
from conversations import texts
from conversations.admin import tools as admin
from conversations.context import Context, Turn
from conversations.enrolment import form as enrol_form
from conversations.enrolment import pauses
from conversations.enrolment import self_service as enrolment
from conversations.lines import CONCERN_TEXT
from conversations.pairing import consent
from conversations.pairing import endings as pair_endings
from conversations.pairing import rounds as pairing
from conversations.ports import DueWork
from conversations.programme import answers as programme_answers
from conversations.programme import lifecycle as programme
from conversations.programme import prompts
from conversations.programme import topics as session_topics
from conversations.safety import concerns
from conversations.types import (
    Action,
    Button,
    Buttons,
    OutgoingMessage,
    PendingInput,
    Person,
    Recipient,
    Text,
    actions,
)

C = TypeVar("C")
Replies = Awaitable[list[OutgoingMessage]]
ActionHandler = Callable[[Context, Turn, Action], Replies]
WorkHandler = Callable[[Context, DueWork, datetime], Replies]
# A typed line the bot asked for; None: not for this handler after all, answered with `help`.
InputHandler = Callable[[Context, Turn, PendingInput, str], Awaitable[list[OutgoingMessage] | None]]


@dataclass(frozen=True)
class CommandEntry(Generic[C]):
    """One command: the word that starts it, how to read the rest, who may run it, its help."""

    word: str  # its first word; "" when another entry's reader produces it (`forget me`)
    handler: Callable[[Context, Turn, C], Replies]
    # Its parsed type; None: it takes nothing after the word and is parsed as `Plain(word)`.
    command: type[C] | None = None
    read: Callable[[str, str], cmd.ParsedCommand] | None = None  # what follows the word
    admin: bool | Callable[[C], bool] = False  # a predicate: only some forms are admins'
    help: str = ""  # its line in `help`
    admin_help: str = ""  # its part of the admin line in `help`
    also: tuple[str, ...] = ()  # other words for it (`?` for `help`)
    phrases: tuple[str, ...] = ()  # what people type, when more than the word
    needs_person: bool = True  # False: answered for people the directory does not know


@dataclass(frozen=True)
class ActionEntry:
    """One button: its handler, and whether only programme admins may tap it."""

    handler: ActionHandler
    admin: bool = False  # checked by `Engine` before the handler runs; a refusal is audited
    name: str = ""  # how the audit log names a refused tap ("": the action id)


async def _help(ctx: Context, turn: Turn, _: object) -> list[OutgoingMessage]:
    del ctx
    return [help_text(turn.reply_to, turn.person, is_admin=turn.is_admin)]


def _someone(command: cmd.Pause | cmd.Resume) -> bool:
    return command.who is not None  # pausing or resuming someone else is the admins'


# Order matters only for `help`: its lines, and its admin line, follow this order.
COMMANDS: tuple[CommandEntry[Any], ...] = (
    CommandEntry("help", _help, cmd.Help, also=("?",), needs_person=False),
    CommandEntry(
        "status",
        enrolment.status,
        cmd.StatusQuery,
        help="`status` — where you stand and who your partner is",
    ),
    CommandEntry(
        "join",
        enrolment.join,
        cmd.Join,
        cmd.parse_join,
        help="`join` / `leave` — take part, or step out",
    ),
    CommandEntry("leave", enrolment.leave, cmd.Leave),
    CommandEntry(
        "match",
        pairing.match_command,
        cmd.Match,
        cmd.parse_match,
        admin=True,
        admin_help="`match` (dry run), `match publish`",
        phrases=("match", "match publish"),
    ),
    CommandEntry(
        "pair",
        pairing.pair_by_hand,
        cmd.PairByHand,
        cmd.parse_pair,
        admin=True,
        admin_help="`pair A with B [--force]`",
    ),
    CommandEntry(
        "pause",
        pauses.pause,
        cmd.Pause,
        cmd.parse_pause,
        admin=_someone,
        help="`pause until 2027-02-01` and `resume` — take a break",
        admin_help="`pause EMAIL until DATE`",
    ),
    CommandEntry(
        "resume",
        pauses.resume,
        cmd.Resume,
        cmd.parse_resume,
        admin=_someone,
        admin_help="`resume EMAIL`",
    ),
    CommandEntry(
        "profile",
        enrolment.profile,
        cmd.Profile,
        cmd.parse_profile,
        help="`profile` — your role, topics and time zone (`profile learns GenAI tools`)",
    ),
    CommandEntry(
        "end",
        pair_endings.end_pairing,
        cmd.EndPairing,
        cmd.parse_end,
        help="`end pairing` — end your current pairing, privately and without blame; you stay in",
        phrases=("end pairing",),
    ),
    CommandEntry(
        "concern",
        concerns.concern_command,
        cmd.Concern,
        cmd.parse_concern,
        help="`concern` — tell the programme team something in confidence (never your partner)",
    ),
    CommandEntry(
        "",
        enrolment.forget_me,
        cmd.ForgetMe,
        help="`forget me` — erase your personal data",
        phrases=("forget me",),
    ),
    CommandEntry(
        "privacy",
        enrolment.privacy,
        help="`privacy` — what the programme keeps about you, and who sees what",
    ),
    CommandEntry(
        "prompt",
        prompts.prompt_add,
        cmd.PromptAdd,
        cmd.parse_prompt,
        admin=True,
        admin_help="`prompt add TRACK TEXT`",
        phrases=("prompt add",),
    ),
    CommandEntry("report", admin.report, cmd.Report, admin=True, admin_help="`report`"),
    CommandEntry("health", admin.health, cmd.Health, admin=True, admin_help="`health`"),
    CommandEntry(
        "dashboard", admin.admin_link, cmd.Dashboard, admin=True, admin_help="`dashboard`"
    ),
    CommandEntry("export", admin.admin_link, cmd.Export, admin=True, admin_help="`export`"),
    CommandEntry(
        "forget",
        enrolment.forget_someone,
        cmd.Forget,
        cmd.parse_forget,
        admin=True,
        admin_help="`forget EMAIL` (erase someone's data)",
    ),
    CommandEntry(
        "release",
        pair_endings.release,
        cmd.Release,
        cmd.parse_release,
        admin=True,
        admin_help="`release EMAIL` (back into matching after a review)",
    ),
)

ACTIONS: Mapping[str, ActionEntry] = {
    actions.ENROL_ROLE: ActionEntry(enrolment.choose_role),
    actions.ENROL_LEAVE: ActionEntry(enrolment.leave_button),
    actions.ENROL_REJOIN: ActionEntry(enrolment.rejoin),
    actions.ENROL_RESUME: ActionEntry(pauses.resume_button),
    actions.PRIVACY_FORGET: ActionEntry(enrolment.forget_confirmed),
    actions.PRIVACY_FORGET_PERSON: ActionEntry(
        enrolment.forget_someone_confirmed, admin=True, name="forget"
    ),
    actions.ENROL_FORM: ActionEntry(enrol_form.enrol_form),
    actions.CONSENT_ACCEPT: ActionEntry(consent.consent_answer),
    actions.CONSENT_DECLINE: ActionEntry(consent.consent_answer),
    actions.MEETING_MET: ActionEntry(programme_answers.meeting_answer),
    actions.MEETING_MISSED: ActionEntry(programme_answers.meeting_answer),
    actions.MEETING_RESCHEDULED: ActionEntry(programme_answers.meeting_answer),
    actions.MEETING_CANCELLED_BY: ActionEntry(programme_answers.cancelled_by),
    actions.MISSED_REASON: ActionEntry(programme_answers.missed_reason),
    actions.PULSE_RATE: ActionEntry(programme_answers.pulse_rate),
    actions.PULSE_SKIP: ActionEntry(programme_answers.pulse_skip),
    actions.PULSE_SHARE: ActionEntry(programme_answers.pulse_share),
    actions.CHECKIN_ANSWER: ActionEntry(programme_answers.survey_answer),
    actions.CLOSING_ANSWER: ActionEntry(programme_answers.survey_answer),
    actions.FOLLOWUP_TRIED: ActionEntry(programme_answers.survey_answer),
    actions.CONCERN_RAISE: ActionEntry(concerns.concern_button),
    actions.TOPIC_CHOOSE: ActionEntry(session_topics.choose_topic),
    actions.GROUND_RULES_AGREE: ActionEntry(session_topics.agree_ground_rules),
    actions.END_PAIRING: ActionEntry(pair_endings.end_pairing_button),
}
# Buttons that stand for a typed command ("My status", "Join the programme"): the button's
# value is read and run as if typed, through `COMMANDS`.
COMMAND_BUTTON = actions.HELP_COMMAND

WORK: Mapping[str, WorkHandler] = {
    pauses.PAUSE_END: pauses.pause_ended,
    programme.SESSION_STEP: programme.session_step,
    programme.CONSENT_STEP: programme.consent_step,
    programme.FOLLOWUP: programme.followup_step,
}

INPUTS: Mapping[str, InputHandler] = {
    programme_answers.PULSE_COMMENT: programme_answers.typed_answer,
    CONCERN_TEXT: concerns.typed_concern,
    pair_endings.END_REASON: pair_endings.reason_given,
}


def parse(text: str) -> cmd.ParsedCommand:
    """Read one command. Never raises: unreadable text becomes `Unknown` with a hint."""
    text = (text or "").strip()
    if len(text) > cmd.MAX_COMMAND_LENGTH:
        return cmd.unknown(text[:80], "That message is too long for a command.")
    if text.startswith("/"):  # "/mentoring join" typed into a DM
        text = text.split(maxsplit=1)[1] if " " in text else ""
    word, _, rest = text.partition(" ")
    word, rest = word.casefold(), rest.strip()
    entry = _BY_WORD.get(word)
    if entry is None:
        close = difflib.get_close_matches(word, list(_BY_WORD), n=1, cutoff=0.75)
        return cmd.unknown(text, "", suggestion=close[0] if close else "")
    if entry.read is not None:
        return entry.read(text, rest)
    if rest:
        return cmd.unknown(text, f"`{word}` takes nothing after it.")
    return entry.command() if entry.command is not None else cmd.Plain(entry.word)


def entry_for(command: object) -> CommandEntry[Any] | None:
    """The registry entry of a parsed command (None: `Unknown`)."""
    if isinstance(command, cmd.Plain):
        return _BY_WORD.get(command.word)
    return _BY_TYPE.get(type(command))


def is_admin_command(command: object) -> bool:
    """True for commands only programme admins may run (pausing someone else included)."""
    entry = entry_for(command)
    if entry is None:
        return False
    return entry.admin(command) if callable(entry.admin) else entry.admin


def command_name(command: object) -> str:
    """How the audit log names a command (`refused` entries)."""
    return command.word if isinstance(command, cmd.Plain) else type(command).__name__.lower()


def admin_command_types() -> frozenset[type]:
    """The parsed types of the commands that are always the admins'."""
    return frozenset(e.command for e in COMMANDS if e.admin is True and e.command is not None)


def command_words(*, admin: bool) -> tuple[str, ...]:
    """What people type to start each command, for lists shown outside a chat (manifests):
    everyone's commands, or (`admin`) those with an admin form."""
    words: list[str] = []
    for entry in COMMANDS:
        # `admin` a predicate (`pause`, `resume`): everyone's command with an admin form, so
        # in both lists; True only in the admins', False only in everyone's.
        listed = entry.admin is not False if admin else entry.admin is not True
        if listed:
            words += entry.phrases or (entry.word,)
    return tuple(dict.fromkeys(w for w in words if w))


def help_text(to: Recipient, person: Person | None, *, is_admin: bool) -> OutgoingMessage:
    """What the bot can do for this person, with the likely next step as buttons."""
    lines = ["Here's what I can do:", *(f"• {e.help}" for e in COMMANDS if e.help)]
    if is_admin:
        lines += ["", "Admin: " + ", ".join(e.admin_help for e in COMMANDS if e.admin_help)]
    buttons: list[Button] = [Button("My status", actions.HELP_COMMAND, "status")]
    if person is None or not person.status.enrolled:
        buttons.insert(0, Button("Join the programme", actions.HELP_COMMAND, "join", "primary"))
    return texts.compose(to, "help", Text("\n".join(lines)), Buttons(tuple(buttons)), private=True)


_BY_WORD: dict[str, CommandEntry[Any]] = {
    word: entry for entry in COMMANDS for word in (entry.word, *entry.also) if word
}
_BY_TYPE: dict[type, CommandEntry[Any]] = {
    entry.command: entry for entry in COMMANDS if entry.command is not None
}
