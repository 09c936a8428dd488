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

from conversations import grammar, texts
from conversations.admin import tools
from conversations.context import Context, Turn
from conversations.enrolment import form, pauses, self_service
from conversations.lines import CONCERN_TEXT
from conversations.pairing import consent, endings, rounds
from conversations.ports import DueWork
from conversations.programme import answers, lifecycle, prompts, topics
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
    read: Callable[[str, str], grammar.ParsedCommand] | None = None  # what follows the word
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


def _someone(command: grammar.Pause | grammar.Resume) -> bool:
    return command.who is not None  # pausing or resuming someone else is the admins'


# Order matters only for `help`: its lines, and its admin line, follow this order.
COMMANDS: tuple[CommandEntry[Any], ...] = (
    CommandEntry("help", _help, grammar.Help, also=("?",), needs_person=False),
    CommandEntry(
        "status",
        self_service.status,
        grammar.StatusQuery,
        help="`status` — where you stand and who your partner is",
    ),
    CommandEntry(
        "join",
        self_service.join,
        grammar.Join,
        grammar.parse_join,
        help="`join` / `leave` — take part, or step out",
    ),
    CommandEntry("leave", self_service.leave, grammar.Leave),
    CommandEntry(
        "match",
        rounds.match_command,
        grammar.Match,
        grammar.parse_match,
        admin=True,
        admin_help="`match` (dry run), `match publish`",
        phrases=("match", "match publish"),
    ),
    CommandEntry(
        "pair",
        rounds.pair_by_hand,
        grammar.PairByHand,
        grammar.parse_pair,
        admin=True,
        admin_help="`pair A with B [--force]`",
    ),
    CommandEntry(
        "pause",
        pauses.pause,
        grammar.Pause,
        grammar.parse_pause,
        admin=_someone,
        help="`pause until 2027-02-01` and `resume` — take a break",
        admin_help="`pause EMAIL until DATE`",
    ),
    CommandEntry(
        "resume",
        pauses.resume,
        grammar.Resume,
        grammar.parse_resume,
        admin=_someone,
        admin_help="`resume EMAIL`",
    ),
    CommandEntry(
        "profile",
        self_service.profile,
        grammar.Profile,
        grammar.parse_profile,
        help="`profile` — your role, topics and time zone (`profile learns GenAI tools`)",
    ),
    CommandEntry(
        "end",
        endings.end_pairing,
        grammar.EndPairing,
        grammar.parse_end,
        help="`end pairing` — end your current pairing, privately and without blame; you stay in",
        phrases=("end pairing",),
    ),
    CommandEntry(
        "concern",
        concerns.concern_command,
        grammar.Concern,
        grammar.parse_concern,
        help="`concern` — tell the programme team something in confidence (never your partner)",
    ),
    CommandEntry(
        "",
        self_service.forget_me,
        grammar.ForgetMe,
        help="`forget me` — erase your personal data",
        phrases=("forget me",),
    ),
    CommandEntry(
        "privacy",
        self_service.privacy,
        help="`privacy` — what the programme keeps about you, and who sees what",
        needs_person=False,  # a stranger may well ask what would be kept about them
    ),
    CommandEntry(
        "prompt",
        prompts.prompt_add,
        grammar.PromptAdd,
        grammar.parse_prompt,
        admin=True,
        admin_help="`prompt add TRACK TEXT`",
        phrases=("prompt add",),
    ),
    CommandEntry("report", tools.report, grammar.Report, admin=True, admin_help="`report`"),
    CommandEntry("health", tools.health, grammar.Health, admin=True, admin_help="`health`"),
    CommandEntry(
        "dashboard", tools.admin_link, grammar.Dashboard, admin=True, admin_help="`dashboard`"
    ),
    CommandEntry("export", tools.admin_link, grammar.Export, admin=True, admin_help="`export`"),
    CommandEntry(
        "forget",
        self_service.forget_someone,
        grammar.Forget,
        grammar.parse_forget,
        admin=True,
        admin_help="`forget EMAIL` (erase someone's data)",
    ),
    CommandEntry(
        "release",
        endings.release,
        grammar.Release,
        grammar.parse_release,
        admin=True,
        admin_help="`release EMAIL` (back into matching after a review)",
    ),
)

