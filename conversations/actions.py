"""Action ids: one dotted constant per button or form, shared by every adapter.

Adapters put these in the platform's action id field (Slack `action_id`, an Adaptive Card's
`data.action`) and the engine dispatches on them, so renaming one is a one-line change here.
"""

ENROL_ROLE = "enrol.role"  # value: mentor | mentee | either
ENROL_LEAVE = "enrol.leave"
ENROL_REJOIN = "enrol.rejoin"
ENROL_RESUME = "enrol.resume"
HELP_COMMAND = "help.command"  # value: a command to run, e.g. "status"
PRIVACY_FORGET = "privacy.forget"  # value: "confirm" | "cancel"
CONSENT_ACCEPT = "consent.accept"  # value: pair id
CONSENT_DECLINE = "consent.decline"  # value: pair id

ALL = frozenset(
    {
        ENROL_ROLE,
        ENROL_LEAVE,
        ENROL_REJOIN,
        ENROL_RESUME,
        HELP_COMMAND,
        PRIVACY_FORGET,
        CONSENT_ACCEPT,
        CONSENT_DECLINE,
    }
)
