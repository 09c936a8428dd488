"""The programme's configuration: the schema of app.yaml (README.md, "Configuration"), validated
with pydantic.

Only programme rules live here; secrets come from the environment (`bot.settings`). Every key
is optional except `programme.start_date`. Unknown keys are refused so a typo is not ignored.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Track = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_-]*$")]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def check_timezone(value: str) -> str:
    """Accept an IANA time zone name; raise ValueError naming the problem otherwise."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" is a folder: OSError
        raise ValueError(
            f"must be an IANA time zone name such as Europe/London, got {value!r}"
        ) from None
    return value


class ProgrammeConfig(_Section):
    """When the programme runs and how often pairs meet."""

    name: Annotated[str, Field(min_length=1, max_length=120)] = "Reverse Mentoring"
    start_date: date
    sessions: Annotated[int, Field(ge=1, le=52)] = 6
    cadence_days: Annotated[int, Field(ge=1, le=365)] = 28
    timezone: str = "UTC"
    delivery_hour: Annotated[int, Field(ge=0, le=23)] = 10
    working_days: Annotated[tuple[Weekday, ...], Field(min_length=1)] = (
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
    )
    require_mentee_consent: bool = True  # the senior sees and accepts the proposal
    require_mentor_consent: bool = True  # the junior sees it too and may ask for someone else
    consent_reminder_days: Annotated[int, Field(ge=1, le=60)] = 3
    prompt_lead_days: Annotated[int, Field(ge=0, le=60)] = 2
    # The junior's prep note and choice of topics, before the pair sees the chosen one.
    prep_lead_days: Annotated[int, Field(ge=0, le=60)] = 4
    remind_after_days: Annotated[int, Field(ge=1, le=90)] = 7
    escalate_after_missed: Annotated[int, Field(ge=1, le=52)] = 2
    tracks: Annotated[tuple[Track, ...], Field(min_length=1)] = ("technology", "inclusion")

    _tz = field_validator("timezone")(check_timezone)

    @model_validator(mode="after")
    def _junior_leads(self) -> ProgrammeConfig:
        # The junior picks the topic from the prep message; the pair's prompt then uses the
        # pick, so the prep must come first or the junior never gets to choose.
        if self.prep_lead_days <= self.prompt_lead_days:
            raise ValueError(
                f"prep_lead_days ({self.prep_lead_days}) must be greater than prompt_lead_days "
                f"({self.prompt_lead_days}), so the junior picks the topic before the pair sees it"
            )
        # One session's prep must come after the previous session, not several at once.
        if self.cadence_days <= self.prep_lead_days:
            raise ValueError(
                f"cadence_days ({self.cadence_days}) must be greater than prep_lead_days "
                f"({self.prep_lead_days}), so each session's prep comes after the one before"
            )
        return self


class Weights(_Section):
    """How much each part of the soft score counts."""

    topics: Annotated[float, Field(ge=0)] = 10.0
    cross_department: Annotated[float, Field(ge=0)] = 3.0
    timezone: Annotated[float, Field(ge=0)] = 2.0
    level_gap: Annotated[float, Field(ge=0)] = 1.0


class MatchingConfig(_Section):
    """The matching rules (hard constraints and soft-score weights)."""

    min_level_gap: Annotated[int, Field(ge=0, le=100)] = 2
    max_timezone_gap_hours: Annotated[float, Field(ge=0, le=12)] = 4
    mentees_per_mentor: Annotated[int, Field(ge=1, le=20)] = 1
    require_cross_department: bool = False
    allow_repeat_pairs: bool = False
    weights: Weights = Weights()
    prefer_pairs: tuple[tuple[str, str], ...] = ()  # (mentor email, mentee email)
    avoid_pairs: tuple[tuple[str, str], ...] = ()


DEFAULT_SUPPORT_TEXT = (
    "If you need to talk to someone now, your HR business partner or the Employee Assistance "
    "Programme can help, in confidence."
)


class PrivacyConfig(_Section):
    """k-anonymity for every breakdown admins see, and where a concern goes."""

    min_group_size: Annotated[int, Field(ge=1, le=1000)] = 5
    # Who reads a `concern` (by email); empty: the programme admins. A partner never does.
    concern_contacts: tuple[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")], ...] = ()
    # Told to whoever raises a concern: where to get support now.
    support_text: Annotated[str, Field(min_length=1, max_length=600)] = DEFAULT_SUPPORT_TEXT


class SlackConfig(_Section):
    """Slack app settings that are not secrets."""

    command: Annotated[str, Field(pattern=r"^/[a-z0-9_-]{1,31}$")] = "/mentoring"


class ExtraPrompt(_Section):
    """An admin's own topic prompt, added to the shipped catalogue."""

    track: Track
    text: Annotated[str, Field(min_length=10, max_length=1000)]
    session: Annotated[int, Field(ge=1, le=52)] | None = None


class AppConfig(_Section):
    """The whole of app.yaml."""

    programme: ProgrammeConfig
    matching: MatchingConfig = MatchingConfig()
    admins: tuple[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")], ...] = ()
    privacy: PrivacyConfig = PrivacyConfig()
    slack: SlackConfig = SlackConfig()
    prompts: tuple[ExtraPrompt, ...] = ()

    def is_admin(self, email: str) -> bool:
        """True when `email` is listed under `admins` (case-insensitive)."""
        return email.casefold() in {a.casefold() for a in self.admins}