ACTIONS: Mapping[str, ActionEntry] = {
    actions.ENROL_ROLE: ActionEntry(self_service.choose_role),
    actions.ENROL_LEAVE: ActionEntry(self_service.leave_button),
    actions.ENROL_REJOIN: ActionEntry(self_service.rejoin),
    actions.ENROL_RESUME: ActionEntry(pauses.resume_button),
    actions.PRIVACY_FORGET: ActionEntry(self_service.forget_confirmed),
    actions.PRIVACY_FORGET_PERSON: ActionEntry(
        self_service.forget_someone_confirmed, admin=True, name="forget"
    ),
    actions.ENROL_FORM: ActionEntry(form.enrol_form),
    actions.CONSENT_ACCEPT: ActionEntry(consent.consent_answer),
    actions.CONSENT_DECLINE: ActionEntry(consent.consent_answer),
    actions.MEETING_MET: ActionEntry(answers.meeting_answer),
    actions.MEETING_MISSED: ActionEntry(answers.meeting_answer),
    actions.MEETING_RESCHEDULED: ActionEntry(answers.meeting_answer),
    actions.MEETING_CANCELLED_BY: ActionEntry(answers.cancelled_by),
    actions.MISSED_REASON: ActionEntry(answers.missed_reason),
    actions.PULSE_RATE: ActionEntry(answers.pulse_rate),
    actions.PULSE_SKIP: ActionEntry(answers.pulse_skip),
    actions.PULSE_SHARE: ActionEntry(answers.pulse_share),
    actions.CHECKIN_ANSWER: ActionEntry(answers.survey_answer),
    actions.CLOSING_ANSWER: ActionEntry(answers.survey_answer),
    actions.FOLLOWUP_TRIED: ActionEntry(answers.survey_answer),
    actions.CONCERN_RAISE: ActionEntry(concerns.concern_button),
    actions.TOPIC_CHOOSE: ActionEntry(topics.choose_topic),
    actions.GROUND_RULES_AGREE: ActionEntry(topics.agree_ground_rules),
    actions.END_PAIRING: ActionEntry(endings.end_pairing_button),
}
# Buttons that stand for a typed command ("My status", "Join the programme"): the button's
# value is read and run as if typed, through `COMMANDS`.
COMMAND_BUTTON = actions.HELP_COMMAND

WORK: Mapping[str, WorkHandler] = {
    pauses.PAUSE_END: pauses.pause_ended,
    lifecycle.SESSION_STEP: lifecycle.session_step,
    lifecycle.CONSENT_STEP: lifecycle.consent_step,
    lifecycle.FOLLOWUP: lifecycle.followup_step,
}

INPUTS: Mapping[str, InputHandler] = {
    answers.PULSE_COMMENT: answers.typed_answer,
    CONCERN_TEXT: concerns.typed_concern,
    endings.END_REASON: endings.reason_given,
}


def parse(text: str) -> grammar.ParsedCommand:
    """Read one command. Never raises: unreadable text becomes `Unknown` with a hint."""
    text = (text or "").strip()
    if len(text) > grammar.MAX_COMMAND_LENGTH:
        return grammar.unknown(text[:80], "That message is too long for a command.")
    if text.startswith("/"):  # "/mentoring join" typed into a DM
        text = text.split(maxsplit=1)[1] if " " in text else ""
    word, _, rest = text.partition(" ")
    word, rest = word.casefold(), rest.strip()
    entry = _BY_WORD.get(word)
    if entry is None:
        close = difflib.get_close_matches(word, list(_BY_WORD), n=1, cutoff=0.75)
        return grammar.unknown(text, "", suggestion=close[0] if close else "")
    if entry.read is not None:
        return entry.read(text, rest)
    if rest:
        return grammar.unknown(text, f"`{word}` takes nothing after it.")
    return entry.command() if entry.command is not None else grammar.Plain(entry.word)


def entry_for(command: object) -> CommandEntry[Any] | None:
    """The registry entry of a parsed command (None: `Unknown`)."""
    if isinstance(command, grammar.Plain):
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
    return command.word if isinstance(command, grammar.Plain) else type(command).__name__.lower()


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
