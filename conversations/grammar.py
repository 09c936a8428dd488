"""The command grammar: the typed commands, and the readers of what follows a command's word.

`conversations.registry.parse` picks the reader by the first word (each registry entry names
its own); anything unreadable becomes an `Unknown` carrying a friendly problem. The readers
only read syntax; whether a date has passed or a person exists is the engine's call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from conversations.types import Role

MAX_COMMAND_LENGTH = 2000  # a slash command carries at most a few KB; anything longer is noise


@dataclass(frozen=True)
class PersonRef:
    """Someone named in a command: an email or a platform mention (`<@U123>`, Teams id)."""

    raw: str
    email: str = ""
    user_id: str = ""


@dataclass(frozen=True)
class Help:
    """Show what the bot can do."""


@dataclass(frozen=True)
class Join:
    """Enrol; `role` None means ask which side."""

    role: Role | None = None


@dataclass(frozen=True)
class Leave:
    """Leave the programme."""


@dataclass(frozen=True)
class Pause:
    """Pause oneself, or (admins) someone else; `until` None means until `resume`."""

    until: date | None = None
    who: PersonRef | None = None


@dataclass(frozen=True)
class Resume:
    """End a pause (one's own, or an admin for someone else)."""

    who: PersonRef | None = None


@dataclass(frozen=True)
class Profile:
    """Show one's profile, or change one field of it."""

    field: str | None = None  # role | teaches | learns | timezone
    value: str = ""


@dataclass(frozen=True)
class StatusQuery:
    """Where do I stand in the programme?"""


@dataclass(frozen=True)
class ForgetMe:
    """Erase my personal data."""


@dataclass(frozen=True)
class Forget:
    """Admin: erase someone else's personal data (`forget EMAIL`), after a confirmation."""

    who: PersonRef


@dataclass(frozen=True)
class EndPairing:
    """End my current pairing without leaving the programme (no fault, private); `partner`
    (a name or email, maybe empty) says which, for someone in several pairs."""

    partner: str = ""


@dataclass(frozen=True)
class Concern:
    """Raise a confidential concern with the programme team; `text` may come later."""

    text: str = ""


@dataclass(frozen=True)
class Release:
    """Admin: return someone held for review after a pairing ended back to matching."""

    who: PersonRef


@dataclass(frozen=True)
class Report:
    """Admin: the headline figures."""


@dataclass(frozen=True)
class Match:
    """Admin: propose pairs (dry run), or publish them."""

    publish: bool = False


@dataclass(frozen=True)
class PairByHand:
    """Admin: pair two people by hand (`--force` overrides the hard rules)."""

    mentor: PersonRef
    mentee: PersonRef
    force: bool = False


@dataclass(frozen=True)
class PromptAdd:
    """Admin: add a topic prompt to the catalogue."""

    track: str
    text: str


@dataclass(frozen=True)
class Health:
    """Admin: delivery health — the queue, failures, people who cannot be reached."""


@dataclass(frozen=True)
class Dashboard:
    """Admin: a short-lived link to the dashboard, sent privately."""


@dataclass(frozen=True)
class Export:
    """Admin: a short-lived link to download the CSV export."""


@dataclass(frozen=True)
class Plain:
    """A command that takes nothing after its word and needs no type of its own
    (`conversations/registry.py` dispatches it by `word`)."""

    word: str


@dataclass(frozen=True)
class Unknown:
    """Text that is not a command; `problem` says what to fix, `suggestion` a likely command."""

    text: str
    problem: str = ""
    suggestion: str = ""


ParsedCommand = (
    Help
    | Join
    | Leave
    | Pause
    | Resume
    | Profile
    | StatusQuery
    | ForgetMe
    | Forget
    | EndPairing
    | Concern
    | Release
    | Report
    | Match
    | PairByHand
    | PromptAdd
    | Health
    | Dashboard
    | Export
    | Plain
    | Unknown
)

PROFILE_FIELDS = ("role", "teaches", "learns", "timezone")

_ROLE_WORDS = {
    "mentor": Role.MENTOR,
    "mentee": Role.MENTEE,
    "either": Role.EITHER,
    "junior": Role.MENTOR,
    "senior": Role.MENTEE,
}
_SLACK_MENTION = re.compile(r"^<@([A-Z0-9]+)(?:\|[^>]*)?>$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d %b %Y", "%B %d %Y", "%b %d %Y", "%d/%m/%Y")


def parse_date(text: str) -> date | None:
    """Read a date as people type it: 2027-02-01, 1 Feb 2027, February 1 2027, 01/02/2027."""
    cleaned = text.strip().replace(",", " ")
    cleaned = re.sub(r"(\d+)(st|nd|rd|th)\b", r"\1", cleaned)
    cleaned = " ".join(cleaned.split())
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    return None


def parse_person(token: str) -> PersonRef | None:
    """An email or a Slack mention (`<@U123|name>`); None when it is neither."""
    token = token.strip()
    mention = _SLACK_MENTION.match(token)
    if mention:
        return PersonRef(raw=token, user_id=mention.group(1))
    if token.startswith("mailto:"):
        token = token.removeprefix("mailto:")
    # Slack wraps emails typed in a command as <mailto:a@b|a@b>
    if token.startswith("<mailto:") and token.endswith(">"):
        token = token[len("<mailto:") : -1].split("|", 1)[0]
    if _EMAIL.match(token):
        return PersonRef(raw=token, email=token.casefold())
    return None


def unknown(text: str, problem: str, suggestion: str = "") -> Unknown:
    """Text that is not a command, with what to fix or the likely command."""
    return Unknown(text=text, problem=problem, suggestion=suggestion)


def parse_pause(text: str, rest: str) -> ParsedCommand:
    """Read `pause [EMAIL] [until DATE]`; `rest` is what follows the word."""
    who: PersonRef | None = None
    words = rest.split(maxsplit=1)
    if words and words[0].casefold() != "until":
        who = parse_person(words[0])
        if who is None:
            return unknown(
                text,
                f"I couldn't read {words[0]!r}. Try `pause until 2027-02-01`, or just `pause`.",
            )
        rest = words[1] if len(words) > 1 else ""
    rest = rest.strip()
    if not rest:
        return Pause(until=None, who=who)
    if not rest.casefold().startswith("until"):
        return unknown(text, "Say when the pause ends, like `pause until 2027-02-01`.")
    when = parse_date(rest[len("until") :])
    if when is None:
        return unknown(
            text, f"I couldn't read the date {rest[5:].strip()!r}. Use a date like 2027-02-01."
        )
    return Pause(until=when, who=who)


def parse_resume(text: str, rest: str) -> ParsedCommand:
    """Read `resume [EMAIL]`; `rest` is what follows the word."""
    if not rest:
        return Resume()
    who = parse_person(rest)
    if who is None:
        return unknown(text, f"I couldn't read {rest!r}: name someone by email or @mention.")
    return Resume(who=who)


def parse_join(text: str, rest: str) -> ParsedCommand:
    """Read `join [as ROLE]`; `rest` is what follows the word."""
    if not rest:
        return Join()
    role = _ROLE_WORDS.get(rest.casefold().removeprefix("as ").strip())
    if role is None:
        return unknown(text, "Join as `mentor` (junior), `mentee` (senior) or `either`.")
    return Join(role=role)


def parse_profile(text: str, rest: str) -> ParsedCommand:
    """Read `profile [FIELD VALUE]`; `rest` is what follows the word."""
    if not rest:
        return Profile()
    field, _, value = rest.partition(" ")
    field = field.casefold()
    if field not in PROFILE_FIELDS:
        return unknown(
            text, f"I can change your {', '.join(PROFILE_FIELDS)}, e.g. `profile learns GenAI`."
        )
    if not value.strip():
        return unknown(text, f"Say what to set, e.g. `profile {field} …`.")
    return Profile(field=field, value=value.strip())


def parse_match(text: str, rest: str) -> ParsedCommand:
    """Read `match [publish]`; `rest` is what follows the word."""
    if not rest:
        return Match()
    if rest.casefold() in ("publish", "--publish"):
        return Match(publish=True)
    return unknown(text, "Use `match` for a dry run or `match publish` to introduce the pairs.")


def parse_pair(text: str, rest: str) -> ParsedCommand:
    """Read `pair MENTOR with MENTEE [--force]`; `rest` is what follows the word."""
    force = False
    words = rest.split()
    if "--force" in words:
        force = True
        words = [w for w in words if w != "--force"]
    if len(words) != 3 or words[1].casefold() != "with":
        return unknown(text, "Use `pair MENTOR with MENTEE`, e.g. `pair ana@x.com with bo@x.com`.")
    mentor, mentee = parse_person(words[0]), parse_person(words[2])
    if mentor is None or mentee is None:
        bad = words[0] if mentor is None else words[2]
        return unknown(text, f"I couldn't read {bad!r}: name people by email or @mention.")
    return PairByHand(mentor=mentor, mentee=mentee, force=force)


def parse_prompt(text: str, rest: str) -> ParsedCommand:
    """Read `prompt add TRACK "TEXT"`; `rest` is what follows the word."""
    verb, _, body = rest.partition(" ")
    track, _, prompt = body.strip().partition(" ")
    prompt = prompt.strip().strip('"“”')
    if verb.casefold() != "add" or not track or not prompt:
        return unknown(text, 'Use `prompt add TRACK "the prompt"`, e.g. `prompt add inclusion …`.')
    return PromptAdd(track=track.casefold(), text=prompt)


def parse_forget(text: str, rest: str) -> ParsedCommand:
    """Read `forget me` or `forget EMAIL`; `rest` is what follows the word."""
    if rest.casefold() == "me":
        return ForgetMe()
    who = parse_person(rest) if rest else None
    if who is None:
        return unknown(
            text, "Type `forget me` to erase your data (admins: `forget EMAIL` for someone else)."
        )
    return Forget(who=who)


def parse_end(text: str, rest: str) -> ParsedCommand:
    """Read `end pairing [with NAME]`; `rest` is what follows the word."""
    first, _, partner = rest.partition(" ")
    if rest.casefold() in ("my pairing", "my pair"):
        return EndPairing()
    if first.casefold() in ("pairing", "pair"):
        # `end pairing NAME` / `end pairing with NAME`: which pairing, for someone in several.
        partner = partner.strip()
        if partner.casefold().startswith("with "):
            partner = partner[5:].strip()
        return EndPairing(partner=partner)
    return unknown(
        text,
        "Type `end pairing` to end your current pairing (you stay in the programme), "
        "or `leave` to leave the programme.",
    )


def parse_release(text: str, rest: str) -> ParsedCommand:
    """Read `release EMAIL`; `rest` is what follows the word."""
    who = parse_person(rest) if rest else None
    if who is None:
        return unknown(text, "Use `release EMAIL` to return someone held for review to matching.")
    return Release(who=who)


def parse_concern(text: str, rest: str) -> ParsedCommand:
    """Read `concern [TEXT]`: the words may come now or in the next line."""
    del text
    return Concern(text=rest)
